"""The public website's events: upcoming and past, one event's page, and their calendars."""

import datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialogue.core import clock
from dialogue.core.i18n import FALLBACK_LANGUAGE, current_language, is_fallback, localized
from dialogue.core.pages import render
from dialogue.documents.selectors import documents_for_event
from dialogue.events import calendar
from dialogue.events.models import Event
from dialogue.funding.selectors import interpretation_offered
from dialogue.members.rules import country_names
from dialogue.site.cache import public_page

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often a subscribed calendar program should fetch a feed again.
FEED_REFRESH = datetime.timedelta(hours=12)
OUTCOME_SECTIONS = (
    ("outcome_summary", gettext_lazy("Summary of the outcome")),
    ("recommendations", gettext_lazy("Recommendations")),
    ("follow_up", gettext_lazy("Follow-up")),
)


def calendar_response(body: bytes, filename: str) -> HttpResponse:
    """An iCalendar file, shown by the browser or handed to a calendar program."""
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def _text(event: Event, field: str) -> dict[str, str] | None:
    """A multilingual text with the language it is shown in, when that is the fallback."""
    text = localized(event, field)
    if not text:
        return None
    return {"text": text, "lang": FALLBACK_LANGUAGE if is_fallback(event, field) else ""}


def _language_names(codes: list[str]) -> list[str]:
    names = dict(settings.LANGUAGES)
    return [str(names.get(code, code)) for code in codes]


def _country(code: str) -> str:
    if not code:
        return ""
    try:
        return country_names(code)["name"][current_language()]
    except KeyError:
        return code


@public_page
def event_list(request):
    """Upcoming events, soonest first, then past ones, latest first; cancelled ones with why."""
    today = clock.today()
    events = list(calendar.public_events())
    upcoming = sorted(
        (e for e in events if not calendar.is_over(e, today)), key=calendar.date_order
    )
    past = sorted(
        (e for e in events if calendar.is_over(e, today)), key=calendar.date_order, reverse=True
    )
    return render(request, "site/events/list.html", {"upcoming": upcoming, "past": past})


@public_page
def event_detail(request, pk: int):
    """A public event: dates, venue, partners, audience, languages, status, outcomes, and
    its materials and reports that the viewer may see."""
    event = get_object_or_404(calendar.public_events().prefetch_related("partners"), pk=pk)
    offered = interpretation_offered(event) if event.interpretation_languages else []
    outcomes = []
    if event.status == Event.Status.HELD:
        for field, heading in OUTCOME_SECTIONS:
            text = _text(event, field)
            if text:
                outcomes.append({"heading": heading, **text})
    return render(
        request,
        "site/events/detail.html",
        {
            "event": event,
            "description": _text(event, "description"),
            "country": _country(event.country),
            "partners": list(event.partners.all()),
            "working_languages": _language_names(event.working_languages or []),
            "interpretation_languages": _language_names(offered),
            "outcomes": outcomes,
            "calendar_ready": calendar.is_calendar_ready(event),
            "documents": list(documents_for_event(request.user, event)),
        },
    )


def event_ics(request, pk: int):
    """One public event as an iCalendar file; only for an event whose days are known."""
    event = get_object_or_404(calendar.public_events(), pk=pk)
    if not calendar.is_calendar_ready(event):
        raise Http404
    body = calendar.to_ics([event], name=event.title)
    return calendar_response(body, f"event-{event.pk}.ics")


@public_page
def events_feed(request):
    """Every public event whose days are known, as a calendar to subscribe to; anonymous
    subscribers share a copy for a short time."""
    name = _("%(dialogue)s: events") % {"dialogue": settings.DIALOGUE_NAME}
    body = calendar.to_ics(calendar.public_feed_events(), name=name, refresh=FEED_REFRESH)
    return calendar_response(body, "events.ics")
