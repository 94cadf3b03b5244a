"""Events as iCalendar (RFC 5545): one event, or a feed of events."""

import datetime
import zoneinfo

from django.conf import settings
from icalendar import Calendar, Timezone, vText
from icalendar import Event as VEvent

from dialogue.events.models import Event

PRODID = "-//Dialogue//Events//EN"


def is_calendar_ready(event: Event) -> bool:
    """True when the event has real days; imprecise dates never enter a calendar."""
    return (
        event.precision == Event.Precision.DAY
        and event.start_date is not None
        and event.status not in (Event.Status.CANCELLED, Event.Status.POSTPONED)
    )


def _uid(event: Event) -> str:
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0] or "dialogue"
    return f"event-{event.pk}@{host}"


def _component(event: Event, stamp: datetime.datetime) -> VEvent:
    item = VEvent()
    item.add("uid", _uid(event))
    item.add("dtstamp", stamp)
    item.add("summary", event.title)
    last = event.end_date or event.start_date
    if event.start_time:
        zone = zoneinfo.ZoneInfo(event.time_zone or settings.TIME_ZONE)
        end_time = event.end_time or event.start_time
        item.add("dtstart", datetime.datetime.combine(event.start_date, event.start_time, zone))
        end = datetime.datetime.combine(last, end_time, zone)
        if end <= datetime.datetime.combine(event.start_date, event.start_time, zone):
            end += datetime.timedelta(hours=1)
        item.add("dtend", end)
    else:
        item.add("dtstart", event.start_date)
        item.add("dtend", last + datetime.timedelta(days=1))
    where = ", ".join(p for p in (event.place, event.city) if p)
    if where:
        item.add("location", vText(where))
    if event.description:
        item.add("description", event.description)
    item.add("status", "CONFIRMED" if event.status in ("confirmed", "held") else "TENTATIVE")
    item.add("url", settings.SITE_URL.rstrip("/") + f"/en/events/{event.pk}/")
    return item


def to_ics(events, *, name: str, stamp: datetime.datetime | None = None) -> bytes:
    """A calendar of the events whose days are known, with their time zones defined."""
    stamp = stamp or datetime.datetime.now(datetime.UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    ready = [event for event in events if is_calendar_ready(event)]
    zones = {event.time_zone or settings.TIME_ZONE for event in ready if event.start_time}
    for zone in sorted(zones):
        calendar.add_component(Timezone.from_tzid(zone))
    for event in ready:
        calendar.add_component(_component(event, stamp))
    return calendar.to_ical()
