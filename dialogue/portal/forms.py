"""Input shapes of the delegates' portal."""

import zoneinfo

from django import forms
from django.contrib.auth import forms as auth_forms
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dialogue.members import services as member_services
from dialogue.members.models import Language, Person


class DelegateForm(forms.Form):
    honorific = forms.CharField(
        label=_("Title"),
        max_length=40,
        required=False,
        help_text=_("For example Mr, Ms, Dr or H.E."),
    )
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    job_title = forms.CharField(label=_("Position"), max_length=200, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Person.Gender.choices, initial=Person.Gender.UNDISCLOSED
    )
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)


def _time_zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=Language.choices,
        help_text=_("The portal and the e-mails you receive will use this language."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zones,
        required=False,
        help_text=_("Deadlines are shown in Geneva time and in this time zone."),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for the address of an account; the link to choose a new password leaves
    through the outbox (retried, visible to staff, the link not kept once sent)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        path = reverse(
            "portal:password_set", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        member_services.password_reset_mail(
            user=context["user"],
            subject=subject,
            body=body,
            link=f"{context['protocol']}://{context['domain']}{path}",
            language=translation.get_language() or "",
        )
