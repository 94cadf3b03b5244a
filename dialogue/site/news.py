"""The public news of the dialogue: decisions recorded, events confirmed, held or
cancelled, and publications, merged by date. Only public, published things appear."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dialogue.core.i18n import localized
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Decision
from dialogue.cycles.selectors import recent_decisions
from dialogue.documents.selectors import public_documents
from dialogue.events import calendar
from dialogue.events.models import Event

NEWS_EVENT_STATUSES = (Event.Status.CONFIRMED, Event.Status.HELD, Event.Status.CANCELLED)


@dataclass(frozen=True)
class NewsItem:
    """One piece of news: what happened, a short text, the page to read more, and when."""

    key: str
    title: str
    summary: str
    link: str
    when: datetime.datetime


def _decision_item(decision: Decision) -> NewsItem:
    chosen = "; ".join(localized(p, "title") for p in decision.proposals.all())
    values = {"cycle": localized(decision.cycle, "name"), "chosen": chosen}
    if decision.subject == Decision.Subject.THEME:
        title = _("%(cycle)s: overarching theme chosen: %(chosen)s") % values
    else:
        title = _("%(cycle)s: workshop topics chosen: %(chosen)s") % values
    if decision.basis == Decision.Basis.CONSENSUS and decision.consultation_id:
        how = _("Chosen by consensus at the informal consultation of %(date)s.") % {
            "date": date_format(decision.consultation.held_on, "DATE_FORMAT")
        }
    elif decision.survey_id:
        how = _("Chosen by the survey “%(survey)s”.") % {
            "survey": localized(decision.survey, "title")
        }
    else:
        how = ""
    return NewsItem(
        key=f"decision-{decision.pk}",
        title=title,
        summary=how,
        link=reverse("site:cycle", kwargs={"year": decision.cycle.year}),
        when=decision.recorded_at,
    )


def _status_changed_at(events: list[Event]) -> dict[int, datetime.datetime]:
    """When each event last took its present status, as recorded in the audit trail."""
    by_id = {str(event.pk): event for event in events}
    entries = (
        AuditEntry.objects.filter(
            object_type=Event._meta.label_lower,
            object_id__in=list(by_id),
            changes__has_key="status",
        )
        .order_by("at", "id")
        .values_list("object_id", "at", "changes")
    )
    changed: dict[int, datetime.datetime] = {}
    for object_id, at, changes in entries:
        event = by_id[object_id]
        status = changes.get("status")
        if isinstance(status, list) and status and status[-1] == event.status:
            changed[event.pk] = at
    return changed


def _fallback_date(event: Event) -> datetime.datetime | None:
    day = event.end_date or event.start_date
    if event.precision != Event.Precision.DAY or day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _event_items() -> list[NewsItem]:
    events = list(calendar.public_events().filter(status__in=NEWS_EVENT_STATUSES))
    changed = _status_changed_at(events)
    headings = {
        Event.Status.CONFIRMED: _("Event confirmed: %(title)s"),
        Event.Status.HELD: _("Event held: %(title)s"),
        Event.Status.CANCELLED: _("Event cancelled: %(title)s"),
    }
    items = []
    for event in events:
        when = changed.get(event.pk) or _fallback_date(event)
        if when is None:
            continue
        items.append(
            NewsItem(
                key=f"event-{event.pk}-{event.status}",
                title=headings[event.status] % {"title": event.title},
                summary=event.get_kind_display(),
                link=reverse("site:event", kwargs={"pk": event.pk}),
                when=when,
            )
        )
    return items


def _publication_items(limit: int) -> list[NewsItem]:
    documents = public_documents().order_by("-published_at", "-id")[:limit]
    return [
        NewsItem(
            key=f"document-{document.pk}",
            title=_("Published: %(title)s") % {"title": document.title},
            summary=document.summary,
            link=reverse("site:document", kwargs={"pk": document.pk}),
            when=document.published_at,
        )
        for document in documents
    ]


def latest_news(limit: int = 30) -> list[NewsItem]:
    """The `limit` latest public news items, latest first; never anything members-only,
    staff-only, unpublished or about an event kept off the public website."""
    items = [_decision_item(d) for d in recent_decisions(limit)]
    items += _event_items()
    items += _publication_items(limit)
    items.sort(key=lambda item: (item.when, item.key), reverse=True)
    return items[:limit]
