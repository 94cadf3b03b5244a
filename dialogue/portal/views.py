"""The delegates' portal: a delegation's own pages."""

import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import REFUSED, RefusedFormStatus, render
from dialogue.members import selectors, services, two_factor
from dialogue.members.models import Person
from dialogue.portal.forms import DelegateForm, PasswordResetForm, ProfileForm
from dialogue.surveys import selectors as survey_selectors


def _apply_language(response: HttpResponseRedirect, language: str) -> HttpResponseRedirect:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


class LoginView(RefusedFormStatus, auth_views.LoginView):
    """Log in, then continue in the person's preferred language."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if two_factor.requires_second_factor(user):
            return redirect(two_factor.second_factor_url(user, response["Location"]))
        person = selectors.person_for_user(user)
        if person is None:
            return response
        language = person.preferred_language
        response["Location"] = translate_url(response["Location"], language)
        translation.activate(language)
        return _apply_language(response, language)


class LogoutView(auth_views.LogoutView):
    pass


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Type the 6 digits that the app shows."))
        return code


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _pending_staff(request):
    """The staff account that has passed its password but not its second factor, or None."""
    user = request.user
    if two_factor.requires_second_factor(user) and not two_factor.has_passed_second_factor(user):
        return user
    return None


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """After the password, a staff account types the code of its authenticator app."""
    user = _pending_staff(request)
    next_url = _next_url(request)
    if user is None:
        return redirect(next_url if request.user.is_authenticated else settings.LOGIN_URL)
    if two_factor.confirmed_device(user) is None:
        return redirect(two_factor.second_factor_url(user, next_url))
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.code_check(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            two_factor.mark_session_passed(request, device)
            return redirect(next_url)
    return render(request, "portal/second_factor.html", {"form": form, "next": next_url})


ENROLMENT_SESSION_KEY = "second_factor_enrolment_link"


def _enrol_page(next_url: str) -> str:
    return f"{reverse(two_factor.ENROL_PAGE)}?{urlencode({'next': next_url})}"


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request):
    """A staff account without an authenticator app adds one. First this browser session
    opens a link e-mailed to the account; then the secret is shown as text and as a QR code,
    and a valid code from the app confirms it."""
    user = _pending_staff(request)
    next_url = _next_url(request)
    if user is None:
        return redirect(next_url if request.user.is_authenticated else settings.LOGIN_URL)
    if two_factor.confirmed_device(user) is not None:
        return redirect(two_factor.second_factor_url(user, next_url))
    device = two_factor.enrolment_device(user=user)
    token = request.session.get(ENROLMENT_SESSION_KEY)
    if not two_factor.enrolment_proven(user=user, token=token):
        if request.method == "POST":
            try:
                sent = two_factor.enrolment_link_send(
                    user=user,
                    link=lambda value: request.build_absolute_uri(
                        f"{reverse(two_factor.ENROL_LINK_PAGE, args=[value])}?"
                        f"{urlencode({'next': next_url})}"
                    ),
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                if sent is None:
                    messages.info(request, _("A link was e-mailed less than a minute ago."))
                else:
                    messages.success(request, _("The link is on its way."))
            return redirect(_enrol_page(next_url))
        return render(
            request,
            "portal/second_factor_enrol_email.html",
            {
                "next": next_url,
                "address": two_factor.masked_address(user.email),
                "minutes": int(two_factor.ENROLMENT_LINK_AGE.total_seconds() // 60),
            },
        )
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.enrolment_confirm(
                user=user, code=form.cleaned_data["code"], token=token
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            two_factor.mark_session_passed(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(next_url)
    return render(
        request,
        "portal/second_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "secret": two_factor.secret_text(device),
            "qr_code": two_factor.qr_code_svg(
                device, _("QR code of the secret for your authenticator app")
            ),
            "account": user.get_username(),
        },
    )


@never_cache
@require_http_methods(["GET"])
def second_factor_enrol_link(request, token: str):
    """The link e-mailed for setting up an authenticator app: opened in the session that
    logged in with the password, it lets that session see the secret. Opened before
    logging in, it asks for the password first and comes back."""
    user = _pending_staff(request)
    next_url = _next_url(request)
    if user is None:
        if not request.user.is_authenticated:
            login = reverse(settings.LOGIN_URL)
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        return redirect(next_url)
    if two_factor.enrolment_proven(user=user, token=token):
        request.session[ENROLMENT_SESSION_KEY] = token
    else:
        messages.error(
            request,
            _(
                "This link has expired, belongs to another account or to an older request. "
                "Ask for a new one below."
            ),
        )
    return redirect(_enrol_page(next_url))


class PasswordSetView(RefusedFormStatus, auth_views.PasswordResetConfirmView):
    """Choose a password from the single-use link of an invitation."""

    template_name = "portal/password_set.html"
    success_url = reverse_lazy("portal:password_set_done")

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if self.request.method == "POST" and not self.validlink:
            response.status_code = REFUSED
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        services.account_password_changed(user=form.user, how="set from an e-mailed link")
        return response


class PasswordResetView(RefusedFormStatus, auth_views.PasswordResetView):
    """Send a single-use link to choose a new password; links always use SITE_URL."""

    template_name = "portal/password_reset.html"
    form_class = PasswordResetForm
    subject_template_name = "members/email/password_reset_subject.txt"
    email_template_name = "members/email/password_reset_body.txt"
    success_url = reverse_lazy("portal:password_reset_sent")

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        self.extra_email_context = {
            "domain": site.netloc,
            "protocol": site.scheme,
            "dialogue_name": settings.DIALOGUE_NAME,
            "organization_name": settings.ORGANIZATION_NAME,
        }
        return super().form_valid(form)


@require_safe
def password_reset_sent(request):
    """Confirmation that a reset link was sent if the address is known."""
    return render(request, "portal/password_reset_sent.html")


@require_safe
def password_set_done(request):
    """Confirmation that the password was set."""
    return render(request, "portal/password_set_done.html")


class PasswordChangeView(RefusedFormStatus, auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.account_password_changed(user=form.user, how="changed in the portal")
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
@require_safe
def home(request):
    """The start page of a logged-in person: their delegation and what they can do."""
    person = selectors.person_for_user(request.user)
    open_surveys = None
    if (
        person
        and person.delegation
        and survey_selectors.can_respond(request.user, person.delegation)
    ):
        open_surveys = survey_selectors.open_surveys_for_member(person.delegation)
    return render(request, "portal/home.html", {"person": person, "open_surveys": open_surveys})


@login_required
def profile(request):
    """A person's own settings: the language of the interface and of e-mails, and a time zone."""
    person = selectors.person_for_user(request.user)
    if person is None:
        raise Http404
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"preferred_language": person.preferred_language, "time_zone": person.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["preferred_language"]
        services.person_set_language(actor=request.user, person=person, language=language)
        time_zone = form.cleaned_data["time_zone"]
        if time_zone and time_zone != person.time_zone:
            services.person_set_time_zone(actor=request.user, person=person, time_zone=time_zone)
        translation.activate(language)
        messages.success(request, _("Your preferences have been saved."))
        return _apply_language(redirect(reverse("portal:profile")), language)
    return render(request, "portal/profile.html", {"person": person, "form": form})


def _own_delegation(request):
    person = selectors.person_for_user(request.user)
    if person is None or person.delegation is None or not person.is_active:
        raise PermissionDenied(_("Your account does not act for a delegation."))
    return person, person.delegation


@login_required
@require_safe
def delegation(request):
    """The persons of the viewer's delegation; a focal point can manage them here."""
    person, member = _own_delegation(request)
    return render(
        request,
        "portal/delegation.html",
        {
            "person": person,
            "member": member,
            "persons": selectors.delegation_persons(member),
            "can_manage": services.can_manage_delegation(request.user, member),
        },
    )


@login_required
def delegate_add(request):
    """A focal point adds a delegate, who receives an e-mail to set a password."""
    person, member = _own_delegation(request)
    if not services.can_manage_delegation(request.user, member):
        raise PermissionDenied(_("Only your delegation's focal point can add delegates."))
    form = DelegateForm(
        request.POST if request.method == "POST" else None,
        initial={"preferred_language": person.preferred_language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            added = services.delegate_add(
                actor=request.user, delegation=member, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("%(name)s has been added and will receive an e-mail to set a password.")
                % {"name": added.full_name},
            )
            return redirect("portal:delegation")
    return render(request, "portal/delegate_form.html", {"form": form, "member": member})


@login_required
@require_http_methods(["GET", "POST"])
def delegate_action(request, person_id: int, action: str):
    """Deactivate, reactivate or remove a delegate of the viewer's own delegation.

    Removal is confirmed on a page of its own (GET) before it is done (POST).
    """
    _person, member = _own_delegation(request)
    target = Person.objects.filter(pk=person_id, delegation=member).first()
    if target is None or action not in ("deactivate", "reactivate", "remove"):
        raise Http404
    if request.method == "GET":
        if action != "remove":
            return HttpResponseNotAllowed(["POST"])
        if not services.can_manage_delegation(request.user, member):
            raise PermissionDenied(_("Only your delegation's focal point can remove delegates."))
        return render(request, "portal/delegate_remove.html", {"target": target, "member": member})
    try:
        if action == "deactivate":
            services.delegate_set_active(actor=request.user, person=target, active=False)
            done = _("%(name)s has been deactivated.")
        elif action == "reactivate":
            services.delegate_set_active(actor=request.user, person=target, active=True)
            done = _("%(name)s has been reactivated.")
        else:
            services.delegate_remove(actor=request.user, person=target)
            done = _("%(name)s has been removed from the delegation.")
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"name": target.full_name})
    return redirect("portal:delegation")
