"""Events as iCalendar: the output parsed back and checked field by field, and what enters it."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation
from icalendar import Calendar

from dialogue.events import calendar
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory, InvitationFactory
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory, PersonFactory

STAMP = datetime.datetime(2007, 5, 1, 8, 0, tzinfo=datetime.UTC)
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")
BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")


def dated(**values) -> Event:
    values.setdefault("precision", Event.Precision.DAY)
    values.setdefault("start_date", datetime.date(2007, 6, 18))
    values.setdefault("status", Event.Status.CONFIRMED)
    return EventFactory(**values)


@pytest.fixture
def events(db):
    """Three events a calendar can hold and five it cannot."""
    return {
        "timed": dated(
            title_en="Expert seminar on labour migration",
            start_date=datetime.date(2007, 10, 8),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(17, 0),
            place="Palais des Nations",
            city="Geneva",
            country="CHE",
        ),
        "days": dated(
            title_en="Intersessional workshop",
            start_date=datetime.date(2007, 6, 18),
            end_date=datetime.date(2007, 6, 19),
            status=Event.Status.PLANNING,
        ),
        "bangkok": dated(
            title_en="Training in Bangkok",
            start_date=datetime.date(2008, 3, 10),
            end_date=datetime.date(2008, 3, 12),
            start_time=datetime.time(9, 0),
            end_time=datetime.time(17, 0),
            time_zone="Asia/Bangkok",
        ),
        "month": EventFactory(precision=Event.Precision.MONTH, year=2007, month=10),
        "season": EventFactory(
            precision=Event.Precision.SEASON, year=2007, seasons=["summer", "autumn"]
        ),
        "tbd": EventFactory(),
        "cancelled": dated(
            status=Event.Status.CANCELLED,
            cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
        ),
        "postponed": dated(status=Event.Status.POSTPONED),
    }


def ics(events, **kwargs) -> bytes:
    kwargs.setdefault("stamp", STAMP)
    return calendar.to_ics(list(events), name="IDM events", **kwargs)


def parsed(body: bytes) -> tuple[Calendar, dict[str, object]]:
    """The calendar and its VEVENTs by SUMMARY."""
    parsed_calendar = Calendar.from_ical(body)
    items = {str(item["summary"]): item for item in parsed_calendar.walk("VEVENT")}
    return parsed_calendar, items


# The calendar as a whole


def test_the_calendar_names_its_version_producer_and_method(events):
    result, _items = parsed(ics(events.values()))
    assert result["version"] == "2.0"
    assert result["prodid"] == calendar.PRODID
    assert result["calscale"] == "GREGORIAN"
    assert result["method"] == "PUBLISH"
    assert result["x-wr-calname"] == "IDM events"


def test_only_events_with_known_days_are_in_it(events):
    _result, items = parsed(ics(events.values()))
    assert set(items) == {
        "Expert seminar on labour migration",
        "Intersessional workshop",
        "Training in Bangkok",
    }


def test_an_imprecise_date_is_never_given_a_day(events):
    imprecise = [events[key] for key in ("month", "season", "tbd", "cancelled", "postponed")]
    result, items = parsed(ics(imprecise))
    assert items == {}
    assert not result.walk("VTIMEZONE")


def test_uids_are_unique_and_stable_across_languages_and_time(events):
    first = [str(item["uid"]) for item in Calendar.from_ical(ics(events.values())).walk("VEVENT")]
    with translation.override("fr"):
        later = ics(events.values(), stamp=STAMP + datetime.timedelta(days=30))
    again = [str(item["uid"]) for item in Calendar.from_ical(later).walk("VEVENT")]
    assert len(set(first)) == 3
    assert first == again
    assert first[0] == f"event-{events['timed'].pk}@127.0.0.1"


def test_a_timed_event_is_in_its_own_time_zone(events):
    _result, items = parsed(ics(events.values()))
    item = items["Expert seminar on labour migration"]
    assert item["dtstart"].params["TZID"] == "Europe/Zurich"
    assert item["dtend"].params["TZID"] == "Europe/Zurich"
    assert item.decoded("dtstart") == datetime.datetime(2007, 10, 8, 9, 30, tzinfo=ZURICH)
    assert item.decoded("dtend") == datetime.datetime(2007, 10, 8, 17, 0, tzinfo=ZURICH)
    assert item.decoded("dtstart").utcoffset() == datetime.timedelta(hours=2)


def test_a_timed_event_over_several_days_runs_from_the_first_start_to_the_last_end(events):
    _result, items = parsed(ics(events.values()))
    item = items["Training in Bangkok"]
    assert item["dtstart"].params["TZID"] == "Asia/Bangkok"
    assert item.decoded("dtstart") == datetime.datetime(2008, 3, 10, 9, 0, tzinfo=BANGKOK)
    assert item.decoded("dtend") == datetime.datetime(2008, 3, 12, 17, 0, tzinfo=BANGKOK)


def test_whole_days_are_dates_and_the_end_is_the_day_after_the_last(events):
    body = ics(events.values())
    _result, items = parsed(body)
    item = items["Intersessional workshop"]
    assert item["dtstart"].params["VALUE"] == "DATE"
    assert item.decoded("dtstart") == datetime.date(2007, 6, 18)
    assert item.decoded("dtend") == datetime.date(2007, 6, 20)
    assert b"DTSTART;VALUE=DATE:20070618\r\n" in body
    assert b"DTEND;VALUE=DATE:20070620\r\n" in body


def test_a_single_whole_day_ends_the_next_day(db):
    body = ics([dated(start_date=datetime.date(2007, 7, 6))])
    _result, items = parsed(body)
    (item,) = items.values()
    assert item.decoded("dtstart") == datetime.date(2007, 7, 6)
    assert item.decoded("dtend") == datetime.date(2007, 7, 7)


def test_every_time_zone_used_is_defined(events):
    result, _items = parsed(ics(events.values()))
    used = {
        item[name].params["TZID"]
        for item in result.walk("VEVENT")
        for name in ("dtstart", "dtend")
        if name in item and "TZID" in item[name].params
    }
    defined = [str(zone["tzid"]) for zone in result.walk("VTIMEZONE")]
    assert used == {"Europe/Zurich", "Asia/Bangkok"}
    assert sorted(defined) == sorted(used)


def test_a_time_zone_definition_has_its_summer_and_winter_offsets(events):
    result, _items = parsed(ics(events.values()))
    zurich = next(z for z in result.walk("VTIMEZONE") if z["tzid"] == "Europe/Zurich")
    offsets = {
        (part.name, part.decoded("tzoffsetto")) for part in zurich.walk() if part is not zurich
    }
    assert ("DAYLIGHT", datetime.timedelta(hours=2)) in offsets
    assert ("STANDARD", datetime.timedelta(hours=1)) in offsets


def test_an_event_in_utc_needs_no_time_zone_definition(db):
    body = ics(
        [dated(start_time=datetime.time(12, 0), end_time=datetime.time(13, 0), time_zone="UTC")]
    )
    result, _items = parsed(body)
    assert b"DTSTART:20070618T120000Z\r\n" in body
    assert not result.walk("VTIMEZONE")


def test_the_stamp_is_in_utc(events):
    geneva = datetime.datetime(2007, 5, 1, 10, 0, tzinfo=ZURICH)
    body = ics(events.values(), stamp=geneva)
    _result, items = parsed(body)
    for item in items.values():
        assert item.decoded("dtstamp") == STAMP
    assert b"DTSTAMP:20070501T080000Z\r\n" in body


def test_each_event_has_its_summary_status_location_and_public_page(events, settings):
    settings.SITE_URL = "https://dialogue.example.org"
    events["timed"].description_en = "Labour mobility and development."
    events["timed"].save()
    _result, items = parsed(ics(events.values()))
    timed = items["Expert seminar on labour migration"]
    assert timed["status"] == "CONFIRMED"
    assert timed["location"] == "Palais des Nations, Geneva, Switzerland"
    assert timed["description"] == "Labour mobility and development."
    assert timed["url"] == f"https://dialogue.example.org/en/events/{events['timed'].pk}/"
    assert str(timed["uid"]) == f"event-{events['timed'].pk}@dialogue.example.org"
    assert items["Intersessional workshop"]["status"] == "TENTATIVE"
    assert "location" not in items["Intersessional workshop"]


def test_texts_are_in_the_active_language_and_links_stay_english(events):
    events["timed"].title_fr = "Séminaire d'experts sur la migration de main-d'œuvre"
    events["timed"].save()
    with translation.override("fr"):
        _result, items = parsed(ics([events["timed"]]))
    item = items["Séminaire d'experts sur la migration de main-d'œuvre"]
    assert item["location"] == "Palais des Nations, Geneva, Suisse"
    assert f"/en/events/{events['timed'].pk}/" in str(item["url"])


def test_lines_are_folded_at_75_octets_and_end_with_crlf(events):
    events["timed"].description_en = "Migration et développement — économie, société; " * 20
    events["timed"].title_en = "Séminaire " * 12
    events["timed"].save()
    body = ics(events.values())
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    _result, items = parsed(body)
    assert "Séminaire " * 12 in items


def test_a_feed_tells_calendar_programs_how_often_to_refresh(events):
    body = ics(events.values(), refresh=datetime.timedelta(hours=12))
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT12H\r\n" in body


# Known and unknown times


def test_a_start_time_without_an_end_is_not_given_one(db):
    body = ics([dated(start_time=datetime.time(10, 0))])
    _result, items = parsed(body)
    (item,) = items.values()
    assert item.decoded("dtstart") == datetime.datetime(2007, 6, 18, 10, 0, tzinfo=ZURICH)
    assert "dtend" not in item


def test_several_days_with_only_a_start_time_are_whole_days(db):
    event = dated(end_date=datetime.date(2007, 6, 19), start_time=datetime.time(10, 0))
    _result, items = parsed(ics([event]))
    (item,) = items.values()
    assert item.decoded("dtstart") == datetime.date(2007, 6, 18)
    assert item.decoded("dtend") == datetime.date(2007, 6, 20)


def test_an_unknown_time_zone_gives_whole_days_rather_than_a_wrong_time(db):
    event = dated(
        start_time=datetime.time(9, 0), end_time=datetime.time(10, 0), time_zone="Mars/Olympus"
    )
    result, items = parsed(ics([event]))
    (item,) = items.values()
    assert item.decoded("dtstart") == datetime.date(2007, 6, 18)
    assert not result.walk("VTIMEZONE")


# Which events are on which calendar


def test_the_public_feed_holds_public_events_with_known_days_only(events):
    dated(title_en="Closed meeting", is_public=False)
    dated(title_en="Only an idea", status=Event.Status.PROPOSED)
    titles = {event.title for event in calendar.public_feed_events()}
    assert titles == {
        "Expert seminar on labour migration",
        "Intersessional workshop",
        "Training in Bangkok",
    }


@pytest.fixture
def delegation_events(db):
    member = MemberFactory(code="SEN")
    other = MemberFactory(code="MEX")
    person = PersonFactory(delegation=member)
    now = timezone.now()
    invited = dated(title_en="Invited delegation", is_public=False)
    InvitationFactory(event=invited, member=member)
    InvitationFactory(event=dated(title_en="Invited in person"), person=person)
    InvitationFactory(event=dated(title_en="Other delegation"), member=other)
    InvitationFactory(
        event=EventFactory(title_en="Invited, month only", precision="month", year=2007, month=9),
        member=member,
    )
    for title, status in (("Registered", "registered"), ("Withdrew", "cancelled")):
        Registration.objects.create(
            event=dated(title_en=title),
            person=person,
            status=status,
            affiliation="Senegal",
            affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
            registered_at=now,
            changed_at=now,
        )
    return person


def test_a_persons_feed_holds_their_delegations_invitations_and_registrations(
    delegation_events,
):
    titles = {event.title for event in calendar.person_feed_events(delegation_events)}
    assert titles == {"Invited delegation", "Invited in person", "Registered"}


def test_an_expert_sees_the_invitations_of_their_organization(db):
    organization = OrganizationFactory()
    expert = PersonFactory(delegation=None, organization=organization, role="expert")
    InvitationFactory(event=dated(title_en="For the institute"), organization=organization)
    dated(title_en="Not for them")
    assert [e.title for e in calendar.person_feed_events(expert)] == ["For the institute"]


# Past or upcoming, and in what order


TODAY = datetime.date(2007, 10, 15)


@pytest.mark.parametrize(
    ("values", "over"),
    [
        ({"precision": "day", "start_date": datetime.date(2007, 10, 14)}, True),
        (
            {
                "precision": "day",
                "start_date": datetime.date(2007, 10, 14),
                "end_date": datetime.date(2007, 10, 15),
            },
            False,
        ),
        ({"precision": "month", "year": 2007, "month": 9}, True),
        ({"precision": "month", "year": 2007, "month": 10}, False),
        ({"precision": "season", "year": 2006, "seasons": ["autumn"]}, True),
        ({"precision": "season", "year": 2006, "seasons": ["winter"]}, False),
        ({"precision": "season", "year": 2007, "seasons": ["spring"]}, False),
        ({"precision": "year", "year": 2006}, True),
        ({"precision": "year", "year": 2007}, False),
        ({"precision": "tbd"}, False),
        ({"precision": "tbd", "status": "held"}, True),
        ({"precision": "tbd", "status": "cancelled"}, True),
        (
            {"precision": "day", "start_date": datetime.date(2007, 1, 1), "status": "postponed"},
            False,
        ),
    ],
)
def test_an_event_is_over_once_the_last_day_it_could_fall_on_has_gone(values, over):
    values.setdefault("status", "confirmed")
    assert calendar.is_over(Event(**values), TODAY) is over


def test_events_are_ordered_by_the_earliest_day_they_could_fall_on():
    events = [
        Event(pk=1, precision="tbd"),
        Event(pk=2, precision="day", start_date=datetime.date(2007, 10, 8)),
        Event(pk=3, precision="season", year=2007, seasons=["summer", "autumn"]),
        Event(pk=4, precision="month", year=2007, month=10),
        Event(pk=5, precision="year", year=2007),
    ]
    assert [e.pk for e in sorted(events, key=calendar.date_order)] == [5, 3, 4, 2, 1]
