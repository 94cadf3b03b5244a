"""Background work of the events app."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from dialogue.events import rules, selectors
from dialogue.events.models import Event
from dialogue.mail import services as mail
from dialogue.mail.models import Message


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@task()
@transaction.atomic
def notify_date_change(event_id: int, previous: dict) -> int:
    """Tell every invited person, in their language, that the event's date was set or changed.

    Nothing is sent about an event already held or cancelled. The e-mails are queued
    together: all of them or, if this fails, none (the task can then run again).
    """
    event = Event.objects.get(pk=event_id)
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED):
        return 0
    people = selectors.invited_people(event)
    queued = 0
    for person in people:
        with translation.override(person.preferred_language):
            dates = rules.describe_dates(
                precision=event.precision,
                year=event.year,
                month=event.month,
                seasons=list(event.seasons or []),
                start_date=event.start_date,
                end_date=event.end_date,
                language=person.preferred_language,
            )
            before = rules.describe_dates(
                precision=previous.get("precision", "tbd"),
                year=previous.get("year"),
                month=previous.get("month"),
                seasons=previous.get("seasons") or [],
                start_date=_date(previous.get("start_date")),
                end_date=_date(previous.get("end_date")),
                language=person.preferred_language,
            )
            subject = _("New date: %(title)s") % {"title": event.title}
            body = _(
                "The date of %(title)s is now: %(dates)s.\n\n"
                "Previously announced: %(previous)s.\n\n%(organization)s\n"
            ) % {
                "title": event.title,
                "dates": dates,
                "previous": before,
                "organization": settings.ORGANIZATION_NAME,
            }
        mail.queue(
            to=[person.email],
            subject=subject,
            body=body,
            kind=Message.Kind.DATE_CHANGE,
            about=event,
            language=person.preferred_language,
        )
        queued += 1
    return queued
