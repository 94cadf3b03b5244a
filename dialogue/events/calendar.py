"""What is on the calendar: the public events, a person's events, and iCalendar (RFC 5545).

An event enters a calendar file only when its days are known; a month, a season,
a year or "to be determined" is never turned into a made-up day.
"""

import calendar as month_calendar
import datetime
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar, Timezone, vDuration
from icalendar import Event as VEvent

from dialogue.core.i18n import current_language
from dialogue.events.models import Event, Registration
from dialogue.members.models import Person
from dialogue.members.rules import country_names

PRODID = "-//Dialogue//Events//EN"
# The month each season starts in, to order events known only to a season.
SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}


def public_events() -> QuerySet[Event]:
    """Events shown on the public website: public ones past the proposal stage."""
    return (
        Event.objects.filter(is_public=True)
        .exclude(status=Event.Status.PROPOSED)
        .select_related("cycle", "host")
    )


def public_feed_events() -> list[Event]:
    """The public events a calendar can hold: known days, neither cancelled nor postponed."""
    return [
        event for event in public_events().order_by("start_date", "id") if is_calendar_ready(event)
    ]


def person_feed_events(person: Person) -> list[Event]:
    """The events of a person's delegation a calendar can hold.

    Those the delegation (for its delegates and focal points), the person's organization
    or the person is invited to, and those the person registered for and still holds a
    place or a request at.
    """
    reached = Q(invitations__person=person) | Q(
        registrations__person=person, registrations__status__in=Registration.ACTIVE
    )
    if person.delegation_id and person.role in Person.DELEGATION_ROLES:
        reached |= Q(invitations__member_id=person.delegation_id)
    if person.organization_id:
        reached |= Q(invitations__organization_id=person.organization_id)
    ids = Event.objects.filter(reached).exclude(status=Event.Status.PROPOSED).values("pk")
    events = Event.objects.filter(pk__in=ids).order_by("start_date", "id")
    return [event for event in events if is_calendar_ready(event)]


def is_calendar_ready(event: Event) -> bool:
    """True when the event has real days; imprecise dates never enter a calendar."""
    return (
        event.precision == Event.Precision.DAY
        and event.start_date is not None
        and event.status not in (Event.Status.CANCELLED, Event.Status.POSTPONED)
    )


def is_over(event: Event, today: datetime.date) -> bool:
    """True when the event belongs with past events on `today`.

    Held and cancelled events are past; a postponed one waits for its new date. Otherwise
    an event is past once the last day it could fall on has gone by: its last day, the
    end of its month, or the end of its year for a season or a year.
    """
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED):
        return True
    if event.status == Event.Status.POSTPONED:
        return False
    if event.precision == Event.Precision.DAY and event.start_date:
        return (event.end_date or event.start_date) < today
    if event.precision == Event.Precision.MONTH and event.year and event.month:
        last = month_calendar.monthrange(event.year, event.month)[1]
        return datetime.date(event.year, event.month, last) < today
    if event.precision in (Event.Precision.SEASON, Event.Precision.YEAR) and event.year:
        # Winter runs into the next year.
        last_year = event.year + (1 if "winter" in (event.seasons or []) else 0)
        return last_year < today.year
    return False


def date_order(event: Event) -> tuple[datetime.date, int]:
    """A key that orders events by the earliest day they could fall on; undated ones last."""
    if event.precision == Event.Precision.DAY and event.start_date:
        return event.start_date, event.pk or 0
    if event.precision == Event.Precision.MONTH and event.year and event.month:
        return datetime.date(event.year, event.month, 1), event.pk or 0
    if event.precision == Event.Precision.SEASON and event.year and event.seasons:
        month = min(SEASON_MONTHS.get(season, 12) for season in event.seasons)
        return datetime.date(event.year, month, 1), event.pk or 0
    if event.precision == Event.Precision.YEAR and event.year:
        return datetime.date(event.year, 1, 1), event.pk or 0
    return datetime.date.max, event.pk or 0


def _zone(event: Event) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(event.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _uid(event: Event) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "dialogue"
    return f"event-{event.pk}@{host}"


def _page_url(event: Event) -> str:
    with translation.override("en"):
        path = reverse("site:event", kwargs={"pk": event.pk})
    return settings.SITE_URL.rstrip("/") + path


def _location(event: Event) -> str:
    country = ""
    if event.country:
        try:
            country = country_names(event.country)["name"][current_language()]
        except KeyError:
            country = event.country
    return ", ".join(part for part in (event.place, event.city, country) if part)


def _add_times(item: VEvent, event: Event) -> None:
    """DTSTART and DTEND: in the event's time zone when its times are known, else whole days.

    Whole days end on the day after the last (DTEND is exclusive). A known start without
    a known end is not given one: a single day starts at its time and has no DTEND, and
    several days are shown as whole days.
    """
    first = event.start_date
    last = event.end_date or first
    zone = _zone(event)
    if event.start_time and zone and (event.end_time or last == first):
        start = datetime.datetime.combine(first, event.start_time, zone)
        item.add("dtstart", start)
        if event.end_time:
            end = datetime.datetime.combine(last, event.end_time, zone)
            if end > start:
                item.add("dtend", end)
        return
    item.add("dtstart", first)
    item.add("dtend", last + datetime.timedelta(days=1))


def _component(event: Event, stamp: datetime.datetime) -> VEvent:
    item = VEvent()
    item.add("uid", _uid(event))
    item.add("dtstamp", stamp)
    item.add("summary", event.title)
    _add_times(item, event)
    location = _location(event)
    if location:
        item.add("location", location)
    if event.description:
        item.add("description", event.description)
    confirmed = event.status in (Event.Status.CONFIRMED, Event.Status.HELD)
    item.add("status", "CONFIRMED" if confirmed else "TENTATIVE")
    item.add("url", _page_url(event))
    return item


def _timezones(components: list[VEvent]) -> list[Timezone]:
    """A VTIMEZONE for every TZID the events use, covering the years they fall in."""
    years: dict[str, set[int]] = {}
    for item in components:
        for name in ("dtstart", "dtend"):
            if name in item and "TZID" in item[name].params:
                value = item.decoded(name)
                years.setdefault(item[name].params["TZID"], set()).add(value.year)
    return [
        Timezone.from_tzid(
            tzid,
            first_date=datetime.date(min(span), 1, 1),
            last_date=datetime.date(max(span) + 1, 1, 1),
        )
        for tzid, span in sorted(years.items())
    ]


def to_ics(
    events,
    *,
    name: str,
    stamp: datetime.datetime | None = None,
    refresh: datetime.timedelta | None = None,
) -> bytes:
    """A calendar of the events whose days are known, with their time zones defined.

    `refresh` tells subscribing calendar programs how often to fetch a feed again.
    Texts are in the active language; the events link to their public page in English.
    """
    stamp = (stamp or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if refresh:
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    components = [_component(event, stamp) for event in events if is_calendar_ready(event)]
    for zone in _timezones(components):
        calendar.add_component(zone)
    for item in components:
        calendar.add_component(item)
    return calendar.to_ical()
