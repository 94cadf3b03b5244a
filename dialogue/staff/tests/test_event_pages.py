"""The staff pages of events: list, planning, new sessions, status, and the event's page."""

import datetime
import decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.events import services
from dialogue.events.models import Event, Invitation, Registration
from dialogue.events.selectors import dates_text
from dialogue.funding import services as funding_services
from dialogue.funding.models import BudgetLine
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory, PersonFactory
from dialogue.staff import event_urls

pytestmark = pytest.mark.django_db

# Every page, and the object whose id its URL takes.
PAGES = {
    "event_list": None,
    "event_create": None,
    "event_detail": "event",
    "event_edit": "event",
    "event_new_session": "training",
    "event_seek_funding": "event",
    "event_confirm": "event",
    "event_postpone": "event",
    "event_cancel": "event",
    "event_record_outcome": "event",
    "budget_line_add": "event",
    "budget_line_edit": "line",
    "pledge_record": "event",
    "pledge_mark_received": "pledge",
    "pledge_withdraw": "pledge",
    "funding_overview": None,
    "funding_rates": None,
    "participants_list": "event",
    "participants_csv": "event",
    "participants_xlsx": "event",
    "participants_sign_in_sheet": "event",
    "participants_badges": "event",
}


def url(name: str, obj=None) -> str:
    return reverse(f"staff:{name}", args=[obj.pk] if obj is not None else [])


def page_url(name: str, world) -> str:
    attribute = PAGES[name]
    return url(name, getattr(world, attribute) if attribute else None)


def _event(cycle, **data) -> Event:
    values = {
        "kind": Event.Kind.EXPERT_SEMINAR,
        "cycle": cycle,
        "title_en": "Expert seminar on migration and the environment",
        "precision": Event.Precision.MONTH,
        "year": 2008,
        "month": 10,
    }
    values.update(data)
    return services.event_save(actor=SYSTEM, data=values)


@pytest.fixture(autouse=True)
def _english():
    """Pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world():
    """IDM 2008 with a seminar known to its month, a training, a budget line and a pledge."""
    cycle = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})
    event = _event(cycle)
    training = _event(
        cycle,
        kind=Event.Kind.TRAINING,
        title_en="Training on international migration law",
        precision=Event.Precision.DAY,
        start_date=datetime.date(2008, 6, 18),
        end_date=datetime.date(2008, 6, 19),
        city="Geneva",
        country="CHE",
    )
    line = funding_services.budget_line_save(
        actor=SYSTEM,
        data={"event": event, "kind": BudgetLine.Kind.VENUE, "amount": "5000", "currency": "USD"},
    )
    donor = funding_services.donor_for(actor=SYSTEM, member=MemberFactory(code="CHE"))
    pledge = funding_services.pledge_record(
        actor=SYSTEM,
        donor=donor,
        event=event,
        amount="1000",
        currency="USD",
        pledged_on=datetime.date(2008, 3, 1),
    )
    return SimpleNamespace(cycle=cycle, event=event, training=training, line=line, pledge=pledge)


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


def _form(cycle, **overrides) -> dict:
    """A complete event form as the browser posts it."""
    data = {
        "kind": "workshop",
        "cycle": str(cycle.pk),
        "topic": "",
        "previous_session": "",
        "title_en": "Intersessional workshop on return migration",
        "title_fr": "Atelier d'intersession sur la migration de retour",
        "title_es": "",
        "description_en": "Two days on return and reintegration.",
        "description_fr": "",
        "description_es": "",
        "precision": "day",
        "year": "",
        "month": "",
        "start_date": "2008-06-18",
        "end_date": "2008-06-19",
        "start_time": "10:00",
        "end_time": "17:30",
        "time_zone": "Europe/Zurich",
        "city": "Geneva",
        "country": "che",
        "place": "Palais des Nations",
        "host": "",
        "audience": "membership",
        "capacity": "120",
        "expected_participants": "",
        "working_languages": ["en", "fr"],
        "interpretation_languages": ["es"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- access ---------------------------------------------------------------------------


def test_every_page_of_the_event_urls_is_covered_here():
    from dialogue.staff.tests.test_invitation_pages import PAGES as INVITATION_PAGES

    names = {p.name for p in event_urls.urlpatterns}
    assert names == set(PAGES) | set(INVITATION_PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name):
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_delegate_has_no_access(client, delegate, world, name):
    client.force_login(delegate.user)
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_staff_can_open_every_page(staff_client, world, name):
    assert staff_client.get(page_url(name, world)).status_code == 200


@pytest.mark.parametrize("name", [n for n, attribute in PAGES.items() if attribute])
def test_unknown_ids_are_not_found(staff_client, world, name):
    assert staff_client.get(reverse(f"staff:{name}", args=[9999])).status_code == 404
    assert staff_client.post(reverse(f"staff:{name}", args=[9999])).status_code in (404, 405)


def test_staff_start_page_links_to_events_and_funding(staff_client):
    page = staff_client.get(reverse("staff:home")).content.decode()

    assert "Events and funding" in page
    for name in ("event_list", "event_create", "funding_overview", "funding_rates"):
        assert url(name) in page


# --- the list -------------------------------------------------------------------------


def test_list_shows_dates_only_as_precisely_as_known(staff_client, world):
    _event(world.cycle, title_en="Seminar some time", precision=Event.Precision.TBD)
    _event(
        world.cycle,
        title_en="Workshop in summer or autumn",
        precision=Event.Precision.SEASON,
        seasons=["summer", "autumn"],
    )

    page = staff_client.get(url("event_list")).content.decode()

    assert "October 2008" in page
    assert "1 October 2008" not in page
    assert "Date to be determined" in page
    assert "summer or autumn 2008" in page
    assert "18–19 June 2008" in page


def test_list_filters_by_cycle_kind_and_status(staff_client, world):
    other = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2009})
    _event(other, title_en="Seminar of 2009")
    services.event_seek_funding(actor=SYSTEM, event=world.event)

    def titles(**query):
        response = staff_client.get(url("event_list"), query)
        return {event.title for event, _dates in response.context["rows"]}

    assert titles() == {
        "Expert seminar on migration and the environment",
        "Training on international migration law",
        "Seminar of 2009",
    }
    assert titles(cycle=other.pk) == {"Seminar of 2009"}
    assert titles(kind="training") == {"Training on international migration law"}
    assert titles(status="seeking_funding") == {"Expert seminar on migration and the environment"}


def test_list_reads_a_fixed_number_of_queries(staff_client, world, django_assert_max_num_queries):
    for n in range(12):
        _event(world.cycle, title_en=f"Seminar {n}", host=OrganizationFactory())
    with django_assert_max_num_queries(8):
        response = staff_client.get(url("event_list"))
    assert len(response.context["rows"]) == 14


# --- planning -------------------------------------------------------------------------


def test_planning_an_event_stores_every_part(staff_client, staff_user, world):
    host = OrganizationFactory(name_en="University of Geneva")
    partner = OrganizationFactory(name_en="Migration Policy Institute")
    topic = cycle_services.proposal_save(
        actor=SYSTEM,
        data={"cycle": world.cycle, "kind": "theme", "title_en": "Return migration"},
    )

    response = staff_client.post(
        url("event_create"),
        _form(world.cycle, host=str(host.pk), partners=[str(partner.pk)], topic=str(topic.pk)),
    )

    event = Event.objects.get(title_en="Intersessional workshop on return migration")
    assert response.status_code == 302
    assert response["Location"] == url("event_detail", event)
    assert event.status == Event.Status.PROPOSED
    assert (event.precision, event.start_date, event.end_date) == (
        "day",
        datetime.date(2008, 6, 18),
        datetime.date(2008, 6, 19),
    )
    assert (event.start_time, event.end_time) == (datetime.time(10), datetime.time(17, 30))
    assert event.time_zone == "Europe/Zurich"
    assert event.year == 2008
    assert (event.city, event.country, event.place) == ("Geneva", "CHE", "Palais des Nations")
    assert event.host == host
    assert list(event.partners.all()) == [partner]
    assert event.topic == topic
    assert event.capacity == 120
    assert event.working_languages == ["en", "fr"]
    assert event.interpretation_languages == ["es"]
    entries = AuditEntry.objects.filter(object_type="events.event", object_id=str(event.pk))
    assert {entry.actor for entry in entries} == {staff_user}
    assert entries.filter(action=AuditEntry.Action.CREATE).exists()


def test_inputs_of_another_precision_are_ignored(staff_client, world):
    """A month is saved as a month, whatever the hidden inputs of exact days still hold."""
    response = staff_client.post(
        url("event_create"),
        _form(
            world.cycle,
            precision="month",
            year="2008",
            month="11",
            start_date="not a date",
            end_date="2008-01-01",
            start_time="25:99",
            seasons=["winter"],
        ),
    )

    assert response.status_code == 302
    event = Event.objects.get(title_en="Intersessional workshop on return migration")
    assert (event.precision, event.year, event.month) == ("month", 2008, 11)
    assert (event.start_date, event.end_date, event.start_time, event.seasons) == (
        None,
        None,
        None,
        [],
    )


def test_a_season_is_saved_and_shown_as_a_season(staff_client, world):
    staff_client.post(
        url("event_create"),
        _form(world.cycle, precision="season", year="2008", seasons=["summer", "autumn"]),
    )

    event = Event.objects.get(title_en="Intersessional workshop on return migration")
    page = staff_client.get(url("event_detail", event)).content.decode()
    assert event.seasons == ["summer", "autumn"]
    assert "summer or autumn 2008" in page
    assert "18" not in page.split("summer or autumn 2008")[0].split("<h1>")[-1]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"start_date": "2008-06-19", "end_date": "2008-06-18"},
            "end_date",
            "The event cannot end before it starts.",
        ),
        ({"start_date": ""}, "start_date", "Give the first day."),
        ({"precision": "month", "year": "2008", "month": ""}, "month", "Give the month."),
        ({"precision": "season", "year": "2008"}, "seasons", "Give one or more seasons"),
        ({"country": "XYZ"}, "country", "ISO code 'XYZ' is not a country."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
        ({"title_en": ""}, "title_en", "This field is required."),
    ],
)
def test_invalid_plans_are_refused_with_nothing_stored(
    staff_client, world, overrides, field, message
):
    before = (_writes(), Event.objects.count())

    response = staff_client.post(url("event_create"), _form(world.cycle, **overrides))

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert (_writes(), Event.objects.count()) == before


def test_the_form_shows_only_the_date_inputs_of_the_chosen_precision_without_script(
    staff_client, world
):
    page = staff_client.get(url("event_edit", world.event)).content.decode()

    assert "<script" not in page
    assert 'class="dates-part dates-day"' in page
    assert 'class="dates-part dates-month"' in page
    assert '<option value="month" selected>' in page
    assert 'name="year" value="2008"' in page
    assert '<option value="10" selected>' in page


def test_changing_the_dates_notifies_the_invitees(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    person = PersonFactory(email="delegate@mission.example.org")
    Invitation.objects.create(
        event=world.event,
        person=person,
        invited_at=datetime.datetime(2008, 1, 1, tzinfo=datetime.UTC),
    )
    day = clock.today() + datetime.timedelta(days=90)
    form = _form(
        world.cycle,
        kind="expert_seminar",
        title_en=world.event.title_en,
        start_date=day.isoformat(),
        end_date="",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("event_edit", world.event), form)

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.start_date == day
    assert [m.to for m in mailoutbox] == [["delegate@mission.example.org"]]
    assert dates_text(world.event, "en") in mailoutbox[0].body


# --- new session of a course ----------------------------------------------------------


def test_new_session_starts_from_a_copy_without_dates(staff_client, world):
    response = staff_client.get(url("event_new_session", world.training))

    form = response.context["form"]
    assert form.initial["title_en"] == "Training on international migration law"
    assert form.initial["previous_session"] == world.training
    assert form.initial["precision"] == "tbd"
    assert "start_date" not in form.initial
    assert 'value="Training on international migration law"' in response.content.decode()


def test_new_session_is_saved_as_a_later_session_of_the_course(staff_client, world):
    response = staff_client.post(
        url("event_new_session", world.training),
        _form(
            world.cycle,
            kind="training",
            title_en="Training on international migration law",
            previous_session=str(world.training.pk),
            start_date="2008-11-12",
            end_date="",
        ),
    )

    session = Event.objects.exclude(pk=world.training.pk).get(kind="training")
    assert response.status_code == 302
    assert session.previous_session == world.training
    assert session.start_date == datetime.date(2008, 11, 12)
    page = staff_client.get(url("event_detail", world.training)).content.decode()
    assert "Later sessions of the course" in page
    assert url("event_detail", session) in page


def test_only_a_training_has_new_sessions(staff_client, world):
    response = staff_client.get(url("event_new_session", world.event), follow=True)

    assert response.redirect_chain[-1][0] == url("event_detail", world.event)
    assert "Only a training is repeated" in response.content.decode()


# --- the event's page -----------------------------------------------------------------


def test_event_page_shows_details_funding_and_participants(staff_client, world):
    services.event_save(
        actor=SYSTEM,
        event=world.event,
        data={"interpretation_languages": ["fr", "es"], "city": "Bangkok", "country": "THA"},
    )
    funding_services.budget_line_save(
        actor=SYSTEM,
        data={
            "event": world.event,
            "kind": "interpretation",
            "language": "fr",
            "amount": "800",
            "currency": "USD",
        },
    )

    response = staff_client.get(url("event_detail", world.event))

    page = response.content.decode()
    assert "October 2008" in page
    assert "Bangkok" in page
    assert "Switzerland" in page  # the donor
    assert "1,000.00" in page
    assert "5,800.00" in page  # the budget
    assert "4,800.00" in page  # the gap
    assert "not offered until its budget line is covered" in page  # French
    assert "not offered: no budget line for it" in page  # Spanish
    assert response.context["coverage"].gap == decimal.Decimal("4800.00")


def test_event_page_reads_a_bounded_number_of_queries(
    staff_client, world, django_assert_max_num_queries
):
    donor = funding_services.donor_for(actor=SYSTEM, organization=OrganizationFactory())
    for n in range(6):
        funding_services.pledge_record(
            actor=SYSTEM,
            donor=donor,
            event=world.event,
            amount=str(100 + n),
            currency="USD",
            pledged_on=datetime.date(2008, 3, 1),
        )
    with django_assert_max_num_queries(20):
        staff_client.get(url("event_detail", world.event))


# --- status ---------------------------------------------------------------------------


def test_seeking_funding_after_confirmation(staff_client, world):
    assert (
        "Seek funding" in staff_client.get(url("event_seek_funding", world.event)).content.decode()
    )

    response = staff_client.post(url("event_seek_funding", world.event))

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.SEEKING_FUNDING


def test_confirming_an_uncovered_contingent_event_shows_the_gap(staff_client, world):
    services.event_save(actor=SYSTEM, event=world.event, data={"contingent_on_funding": True})
    before = _writes()

    response = staff_client.post(url("event_confirm", world.event))

    page = response.content.decode()
    assert response.status_code == 400
    assert "its budget is not covered (gap: 4000.00 USD)" in page
    assert response.context["coverage"].gap == decimal.Decimal("4000.00")
    assert url("pledge_record", world.event) in page
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.PROPOSED
    assert _writes() == before


def test_a_covered_contingent_event_is_confirmed(staff_client, world):
    services.event_save(actor=SYSTEM, event=world.event, data={"contingent_on_funding": True})
    funding_services.pledge_record(
        actor=SYSTEM,
        donor=world.pledge.donor,
        event=world.event,
        amount="4000",
        currency="USD",
        pledged_on=datetime.date(2008, 4, 1),
    )

    response = staff_client.post(url("event_confirm", world.event))

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.CONFIRMED


def test_postponing_makes_the_date_to_be_determined(staff_client, world):
    response = staff_client.post(
        url("event_postpone", world.event), {"note": "The host asked for a later date."}
    )

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.POSTPONED
    assert world.event.precision == Event.Precision.TBD
    page = staff_client.get(url("event_detail", world.event)).content.decode()
    assert "Date to be determined" in page
    assert "The host asked for a later date." in page
    assert "October 2008" not in page


def test_cancelling_for_insufficient_funding_keeps_the_record(staff_client, world):
    response = staff_client.post(
        url("event_cancel", world.event),
        {"reason": "insufficient_funding", "note": "No donor for the venue."},
    )

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.CANCELLED
    assert world.event.cancellation_reason == "insufficient_funding"
    page = staff_client.get(url("event_detail", world.event)).content.decode()
    assert "Reason: Insufficient funding." in page
    assert "No donor for the venue." in page
    assert "Switzerland" in page  # its pledge is still on record
    assert url("event_confirm", world.event) not in page


def test_cancelling_needs_a_reason(staff_client, world):
    before = _writes()

    response = staff_client.post(url("event_cancel", world.event), {"note": "No reason"})

    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["This field is required."]
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.PROPOSED
    assert _writes() == before


def test_a_cancelled_event_cannot_be_postponed(staff_client, world):
    services.event_cancel(actor=SYSTEM, event=world.event, reason="other")

    response = staff_client.post(url("event_postpone", world.event), {"note": ""})

    assert response.status_code == 400
    assert "Only an event not yet held can be postponed." in response.content.decode()


def test_recording_the_outcome_marks_the_event_held(staff_client, world):
    response = staff_client.post(
        url("event_record_outcome", world.event),
        {
            "outcome_summary_en": "Forty experts agreed on a research agenda.",
            "outcome_summary_fr": "Quarante experts ont adopté un programme de recherche.",
            "recommendations_en": "Collect data on environmental migration.",
            "follow_up_en": "A report in the IDM Series.",
        },
    )

    assert response.status_code == 302
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.HELD
    assert world.event.outcome_summary_fr.startswith("Quarante")
    page = staff_client.get(url("event_detail", world.event)).content.decode()
    assert "Forty experts agreed on a research agenda." in page
    assert "Collect data on environmental migration." in page
    edit = staff_client.get(url("event_record_outcome", world.event)).content.decode()
    assert "Forty experts agreed on a research agenda." in edit


def test_an_outcome_needs_its_english_summary(staff_client, world):
    response = staff_client.post(
        url("event_record_outcome", world.event), {"outcome_summary_fr": "Résumé"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["outcome_summary_en"] == [
        "Summarize the outcome in English."
    ]
    world.event.refresh_from_db()
    assert world.event.status == Event.Status.PROPOSED


# --- admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def _admin_form(cycle, **overrides) -> dict:
    data = {
        "kind": "expert_seminar",
        "cycle": str(cycle.pk),
        "title_en": "Expert seminar on labour migration",
        "precision": "day",
        "start_date": "2008-09-10",
        "end_date": "2008-09-11",
        "time_zone": "Europe/Zurich",
        "audience": "experts",
        "working_languages": ["en"],
    }
    data.update(overrides)
    return data


def test_admin_saves_events_through_the_service(admin_client, world, staff_user):
    response = admin_client.post(reverse("admin:events_event_add"), _admin_form(world.cycle))

    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title_en="Expert seminar on labour migration")
    assert event.year == 2008  # set by the service from the first day
    assert event.working_languages == ["en"]
    assert AuditEntry.objects.get(object_type="events.event", object_id=str(event.pk)).actor == (
        staff_user
    )
    page = admin_client.get(reverse("admin:events_event_change", args=[event.pk])).content
    assert url("event_detail", event).encode() in page


def test_admin_shows_the_service_refusal(admin_client, world):
    before = Event.objects.count()

    response = admin_client.post(
        reverse("admin:events_event_add"), _admin_form(world.cycle, end_date="2008-09-01")
    )

    assert response.status_code == 200
    assert "The event cannot end before it starts." in response.content.decode()
    assert Event.objects.count() == before


@pytest.mark.parametrize("model", [Invitation, Registration])
def test_admin_shows_invitations_and_registrations_read_only(admin_client, model):
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:events_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:events_{name}_add")).status_code == 403


def test_editing_keeps_a_topic_withdrawn_since(staff_client, world):
    topic = cycle_services.proposal_save(
        actor=SYSTEM,
        data={"cycle": world.cycle, "kind": "theme", "title_en": "Migration and climate"},
    )
    services.event_save(actor=SYSTEM, event=world.event, data={"topic": topic})
    cycle_services.proposal_withdraw(actor=SYSTEM, proposal=topic)

    edit = staff_client.get(url("event_edit", world.event))
    assert f'<option value="{topic.pk}" selected>' in edit.content.decode()
    create = staff_client.get(url("event_create"))
    assert topic not in create.context["form"].fields["topic"].queryset
