"""The demo events of 2006 and 2007 and their funding, as the 2007 Discussion Note reports them."""

import datetime
import decimal

import pytest

from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import ExpressionOfInterest
from dialogue.demo import event_loader
from dialogue.events import participants, selectors
from dialogue.events.models import Event, Invitation, Registration
from dialogue.funding import selectors as funding
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members.models import Person

STAFF = "staff@dialogue.example.org"
ENVIRONMENT = "Migration and the Environment"
FREE_MOVEMENT = "Free Movement of Persons in Regional Integration Processes"
LABOUR_MOBILITY = "Making Global Labour Mobility a Catalyst for Development"
MIGRATION_LAW = "International Migration Law"


def _event(kind: str, title: str, year: int = 2007) -> Event:
    return Event.objects.get(kind=kind, title_en=title, cycle__year=year)


def _seminar() -> Event:
    return _event(Event.Kind.EXPERT_SEMINAR, ENVIRONMENT)


def _environment_workshop() -> Event:
    return _event(Event.Kind.WORKSHOP, ENVIRONMENT)


def _training(year: int) -> Event:
    return _event(Event.Kind.TRAINING, MIGRATION_LAW, year)


def _statuses(event: Event) -> list[str]:
    """The statuses an event went through, from its audit trail."""
    entries = AuditEntry.objects.filter(object_type="events.event", object_id=str(event.pk))
    statuses = []
    for entry in entries.order_by("at", "pk"):
        if entry.action == "create":
            statuses.append(entry.changes["status"])
        elif "status" in entry.changes:
            statuses.append(entry.changes["status"][1])
    return statuses


def test_events_have_their_real_dates_to_their_precision(first_run, db):
    expected = {
        (Event.Kind.EXPERT_SEMINAR, ENVIRONMENT, 2007): ("day", "22–23 February 2007"),
        (Event.Kind.WORKSHOP, FREE_MOVEMENT, 2007): ("day", "18–19 June 2007"),
        (Event.Kind.WORKSHOP, LABOUR_MOBILITY, 2007): ("day", "8–9 October 2007"),
        (Event.Kind.TRAINING, MIGRATION_LAW, 2007): ("day", "6 July 2007"),
        (Event.Kind.TRAINING, MIGRATION_LAW, 2006): ("month", "March 2006"),
        (Event.Kind.TRAINING, "Labour Migration", 2007): ("season", "summer or autumn 2007"),
        (Event.Kind.WORKSHOP, ENVIRONMENT, 2007): ("tbd", "Date to be determined"),
    }
    assert Event.objects.count() == len(expected)
    for (kind, title, year), (precision, dates) in expected.items():
        event = _event(kind, title, year)
        assert event.precision == precision, title
        assert selectors.dates_text(event, language="en") == dates, title
    labour = _event(Event.Kind.TRAINING, "Labour Migration")
    assert (labour.seasons, labour.year) == (["summer", "autumn"], 2007)
    assert labour.status == Event.Status.PLANNING
    assert "communicated to the membership in due course" in labour.description_en
    seminar = _seminar()
    assert (seminar.city, seminar.country, seminar.time_zone) == ("Bangkok", "THA", "Asia/Bangkok")
    assert (seminar.start_date, seminar.end_date) == (
        datetime.date(2007, 2, 22),
        datetime.date(2007, 2, 23),
    )


def test_intersessional_workshops_are_those_of_the_decision_dated_and_confirmed(first_run, db):
    free_movement = Event.objects.get(kind=Event.Kind.WORKSHOP, topic__title_en=FREE_MOVEMENT)
    labour = Event.objects.get(kind=Event.Kind.WORKSHOP, topic__title_en=LABOUR_MOBILITY)
    for workshop in (free_movement, labour):
        assert workshop.status == Event.Status.CONFIRMED
        assert _statuses(workshop) == [Event.Status.PLANNING, Event.Status.CONFIRMED]
        assert workshop.city == "Geneva" and workshop.audience == Event.Audience.MEMBERSHIP
    # the regional institutions of paragraph 7 that are stakeholder organizations
    assert set(free_movement.partners.values_list("acronym", flat=True)) == {
        "APEC",
        "ASEAN",
        "CARICOM",
        "ECOWAS",
        "EU",
        "MERCOSUR",
        "NAFTA",
        "SADC",
    }
    # the date was set on the workshop the decision created, not on a new one
    dated = AuditEntry.objects.filter(
        object_type="events.event", object_id=str(free_movement.pk), action="update"
    )
    assert any(entry.changes.get("precision") == ["tbd", "day"] for entry in dated)


def test_the_bangkok_seminar_was_held_with_25_registered_experts(first_run, db):
    seminar = _seminar()
    assert seminar.status == Event.Status.HELD
    assert _statuses(seminar) == [
        Event.Status.PROPOSED,
        Event.Status.CONFIRMED,
        Event.Status.HELD,
    ]
    assert seminar.topic.title_en == ENVIRONMENT
    assert seminar.invitation_only and seminar.audience == Event.Audience.EXPERTS
    assert "25 experts" in seminar.outcome_summary_en
    assert "follow-up" in seminar.recommendations_en
    assert "IDM Series" in seminar.follow_up_en and "being finalized" in seminar.follow_up_en
    for language in ("fr", "es"):
        for name in ("title", "outcome_summary", "recommendations", "follow_up"):
            assert getattr(seminar, f"{name}_{language}"), (name, language)

    registered = participants.participants_with_a_place(seminar)
    assert registered.count() == 25 == seminar.expected_participants
    assert {r.person.role for r in registered} == {Person.Role.EXPERT}
    invitations = Invitation.objects.filter(event=seminar, person__isnull=False)
    assert invitations.count() == 25
    assert {i.invited_at.date() for i in invitations} == {datetime.date(2006, 12, 11)}
    # recorded as of the past: nobody was e-mailed while loading
    assert not invitations.exclude(sent_at=None).exists()
    for registration in registered:
        assert registration.registered_at.date() < seminar.start_date
        assert registration.registered_by.email == STAFF
        assert registration.affiliation
    composition = participants.participants_composition(seminar)
    kinds = {row.value: row.count for row in composition.by_affiliation_kind}
    assert kinds["research"] >= 8 and kinds["government"] >= 5
    assert kinds["agency"] >= 5 and kinds["civil_society"] >= 1
    genders = {row.value: row.count for row in composition.by_gender}
    assert genders["female"] >= 10 and genders["male"] >= 10
    regions = {row.value for row in composition.by_region if row.count}
    assert {"africa", "americas", "asia", "europe", "oceania"} <= regions
    affiliations = {r.affiliation for r in registered}
    assert {
        "International Organization for Migration",
        "United Nations Environment Programme",
        "Office of the United Nations High Commissioner for Refugees",
        "International Labour Organization",
    } <= affiliations
    # every expert of the seminar is a demo person
    for registration in registered:
        assert registration.person.email.endswith(".example.org")


def test_the_larger_workshop_could_not_be_organized_for_insufficient_funding(first_run, db):
    """Paragraph 4: "could not be organized due to insufficient funding", from the data."""
    workshop = Event.objects.get(
        topic__title_en=ENVIRONMENT,
        kind=Event.Kind.WORKSHOP,
        status=Event.Status.CANCELLED,
        cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
    )
    assert workshop.contingent_on_funding
    assert workshop.audience == Event.Audience.MEMBERSHIP
    assert "insufficient funding" in workshop.cancellation_note
    assert _statuses(workshop) == [
        Event.Status.PROPOSED,
        Event.Status.SEEKING_FUNDING,
        Event.Status.CANCELLED,
    ]
    lines = BudgetLine.objects.filter(event=workshop)
    assert set(lines.values_list("kind", flat=True)) == {
        "venue",
        "travel",
        "interpretation",
        "publication",
    }
    assert set(lines.exclude(language="").values_list("language", flat=True)) == {"en", "fr", "es"}
    assert set(lines.values_list("currency", flat=True)) == {"USD", "CHF"}
    covered = funding.coverage(workshop)
    assert covered.currency == "USD" and not covered.missing_rates
    assert not covered.covered
    assert decimal.Decimal(0) < covered.pledged < covered.budget / 4
    assert covered.gap == covered.budget - covered.pledged
    assert funding.interpretation_offered(workshop) == []
    # ... for a topic the membership had asked for
    assert ExpressionOfInterest.objects.filter(proposal=workshop.topic).count() == 2


def test_the_july_training_is_interpreted_into_three_languages_paid_by_switzerland(first_run, db):
    training = _training(2007)
    assert training.status == Event.Status.CONFIRMED
    assert (training.place, training.city) == ("IOM Headquarters", "Geneva")
    assert training.audience == Event.Audience.MISSION_STAFF
    assert list(training.partners.values_list("acronym", flat=True)) == ["HEI"]
    assert funding.interpretation_offered(training) == ["en", "fr", "es"]
    switzerland = Donor.objects.get(member__code="CHE")
    pledges = Pledge.objects.filter(event=training)
    assert pledges.count() == 3
    for pledge in pledges:
        assert pledge.donor == switzerland
        assert pledge.status == Pledge.Status.RECEIVED and pledge.received_on
        assert pledge.currency == "CHF"
        assert pledge.budget_line.kind == BudgetLine.Kind.INTERPRETATION
        assert pledge.amount >= pledge.budget_line.amount
    assert set(pledges.values_list("budget_line__language", flat=True)) == {"en", "fr", "es"}
    # ... where the same course in March 2006 was given in English only
    previous = training.previous_session
    assert previous == _training(2006)
    assert previous.cycle.year == 2006 and previous.status == Event.Status.HELD
    assert (previous.precision, previous.year, previous.month) == ("month", 2006, 3)
    assert previous.working_languages == ["en"]
    assert funding.interpretation_offered(previous) == []
    assert "lack of funds for interpretation" in previous.outcome_summary_en


def test_exchange_rates_of_2007(first_run, db):
    rates = {r.currency: r for r in ExchangeRate.objects.all()}
    assert set(rates) == {"CHF", "EUR"}
    for rate in rates.values():
        assert rate.valid_from == datetime.date(2007, 1, 1)
        assert "Illustrative" in rate.source
    assert decimal.Decimal("0.7") < rates["CHF"].rate < decimal.Decimal("0.9")
    assert decimal.Decimal("1.2") < rates["EUR"].rate < decimal.Decimal("1.4")


def test_every_event_and_funding_write_is_done_by_the_staff_login(first_run, db):
    entries = AuditEntry.objects.filter(
        object_type__in=[
            "events.event",
            "events.invitation",
            "events.registration",
            "funding.donor",
            "funding.budgetline",
            "funding.pledge",
            "funding.exchangerate",
        ]
    )
    assert entries.filter(object_type="events.registration").count() == 25
    assert entries.filter(object_type="funding.pledge").count() == 4 + 3  # three received
    assert set(entries.values_list("actor__email", flat=True)) == {STAFF}


def _event_rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Event,
            Invitation,
            Registration,
            Donor,
            BudgetLine,
            Pledge,
            ExchangeRate,
            AuditEntry,
        )
    }


def test_a_second_run_creates_nothing_and_writes_no_audit_entry(first_run, db):
    # the decision created the two intersessional workshops; the events step dates them
    assert first_run["events"] == {"created": 5, "updated": 2, "unchanged": 0}
    assert first_run["registrations"] == {"created": 25, "updated": 0, "unchanged": 0}
    before = _event_rows()
    counts = event_loader.load_events()
    assert _event_rows() == before
    assert all(c["created"] == c["updated"] == 0 for c in counts.values()), counts


def test_a_changed_budget_line_is_put_back_with_an_audit_entry(first_run, db):
    line = BudgetLine.objects.get(event=_environment_workshop(), kind=BudgetLine.Kind.VENUE)
    BudgetLine.objects.filter(pk=line.pk).update(amount=decimal.Decimal("1.00"))
    entries = AuditEntry.objects.count()
    counts = event_loader.load_events()
    assert counts["budget_lines"]["updated"] == 1
    line.refresh_from_db()
    assert line.amount == decimal.Decimal("24000.00")
    assert AuditEntry.objects.count() == entries + 1


def test_a_recorded_pledge_is_not_rewritten(first_run, db):
    pledge = Pledge.objects.get(event=_environment_workshop())
    Pledge.objects.filter(pk=pledge.pk).update(amount=decimal.Decimal("5.00"))
    with pytest.raises(DomainError, match="Pledges, FIN environment-workshop: The pledge"):
        event_loader.load_events()
    pledge.refresh_from_db()
    assert pledge.amount == decimal.Decimal("5.00")


def test_the_overviews_of_the_closing_report(first_run, db):
    overview = event_loader.events_overview()
    assert [row["dates"] for row in overview][:3] == [
        "March 2006",
        "22–23 February 2007",
        "18–19 June 2007",
    ]
    assert overview[-1]["status"] == "Cancelled: insufficient funding"
    by_status = event_loader.events_by_status()
    assert (by_status["Held"], by_status["Confirmed"], by_status["Cancelled"]) == (2, 3, 1)
    assert by_status["In planning"] == 1
    money = event_loader.funding_overview()
    assert money["currency"] == "USD"
    assert [row["title"] for row in money["rows"]] == [ENVIRONMENT, MIGRATION_LAW]
    totals = money["totals"]
    assert totals["budget"] == sum(row["budget"] for row in money["rows"])
    assert totals["gap"] == money["rows"][0]["gap"] > 0
