"""E-mails of invitations and registrations, each in the recipient's own language.

An invitation carries the event's calendar (.ics) once its days are known; until then
it says that the date will be communicated in due course.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from dialogue.core.actors import SYSTEM
from dialogue.core.i18n import localized
from dialogue.events import calendar, registration, selectors
from dialogue.events.models import Event, Invitation, Registration
from dialogue.mail import services as mail
from dialogue.mail.models import Message
from dialogue.members.models import Person


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def portal_event_link(event: Event, language: str) -> str:
    """The event's page in the delegates' portal, in a language."""
    with translation.override(language):
        return _absolute(reverse("portal:event", kwargs={"pk": event.pk}))


def invitation_link(token: str, language: str) -> str:
    """The page a personal invitation link opens, in a language."""
    with translation.override(language):
        return _absolute(reverse("portal:invitation", kwargs={"token": token}))


def public_event_link(event: Event, language: str) -> str:
    """The event's page on the public website, in a language."""
    with translation.override(language):
        try:
            path = reverse("site:event", kwargs={"pk": event.pk})
        except NoReverseMatch:
            path = f"/{language}/events/{event.pk}/"
    return _absolute(path)


def _page_for(person: Person, event: Event) -> str:
    """Where a person follows the event: the portal for a delegation, else the public page."""
    language = person.preferred_language
    if person.delegation_id:
        return portal_event_link(event, language)
    if event.is_public:
        return public_event_link(event, language)
    return ""


def _facts(event: Event, language: str) -> str:
    """The event's dates (as precisely as known) and venue, for the body of an e-mail."""
    if calendar.is_calendar_ready(event):
        lines = [_("Dates: %(dates)s") % {"dates": selectors.dates_text(event, language)}]
    else:
        lines = [_("The date will be communicated in due course.")]
    venue = ", ".join(part for part in (event.place, event.city) if part)
    if venue:
        lines.append(_("Venue: %(venue)s") % {"venue": venue})
    return "\n".join(lines)


def _with_calendar(message: EmailMessage, event: Event) -> EmailMessage:
    """Attach the event's .ics when its days are known (in the active language)."""
    if calendar.is_calendar_ready(event):
        message.attach(
            f"event-{event.pk}.ics", calendar.to_ics([event], name=event.title), "text/calendar"
        )
    return message


def _message(person: Person, subject: str, body: str, connection) -> EmailMessage:
    return EmailMessage(_one_line(subject)[:200], body, None, [person.email], connection=connection)


def delegation_recipients(invitation: Invitation) -> list[Person]:
    """The active delegates and focal points with an e-mail address of an invited member."""
    return list(
        Person.objects.filter(
            delegation_id=invitation.member_id,
            is_active=True,
            role__in=Person.DELEGATION_ROLES,
        ).exclude(email="")
    )


def invitation_message(
    invitation: Invitation, person: Person, token: str, connection=None
) -> EmailMessage:
    """The invitation e-mail to one person, in their language, with the event's calendar."""
    event = invitation.event
    language = person.preferred_language
    with translation.override(language):
        values = {
            "title": event.title,
            "dialogue": str(settings.DIALOGUE_NAME),
            "organization": str(settings.ORGANIZATION_NAME),
            "facts": _facts(event, language),
        }
        subject = _("Invitation: %(title)s") % values
        if token:
            body = _(
                "Dear %(name)s,\n\n"
                "The Administration of the %(dialogue)s invites you to %(title)s.\n\n"
                "%(facts)s\n\n"
                "To register, or to cancel your registration later, use your personal link. "
                "It is valid for this event only; please do not share it:\n%(link)s\n\n"
                "%(organization)s\n"
            ) % {**values, "name": person.full_name, "link": invitation_link(token, language)}
        else:
            body = _(
                "The Administration of the %(dialogue)s invites the delegation of "
                "%(delegation)s to %(title)s.\n\n"
                "%(facts)s\n\n"
                "Register in the delegates' portal; a focal point can also register several "
                "persons of the delegation there:\n%(link)s\n\n"
                "%(organization)s\n"
            ) % {
                **values,
                "delegation": invitation.member.name,
                "link": portal_event_link(event, language),
            }
        return _with_calendar(_message(person, subject, body, connection), event)


@task()
def send_invitations(invitation_ids: list[int]) -> int:
    """E-mail invitations: to each delegate of an invited member, or to an invited person.

    A personal invitation gets a new link each time it is sent; the link and its e-mails
    are recorded together, so an invitation is never marked sent without them. An
    organization's own invitation is e-mailed to nobody: its persons are invited in
    person, each with a link.
    """
    invitations = Invitation.objects.filter(pk__in=invitation_ids).select_related(
        "event", "member", "organization", "person"
    )
    queued = 0
    for invitation in invitations:
        if invitation.person_id and not (invitation.person.is_active and invitation.person.email):
            continue
        with transaction.atomic():
            token = registration.invitation_mark_sent(actor=SYSTEM, invitation=invitation)
            if invitation.member_id:
                people = delegation_recipients(invitation)
            elif invitation.person_id:
                people = [invitation.person]
            else:
                people = []
            for person in people:
                mail.queue_email(
                    invitation_message(invitation, person, token),
                    kind=Message.Kind.EVENT_INVITATION,
                    about=invitation.event,
                    language=person.preferred_language,
                    personal_links=[invitation_link(token, person.preferred_language)]
                    if token
                    else [],
                )
        queued += len(people)
    return queued


def _status_text(registration_: Registration, reason: str) -> tuple[str, str]:
    """Subject and first paragraph telling a person where their registration stands."""
    event = registration_.event
    values = {"title": event.title}
    status = registration_.status
    if reason == "rejected":
        return (
            _("Registration not approved: %(title)s") % values,
            _("Your registration for %(title)s could not be approved.") % values,
        )
    if reason == "approved":
        return (
            _("Registration approved: %(title)s") % values,
            _(
                "Your registration for %(title)s has been approved. We look forward to "
                "welcoming you."
            )
            % values,
        )
    if reason == "promoted":
        if status == Registration.Status.PENDING:
            return (
                _("A place has become free: %(title)s") % values,
                _(
                    "A place has become free at %(title)s. Your registration now awaits "
                    "approval by the secretariat, which will write to you."
                )
                % values,
            )
        return (
            _("A place has become free: %(title)s") % values,
            _("A place has become free at %(title)s: you are now registered.") % values,
        )
    if status == Registration.Status.WAITING:
        return (
            _("Waiting list: %(title)s") % values,
            _(
                "You have been put on the waiting list for %(title)s (position %(position)d). "
                "You will be told by e-mail if a place becomes free."
            )
            % {**values, "position": registration.waiting_position(registration_) or 1},
        )
    if status == Registration.Status.PENDING:
        return (
            _("Registration received: %(title)s") % values,
            _(
                "You have been registered for %(title)s. The registration awaits approval by "
                "the secretariat, which will write to you."
            )
            % values,
        )
    return (
        _("Registration confirmed: %(title)s") % values,
        _("You have been registered for %(title)s.") % values,
    )


@task()
def notify_registration(registration_id: int, reason: str) -> int:
    """Tell a person, in their language, where their registration stands and why it changed.

    `reason` is "registered" (by someone else for them), "promoted" (from the waiting
    list), "approved" or "rejected". A confirmed place comes with the event's calendar.
    """
    registration_ = Registration.objects.select_related("event", "person").get(pk=registration_id)
    person, event = registration_.person, registration_.event
    if not person.email:
        return 0
    language = person.preferred_language
    with translation.override(language):
        subject, opening = _status_text(registration_, reason)
        link = _page_for(person, event)
        parts = [opening, _facts(event, language)]
        if link:
            parts.append(_("The event's page:\n%(link)s") % {"link": link})
        parts.append(str(settings.ORGANIZATION_NAME))
        message = _message(person, subject, "\n\n".join(parts) + "\n", None)
        if registration_.status == Registration.Status.REGISTERED and reason != "rejected":
            _with_calendar(message, event)
    mail.queue_email(
        message, kind=Message.Kind.REGISTRATION, about=registration_, language=language
    )
    return 1


def follow_up_message(registration_: Registration, connection=None) -> EmailMessage:
    """The e-mail after an event: thanks, the outcome if written, the event's published
    public materials with their links, and where further papers will be."""
    from dialogue.documents.selectors import public_documents

    person, event = registration_.person, registration_.event
    language = person.preferred_language
    with translation.override(language):
        values = {
            "name": person.full_name,
            "title": event.title,
            "link": public_event_link(event, language)
            if event.is_public
            else portal_event_link(event, language),
            "organization": str(settings.ORGANIZATION_NAME),
        }
        subject = _("After %(title)s: materials and report") % values
        body = _("Dear %(name)s,\n\nThank you for taking part in %(title)s.") % values
        summary = localized(event, "outcome_summary", language)
        if summary:
            body += "\n\n" + _("Summary of the outcome:\n%(summary)s") % {"summary": summary}
        materials = [
            _("- %(title)s (%(kind)s):\n  %(link)s")
            % {
                "title": _one_line(localized(document, "title", language)),
                "kind": document.get_kind_display(),
                "link": document.external_url
                or _absolute(reverse("site:document", kwargs={"pk": document.pk})),
            }
            for document in public_documents()
            .filter(event=event)
            .order_by("kind", "published_at", "id")
        ]
        if materials:
            body += "\n\n" + _("Published so far:\n%(materials)s") % {
                "materials": "\n".join(materials)
            }
        body += "\n\n" + (
            _(
                "The materials of the event and its report are published on its page as "
                "they become available:\n%(link)s\n\n%(organization)s\n"
            )
            % values
        )
        return _message(person, subject, body, connection)


@task()
@transaction.atomic
def send_follow_up(registration_ids: list[int]) -> int:
    """E-mail the follow-up of an event to the given participants, each in their language."""
    registrations = Registration.objects.filter(pk__in=registration_ids).select_related(
        "event", "person"
    )
    queued = 0
    for registration_ in registrations:
        if registration_.person.email:
            mail.queue_email(
                follow_up_message(registration_),
                kind=Message.Kind.FOLLOW_UP,
                about=registration_.event,
                language=registration_.person.preferred_language,
            )
            queued += 1
    return queued
