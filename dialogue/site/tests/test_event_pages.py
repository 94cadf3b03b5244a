import datetime
import decimal

import pytest
from django.core import signing
from django.utils import timezone
from icalendar import Calendar

from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory, InvitationFactory, TrainingFactory
from dialogue.funding.tests.factories import InterpretationLineFactory, PledgeFactory
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory, PersonFactory
from dialogue.portal.feed_views import feed_token
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
ICS = "text/calendar; charset=utf-8"


def dated(**values) -> Event:
    values.setdefault("precision", Event.Precision.DAY)
    values.setdefault("start_date", datetime.date(2007, 6, 18))
    values.setdefault("status", Event.Status.CONFIRMED)
    return EventFactory(**values)


@pytest.fixture
def programme(db):
    """Events long past and far ahead, so that either side holds whatever today is."""
    return {
        "held": dated(
            title_en="Workshop on migration and trade",
            start_date=datetime.date(2007, 6, 18),
            end_date=datetime.date(2007, 6, 19),
            status=Event.Status.HELD,
            outcome_summary_en="The participants agreed on three points.",
            outcome_summary_fr="Les participants se sont accordés sur trois points.",
            recommendations_en="Share data between origin and destination countries.",
            follow_up_en="A training session in 2008.",
        ),
        "cancelled": EventFactory(
            title_en="Seminar that did not take place",
            precision=Event.Precision.SEASON,
            year=2007,
            seasons=["summer", "autumn"],
            status=Event.Status.CANCELLED,
            cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
        ),
        "upcoming": dated(
            title_en="Training for mission staff",
            start_date=datetime.date(2099, 10, 8),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(17, 0),
            place="Palais des Nations",
            city="Geneva",
            country="CHE",
        ),
        "month": EventFactory(
            title_en="Expert seminar in the autumn",
            precision=Event.Precision.MONTH,
            year=2099,
            month=10,
            status=Event.Status.SEEKING_FUNDING,
            contingent_on_funding=True,
        ),
        "proposed": dated(title_en="Only an idea", status=Event.Status.PROPOSED),
        "closed": dated(title_en="Closed meeting", is_public=False),
    }


# The list


def test_events_are_listed_upcoming_then_past(client, programme):
    page = client.get("/en/events/").content.decode()
    upcoming, past = page.split('id="past-heading"')
    assert "Expert seminar in the autumn" in upcoming
    assert "Training for mission staff" in upcoming
    # An event known only to its month is listed from the start of that month.
    assert upcoming.index("Expert seminar in the autumn") < upcoming.index(
        "Training for mission staff"
    )
    assert "Workshop on migration and trade" in past
    assert "Seminar that did not take place" in past


def test_proposed_and_closed_events_are_not_public(client, programme):
    page = client.get("/en/events/").content.decode()
    assert "Only an idea" not in page
    assert "Closed meeting" not in page
    assert client.get(f"/en/events/{programme['proposed'].pk}/").status_code == 404
    assert client.get(f"/en/events/{programme['closed'].pk}/").status_code == 404
    assert client.get(f"/en/events/{programme['closed'].pk}/event.ics").status_code == 404


def test_a_cancelled_event_says_why(client, programme):
    page = client.get("/en/events/").content.decode()
    assert "Could not be organized due to insufficient funding." in page
    detail = client.get(f"/en/events/{programme['cancelled'].pk}/").content.decode()
    assert "Cancelled" in detail
    assert "Could not be organized due to insufficient funding." in detail


def test_an_event_contingent_on_funding_says_so(client, programme):
    page = client.get(f"/en/events/{programme['month'].pk}/").content.decode()
    assert "Will be held only if funding is secured." in page
    assert "Seeking funding" in page


def test_dates_are_shown_as_precisely_as_known(client, programme):
    page = client.get("/en/events/").content.decode()
    assert '<time datetime="2007-06-18">18–19 June 2007</time>' in page
    assert '<time datetime="2099-10-08">8 October 2099</time>' in page
    assert "October 2099" in page
    assert "summer or autumn 2007" in page
    assert 'datetime="2099-10-01"' not in page


def test_the_list_is_in_the_page_language_with_english_fallback_marked(client, programme):
    TrainingFactory(title_en="Course on migration law", precision="year", year=2099)
    page = client.get("/fr/events/").content.decode()
    assert '<html lang="fr">' in page
    assert '<time datetime="2007-06-18">18–19 juin 2007</time>' in page
    assert "octobre 2099" in page
    assert '<span lang="en">Course on migration law</span>' in page


def test_the_list_links_to_the_feed(client, programme):
    page = client.get("/en/events/").content.decode()
    assert 'href="/en/events/feed.ics"' in page


def test_the_main_navigation_links_to_the_events(client):
    page = client.get("/es/").content.decode()
    assert 'href="/es/events/"' in page


def test_the_list_has_a_bounded_number_of_queries(client, programme, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get("/en/events/")
    for year in range(2090, 2098):
        dated(start_date=datetime.date(year, 1, 1))
    with django_assert_max_num_queries(2):
        assert client.get("/en/events/").status_code == 200


def test_titles_are_escaped(client):
    event = dated(title_en='<script>alert("x")</script>', place="<b>Hall</b>")
    page = client.get("/en/events/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    detail = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "<script>alert" not in detail
    assert "&lt;b&gt;Hall&lt;/b&gt;" in detail


# One event's page


def test_an_upcoming_event_shows_its_dates_venue_and_calendar_link(client, programme):
    event = programme["upcoming"]
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert '<time datetime="2099-10-08">8 October 2099</time>' in page
    assert "09:30 to 17:00, local time (Europe/Zurich)" in page
    assert "Palais des Nations, Geneva, Switzerland" in page
    assert f'href="/en/events/{event.pk}/event.ics"' in page
    assert "Confirmed" in page


def test_an_imprecise_event_has_no_calendar_link(client, programme):
    event = programme["month"]
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "October 2099" in page
    assert "event.ics" not in page
    assert client.get(f"/en/events/{event.pk}/event.ics").status_code == 404


def test_partners_audience_and_working_languages_are_shown(client):
    event = dated(
        audience=Event.Audience.MISSION_STAFF,
        invitation_only=True,
        working_languages=["en", "fr"],
    )
    event.partners.set([OrganizationFactory(name_en="Migration Policy Institute", acronym="MPI")])
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "Migration Policy Institute (MPI)" in page
    assert "Staff of the Permanent Missions" in page
    assert "by invitation only" in page
    assert "English, French" in page


def test_only_interpretation_that_is_funded_is_offered(client):
    event = dated(interpretation_languages=["fr", "es"], contingent_on_funding=True)
    french = InterpretationLineFactory(event=event, language="fr", amount=decimal.Decimal(5000))
    InterpretationLineFactory(event=event, language="es", amount=decimal.Decimal(5000))
    PledgeFactory(event=event, budget_line=french, amount=decimal.Decimal(5000))
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "Interpretation into" in page
    assert "<dd>French</dd>" in page
    assert "Spanish" not in page


def test_no_interpretation_is_offered_while_unfunded(client):
    event = dated(interpretation_languages=["fr"])
    InterpretationLineFactory(event=event, language="fr")
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "Interpretation into" not in page


def test_a_held_event_shows_its_outcome_with_english_fallback_marked(client, programme):
    page = client.get(f"/fr/events/{programme['held'].pk}/").content.decode()
    assert "Les participants se sont accordés sur trois points." in page
    assert '<div lang="en"><p>Share data between origin and destination countries.</p></div>' in (
        page
    )
    assert '<div lang="en"><p>A training session in 2008.</p></div>' in page


def test_outcomes_are_shown_only_once_the_event_is_held(client):
    event = dated(outcome_summary_en="Draft conclusions.")
    page = client.get(f"/en/events/{event.pk}/").content.decode()
    assert "Draft conclusions." not in page


def test_an_event_page_has_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    event = dated(interpretation_languages=["fr"])
    event.partners.set([OrganizationFactory(), OrganizationFactory(), OrganizationFactory()])
    InterpretationLineFactory(event=event, language="fr")
    for _ in range(3):
        make_document(event=event, languages=("en", "fr", "es"))
    with django_assert_max_num_queries(7):
        assert client.get(f"/en/events/{event.pk}/").status_code == 200


def test_an_unknown_event_is_not_found(client):
    assert client.get("/en/events/999999/").status_code == 404
    assert client.get("/en/events/999999/event.ics").status_code == 404


# Calendars


def test_an_event_downloads_as_icalendar(client, programme):
    event = programme["upcoming"]
    response = client.get(f"/en/events/{event.pk}/event.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == ICS
    assert response["Content-Disposition"] == f'inline; filename="event-{event.pk}.ics"'
    (item,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert item["summary"] == "Training for mission staff"
    assert item["dtstart"].params["TZID"] == "Europe/Zurich"


def test_the_public_feed_holds_public_events_with_known_days(client, programme):
    response = client.get("/en/events/feed.ics")
    assert response["Content-Type"] == ICS
    assert response["Content-Disposition"] == 'inline; filename="events.ics"'
    parsed = Calendar.from_ical(response.content)
    titles = {str(item["summary"]) for item in parsed.walk("VEVENT")}
    assert titles == {"Workshop on migration and trade", "Training for mission staff"}
    assert [str(zone["tzid"]) for zone in parsed.walk("VTIMEZONE")] == ["Europe/Zurich"]


def test_the_feed_is_in_the_language_of_its_address(client, programme):
    programme["held"].title_es = "Taller sobre migración y comercio"
    programme["held"].save()
    parsed = Calendar.from_ical(client.get("/es/events/feed.ics").content)
    assert "Taller sobre migración y comercio" in {
        str(item["summary"]) for item in parsed.walk("VEVENT")
    }


# A delegation's own feed


@pytest.fixture
def delegate_with_events(db):
    member = MemberFactory(code="SEN")
    person = PersonFactory(delegation=member, with_account=True)
    invited = dated(title_en="Consultation for Senegal", is_public=False)
    InvitationFactory(event=invited, member=member)
    InvitationFactory(event=dated(title_en="For Mexico"), member=MemberFactory(code="MEX"))
    InvitationFactory(
        event=EventFactory(title_en="Month only", precision="month", year=2007, month=9),
        member=member,
    )
    now = timezone.now()
    Registration.objects.create(
        event=dated(title_en="Registered seminar"),
        person=person,
        status=Registration.Status.REGISTERED,
        affiliation="Senegal",
        affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
        registered_at=now,
        changed_at=now,
    )
    return person


def test_the_calendar_page_needs_a_login(client):
    response = client.get("/en/portal/events/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/portal/login/")


def test_the_calendar_page_shows_the_personal_feed_address(client, delegate_with_events):
    person = delegate_with_events
    assert client.login(username=person.user.email, password=PASSWORD)
    page = client.get("/en/portal/events/calendar/").content.decode()
    address = f"/en/portal/events/feed/{feed_token(person)}.ics"
    assert f'value="http://127.0.0.1:8000{address}"' in page
    assert f'href="webcal://127.0.0.1:8000{address}"' in page
    assert "Consultation for Senegal" in page
    assert "For Mexico" not in page


def test_the_token_is_the_same_each_time_and_differs_per_person(delegate_with_events):
    other = PersonFactory(delegation=delegate_with_events.delegation)
    assert feed_token(delegate_with_events) == feed_token(delegate_with_events)
    assert feed_token(delegate_with_events) != feed_token(other)


def test_the_personal_feed_needs_no_login(client, delegate_with_events):
    response = client.get(f"/en/portal/events/feed/{feed_token(delegate_with_events)}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == ICS
    assert "private" in response["Cache-Control"]
    parsed = Calendar.from_ical(response.content)
    titles = {str(item["summary"]) for item in parsed.walk("VEVENT")}
    assert titles == {"Consultation for Senegal", "Registered seminar"}
    assert str(parsed["x-wr-calname"]) == "International Dialogue on Migration: events of Senegal"


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "MQ:forged",
        signing.Signer(salt="another.purpose").sign_object(1),
        signing.Signer(salt="dialogue.delegation-feed").sign_object("1"),
    ],
)
def test_a_wrong_token_is_not_found(client, delegate_with_events, token):
    assert client.get(f"/en/portal/events/feed/{token}.ics").status_code == 404


def test_a_tampered_token_is_not_found(client, delegate_with_events):
    other = PersonFactory(delegation=delegate_with_events.delegation)
    token = feed_token(delegate_with_events)
    value, signature = token.split(":")
    forged = signing.b64_encode(str(other.pk).encode()).decode() + ":" + signature
    assert client.get(f"/en/portal/events/feed/{forged}.ics").status_code == 404
    assert client.get(f"/en/portal/events/feed/{value}:{signature[:-1]}x.ics").status_code == 404


def test_the_feed_stops_when_the_person_is_deactivated(client, delegate_with_events):
    token = feed_token(delegate_with_events)
    Person.objects.filter(pk=delegate_with_events.pk).update(is_active=False)
    assert client.get(f"/en/portal/events/feed/{token}.ics").status_code == 404
