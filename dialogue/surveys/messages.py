"""The invitation and reminder e-mails of a survey, in each person's language."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dialogue.members.models import Member, Person
from dialogue.surveys.models import MessageTemplate, Survey


def default_text(kind: str, language: str) -> tuple[str, str]:
    """The built-in subject and body of an invitation or reminder, in `language`."""
    with translation.override(language):
        if kind == MessageTemplate.Kind.INVITATION:
            return (
                _("Survey: {title}"),
                _(
                    "The Administration invites the delegation of {delegation} to answer the "
                    'survey "{title}".\n\nThe survey closes on {closes}.\n\n'
                    "Answer in the delegates' portal:\n{link}\n"
                ),
            )
        return (
            _("Reminder: survey {title}"),
            _(
                'The delegation of {delegation} has not yet answered the survey "{title}".\n\n'
                "The survey closes on {closes}; no answer can be accepted after that time.\n\n"
                "Answer in the delegates' portal:\n{link}\n"
            ),
        )


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def render(survey: Survey, kind: str, member: Member, language: str) -> tuple[str, str]:
    """Subject and body for one delegation in one language, from staff's text or the default.

    Placeholders {title}, {closes}, {link} and {delegation} are replaced; anything else
    in braces is left as written.
    """
    custom = MessageTemplate.objects.filter(survey=survey, kind=kind, language=language).first()
    subject, body = (custom.subject, custom.body) if custom else default_text(kind, language)
    with translation.override(language):
        closes = (
            timezone.localtime(survey.closes_at).strftime("%d.%m.%Y %H:%M")
            + " ("
            + str(_("Geneva time"))
            + ")"
        )
        link = settings.SITE_URL.rstrip("/") + reverse("portal:survey", kwargs={"pk": survey.pk})
        values = {
            "title": survey.title,
            "closes": closes,
            "link": link,
            "delegation": member.name,
        }
    subject = _fill(subject, values).replace("\r", " ").replace("\n", " ")
    return subject[:200], _fill(body, values)


def recipients(member: Member) -> list[Person]:
    """The active delegates and focal points of a delegation who have an e-mail address."""
    return list(
        Person.objects.filter(
            delegation=member, is_active=True, role__in=Person.DELEGATION_ROLES
        ).exclude(email="")
    )
