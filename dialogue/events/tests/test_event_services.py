import datetime
import decimal

import pytest
from django.core import mail

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Proposal
from dialogue.cycles.tests.factories import CycleFactory, WorkshopTopicFactory
from dialogue.events import selectors, services
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory, InvitationFactory, TrainingFactory
from dialogue.funding.tests.factories import BudgetLineFactory, ExchangeRateFactory, PledgeFactory
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

OCTOBER_8 = datetime.date(2007, 10, 8)
OCTOBER_9 = datetime.date(2007, 10, 9)


def _entries(obj):
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("id")


def _expert(**kwargs):
    return PersonFactory(role=Person.Role.EXPERT, delegation=None, **kwargs)


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2007)


@pytest.fixture
def invited(db):
    """An event of 8-9 October 2007 and who its invitations reach, one person per language."""
    event = EventFactory(
        dated=True,
        title_en="Expert seminar on migration and trade",
        title_fr="Séminaire d'experts sur la migration et le commerce",
        title_es="Seminario de expertos sobre migración y comercio",
    )
    senegal = MemberFactory(code="SEN")
    institute = OrganizationFactory(name_en="Migration Policy Institute")
    people = {
        "fr": PersonFactory(delegation=senegal, preferred_language="fr"),
        "es": _expert(preferred_language="es"),
        "en": _expert(organization=institute, preferred_language="en"),
    }
    PersonFactory(delegation=senegal, preferred_language="fr", is_active=False)
    PersonFactory(delegation=senegal, email="")
    PersonFactory(delegation=MemberFactory(code="MEX"))
    InvitationFactory(event=event, member=senegal)
    InvitationFactory(event=event, person=people["es"])
    InvitationFactory(event=event, organization=institute)
    return event, people


def _mail_to(person):
    (message,) = [m for m in mail.outbox if m.to == [person.email]]
    return message


# event_save: planning and changing


def test_planning_an_event_stores_it_as_proposed_and_audits_it(staff_user, cycle):
    event = services.event_save(
        actor=staff_user,
        data={
            "kind": Event.Kind.WORKSHOP,
            "cycle": cycle,
            "title_en": "Migration and development",
            "precision": Event.Precision.MONTH,
            "year": 2007,
            "month": 10,
            "city": "Geneva",
            "country": "che",
            "working_languages": ["en", "fr", "es"],
            "capacity": 120,
        },
    )
    event.refresh_from_db()
    assert event.status == Event.Status.PROPOSED
    assert event.country == "CHE"
    assert selectors.dates_text(event, "en") == "October 2007"
    entry = _entries(event).get()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == staff_user
    assert entry.changes["title_en"] == "Migration and development"


def test_changing_an_event_audits_only_what_changed(staff_user):
    event = EventFactory(city="Geneva")
    services.event_save(actor=staff_user, event=event, data={"city": "Bangkok", "country": "THA"})
    event.refresh_from_db()
    assert event.city == "Bangkok"
    assert _entries(event).get().changes == {
        "city": ["Geneva", "Bangkok"],
        "country": ["", "THA"],
    }


def test_the_status_and_the_outcome_are_not_changed_by_saving_the_event(staff_user):
    event = EventFactory(status=Event.Status.PLANNING)
    services.event_save(
        actor=staff_user,
        event=event,
        data={"status": Event.Status.HELD, "outcome_summary_en": "It went well."},
    )
    event.refresh_from_db()
    assert event.status == Event.Status.PLANNING
    assert event.outcome_summary_en == ""


def test_only_the_secretariat_plans_events(delegate, cycle):
    with pytest.raises(NotPermitted):
        services.event_save(
            actor=delegate.user,
            data={"kind": Event.Kind.OTHER, "cycle": cycle, "title_en": "A meeting"},
        )
    assert not Event.objects.exists()


def test_an_event_ending_before_it_starts_is_refused_and_nothing_is_stored(staff_user, cycle):
    with pytest.raises(DomainError) as error:
        services.event_save(
            actor=staff_user,
            data={
                "kind": Event.Kind.WORKSHOP,
                "cycle": cycle,
                "title_en": "Migration and development",
                "precision": Event.Precision.DAY,
                "start_date": OCTOBER_9,
                "end_date": OCTOBER_8,
            },
        )
    assert error.value.field == "end_date"
    assert not Event.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_change_ending_the_day_before_the_start_leaves_the_event_as_it_was(
    staff_user, django_capture_on_commit_callbacks
):
    event = EventFactory(dated=True)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DomainError) as error:
        services.event_save(
            actor=staff_user,
            event=event,
            data={"end_date": datetime.date(2007, 10, 7)},
        )
    assert error.value.field == "end_date"
    assert callbacks == []
    event.refresh_from_db()
    assert (event.start_date, event.end_date) == (OCTOBER_8, OCTOBER_9)
    assert not _entries(event).exists()


def test_an_event_of_one_day_ending_at_an_earlier_hour_than_it_starts_is_refused(staff_user):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_save(
            actor=staff_user,
            event=event,
            data={
                "precision": Event.Precision.DAY,
                "start_date": OCTOBER_8,
                "end_date": OCTOBER_8,
                "start_time": datetime.time(15, 0),
                "end_time": datetime.time(9, 0),
            },
        )
    assert error.value.field == "end_time"
    event.refresh_from_db()
    assert event.precision == Event.Precision.TBD
    assert event.start_date is None


@pytest.mark.parametrize("code", ["ZZZ", "CH", "SWITZERLAND", "12"])
def test_an_unknown_country_code_is_refused(staff_user, code):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_save(actor=staff_user, event=event, data={"country": code})
    assert error.value.field == "country"
    event.refresh_from_db()
    assert event.country == ""


def test_a_country_given_as_none_is_treated_as_no_country(staff_user):
    event = EventFactory(country="CHE")
    try:
        services.event_save(actor=staff_user, event=event, data={"country": None})
    except DomainError:
        return
    event.refresh_from_db()
    assert event.country == ""


@pytest.mark.parametrize(
    "field, value",
    [
        ("working_languages", ["en", "de"]),
        ("working_languages", ["English"]),
        ("interpretation_languages", ["ar"]),
        ("interpretation_languages", "fr"),
        ("interpretation_languages", [None]),
    ],
)
def test_languages_other_than_english_french_and_spanish_are_refused(staff_user, field, value):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_save(actor=staff_user, event=event, data={field: value})
    assert error.value.field == field
    event.refresh_from_db()
    assert getattr(event, field) == []


def test_interpretation_into_the_three_languages_is_accepted(staff_user):
    event = EventFactory()
    services.event_save(
        actor=staff_user, event=event, data={"interpretation_languages": ["fr", "es", "en"]}
    )
    event.refresh_from_db()
    assert event.interpretation_languages == ["fr", "es", "en"]


@pytest.mark.parametrize("capacity", [0, -5])
def test_a_capacity_below_one_person_is_refused(staff_user, capacity):
    event = EventFactory(capacity=40)
    with pytest.raises(DomainError) as error:
        services.event_save(actor=staff_user, event=event, data={"capacity": capacity})
    assert error.value.field == "capacity"
    event.refresh_from_db()
    assert event.capacity == 40


def test_a_capacity_of_one_person_or_none_at_all_is_accepted(staff_user):
    event = EventFactory()
    services.event_save(actor=staff_user, event=event, data={"capacity": 1})
    event.refresh_from_db()
    assert event.capacity == 1
    services.event_save(actor=staff_user, event=event, data={"capacity": None})
    event.refresh_from_db()
    assert event.capacity is None


# event_save: a change of dates


def test_setting_the_date_of_an_event_to_be_determined_tells_the_invitees_in_their_language(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, people = invited
    event.precision, event.start_date, event.end_date, event.year = "tbd", None, None, None
    event.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.event_save(
            actor=staff_user,
            event=event,
            data={"precision": Event.Precision.DAY, "start_date": datetime.date(2007, 7, 6)},
        )
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people.values())
    english = _mail_to(people["en"])
    assert "Expert seminar on migration and trade" in english.subject
    assert "6 July 2007" in english.body
    assert "Date to be determined" in english.body
    french = _mail_to(people["fr"])
    assert "Séminaire d'experts sur la migration et le commerce" in french.subject
    assert "6 juillet 2007" in french.body
    spanish = _mail_to(people["es"])
    assert "Seminario de expertos sobre migración y comercio" in spanish.subject
    assert "6 de julio de 2007" in spanish.body


def test_moving_an_event_to_other_days_tells_the_invitees_the_new_and_the_old_dates(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, people = invited
    with django_capture_on_commit_callbacks(execute=True):
        services.event_save(
            actor=staff_user,
            event=event,
            data={
                "start_date": datetime.date(2007, 10, 10),
                "end_date": datetime.date(2007, 10, 11),
            },
        )
    assert len(mail.outbox) == 3
    english = _mail_to(people["en"])
    assert "10–11 October 2007" in english.body
    assert "8–9 October 2007" in english.body
    assert "10–11 octobre 2007" in _mail_to(people["fr"]).body
    assert "10–11 de octubre de 2007" in _mail_to(people["es"]).body


def test_the_previously_announced_dates_are_given_in_the_invitees_language(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, people = invited
    with django_capture_on_commit_callbacks(execute=True):
        services.event_save(
            actor=staff_user,
            event=event,
            data={
                "start_date": datetime.date(2007, 10, 10),
                "end_date": datetime.date(2007, 10, 11),
            },
        )
    assert "8–9 octobre 2007" in _mail_to(people["fr"]).body
    assert "8–9 de octubre de 2007" in _mail_to(people["es"]).body


def test_the_invitees_hear_of_a_change_of_dates_only_once_it_is_committed(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, _people = invited
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.event_save(
            actor=staff_user,
            event=event,
            data={
                "start_date": datetime.date(2007, 10, 10),
                "end_date": datetime.date(2007, 10, 11),
            },
        )
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_change_of_title_alone_notifies_nobody(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, _people = invited
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.event_save(
            actor=staff_user, event=event, data={"title_en": "Migration and trade: experts meet"}
        )
    assert callbacks == []
    assert mail.outbox == []
    event.refresh_from_db()
    assert event.title_en == "Migration and trade: experts meet"


def test_saving_the_same_dates_again_notifies_nobody(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, _people = invited
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.event_save(
            actor=staff_user,
            event=event,
            data={"precision": "day", "start_date": OCTOBER_8, "end_date": OCTOBER_9},
        )
    assert callbacks == []
    assert mail.outbox == []


def test_planning_a_new_event_notifies_nobody(
    staff_user, cycle, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.event_save(
            actor=staff_user,
            data={
                "kind": Event.Kind.WORKSHOP,
                "cycle": cycle,
                "title_en": "Migration and development",
                "precision": "day",
                "start_date": OCTOBER_8,
            },
        )
    assert callbacks == []
    assert mail.outbox == []


# event_save: switching precision


def test_a_change_to_a_season_leaves_no_exact_date_behind(staff_user):
    event = EventFactory(dated=True, start_time=datetime.time(9, 30), end_time=datetime.time(17, 0))
    services.event_save(
        actor=staff_user,
        event=event,
        data={"precision": "season", "year": 2008, "seasons": ["summer", "autumn"]},
    )
    event.refresh_from_db()
    assert (event.start_date, event.end_date, event.start_time, event.end_time) == (
        None,
        None,
        None,
        None,
    )
    assert event.month is None
    assert event.year == 2008
    assert event.seasons == ["summer", "autumn"]
    assert selectors.dates_text(event, "en") == "summer or autumn 2008"


def test_a_change_to_a_month_drops_a_first_day_given_with_it(staff_user):
    event = EventFactory()
    services.event_save(
        actor=staff_user,
        event=event,
        data={
            "precision": "month",
            "year": 2007,
            "month": 10,
            "start_date": OCTOBER_8,
            "seasons": ["autumn"],
        },
    )
    event.refresh_from_db()
    assert event.start_date is None
    assert event.seasons == []
    assert (event.year, event.month) == (2007, 10)


@pytest.mark.parametrize(
    "before, data",
    [
        ({"precision": "month", "year": 2007, "month": 10}, {"precision": "year"}),
        ({"precision": "season", "year": 2008, "seasons": ["spring"]}, {"precision": "year"}),
        ({"precision": "month", "year": 2007, "month": 10}, {"precision": "tbd"}),
        ({"precision": "year", "year": 2008}, {"precision": "tbd"}),
    ],
)
def test_a_less_precise_date_keeps_nothing_more_precise(staff_user, before, data):
    event = EventFactory(**before)
    services.event_save(actor=staff_user, event=event, data=data)
    event.refresh_from_db()
    assert event.month is None
    assert event.seasons == []
    assert event.start_date is None
    if data["precision"] == "tbd":
        assert event.year is None
    else:
        assert event.year == before["year"]


def test_the_year_of_an_event_known_to_the_day_is_the_year_of_its_first_day(staff_user):
    event = EventFactory(precision="year", year=2009)
    services.event_save(
        actor=staff_user, event=event, data={"precision": "day", "start_date": OCTOBER_8}
    )
    event.refresh_from_db()
    assert event.year == 2007


def test_a_season_without_the_year_is_refused(staff_user):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_save(
            actor=staff_user, event=event, data={"precision": "season", "seasons": ["summer"]}
        )
    assert error.value.field == "year"


def test_an_invalid_season_is_refused(staff_user):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_save(
            actor=staff_user,
            event=event,
            data={"precision": "season", "year": 2008, "seasons": ["summer", "summer"]},
        )
    assert error.value.field == "seasons"


# Repeated training sessions


def test_a_training_repeated_for_the_same_course_names_its_previous_session(staff_user):
    first = TrainingFactory(status=Event.Status.HELD, dated=True)
    second = services.event_save(
        actor=staff_user,
        data={
            "kind": Event.Kind.TRAINING,
            "cycle": first.cycle,
            "title_en": first.title_en,
            "audience": Event.Audience.MISSION_STAFF,
            "previous_session": first,
            "precision": "month",
            "year": 2008,
            "month": 3,
        },
    )
    assert second.previous_session == first
    assert list(first.later_sessions.all()) == [second]
    assert _entries(second).get().changes["previous_session"] == str(first)


def test_an_event_cannot_be_the_previous_session_of_itself(staff_user):
    training = TrainingFactory()
    with pytest.raises(DomainError):
        services.event_save(actor=staff_user, event=training, data={"previous_session": training})


# Status: seeking funding


@pytest.mark.parametrize(
    "status", [Event.Status.PROPOSED, Event.Status.PLANNING, Event.Status.POSTPONED]
)
def test_an_event_not_yet_confirmed_can_seek_funding(staff_user, status):
    event = EventFactory(status=status)
    services.event_seek_funding(actor=staff_user, event=event)
    event.refresh_from_db()
    assert event.status == Event.Status.SEEKING_FUNDING


@pytest.mark.parametrize("status", [Event.Status.CONFIRMED, Event.Status.SEEKING_FUNDING])
def test_a_confirmed_event_does_not_seek_funding(staff_user, status):
    event = EventFactory(status=status)
    with pytest.raises(DomainError):
        services.event_seek_funding(actor=staff_user, event=event)
    event.refresh_from_db()
    assert event.status == status


# Status: confirming


def test_a_contingent_event_with_its_budget_uncovered_is_not_confirmed_and_the_gap_is_named(
    staff_user,
):
    event = EventFactory(contingent_on_funding=True, status=Event.Status.SEEKING_FUNDING)
    BudgetLineFactory(event=event, amount=decimal.Decimal("10000.00"), currency="USD")
    PledgeFactory(event=event, amount=decimal.Decimal("2500.50"), currency="USD")
    with pytest.raises(DomainError) as error:
        services.event_confirm(actor=staff_user, event=event)
    assert error.value.code == "not_funded"
    assert "7499.50 USD" in error.value.message
    event.refresh_from_db()
    assert event.status == Event.Status.SEEKING_FUNDING
    assert not _entries(event).exists()


def test_a_contingent_event_without_any_budget_is_not_confirmed(staff_user):
    event = EventFactory(contingent_on_funding=True)
    with pytest.raises(DomainError) as error:
        services.event_confirm(actor=staff_user, event=event)
    assert error.value.code == "not_funded"
    event.refresh_from_db()
    assert event.status == Event.Status.PLANNING


def test_a_contingent_event_refused_for_a_missing_rate_names_the_currency(staff_user):
    event = EventFactory(contingent_on_funding=True)
    BudgetLineFactory(event=event, amount=decimal.Decimal("10000.00"), currency="CHF")
    PledgeFactory(event=event, amount=decimal.Decimal("20000.00"), currency="USD")
    with pytest.raises(DomainError) as error:
        services.event_confirm(actor=staff_user, event=event)
    assert "CHF" in error.value.message


def test_a_contingent_event_with_its_budget_covered_is_confirmed(staff_user):
    event = EventFactory(contingent_on_funding=True, status=Event.Status.SEEKING_FUNDING)
    ExchangeRateFactory(currency="CHF", rate="0.80", valid_from=datetime.date(2000, 1, 1))
    BudgetLineFactory(event=event, amount=decimal.Decimal("10000.00"), currency="CHF")
    PledgeFactory(event=event, amount=decimal.Decimal("5000.00"), currency="USD")
    PledgeFactory(event=event, amount=decimal.Decimal("3000.00"), currency="USD", received=True)
    services.event_confirm(actor=staff_user, event=event)
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED


def test_an_event_not_contingent_on_funding_is_confirmed_without_a_budget(staff_user):
    event = EventFactory(contingent_on_funding=False)
    services.event_confirm(actor=staff_user, event=event)
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED


def test_a_confirmed_event_is_not_confirmed_again(staff_user):
    event = EventFactory(status=Event.Status.CONFIRMED)
    with pytest.raises(DomainError):
        services.event_confirm(actor=staff_user, event=event)
    assert not _entries(event).exists()


# Status: postponing


def test_postponing_an_event_makes_its_date_to_be_determined_and_tells_the_invitees(
    staff_user, invited, django_capture_on_commit_callbacks
):
    event, people = invited
    event.status = Event.Status.CONFIRMED
    event.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_postpone(actor=staff_user, event=event, note="Host not available.")
    event.refresh_from_db()
    assert event.status == Event.Status.POSTPONED
    assert event.precision == Event.Precision.TBD
    assert (event.start_date, event.end_date, event.year) == (None, None, None)
    assert event.cancellation_note == "Host not available."
    assert len(mail.outbox) == len(people)
    assert "8–9 October 2007" in _mail_to(people["en"]).body
    changes = [entry.changes for entry in _entries(event)]
    assert changes[0]["status"] == ["confirmed", "postponed"]
    assert changes[1]["precision"] == ["day", "tbd"]


# Status: cancelling


@pytest.mark.parametrize("reason", ["", "boredom", None])
def test_cancelling_needs_a_known_reason(staff_user, reason):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.event_cancel(actor=staff_user, event=event, reason=reason)
    assert error.value.field == "reason"
    event.refresh_from_db()
    assert event.status == Event.Status.PLANNING
    assert not _entries(event).exists()


def test_a_cancelled_event_keeps_its_record_and_why_it_did_not_happen(staff_user):
    event = EventFactory(contingent_on_funding=True, status=Event.Status.SEEKING_FUNDING)
    services.event_cancel(
        actor=staff_user,
        event=event,
        reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
        note="No donor came forward.",
    )
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.cancellation_reason == "insufficient_funding"
    assert event.cancellation_note == "No donor came forward."


def test_events_that_could_not_be_organized_for_lack_of_funding_can_be_listed(staff_user):
    unfunded = EventFactory(title_en="Workshop on labour mobility")
    dropped = EventFactory(title_en="Workshop on remittances")
    held = EventFactory(title_en="Seminar on trade", status=Event.Status.HELD)
    services.event_cancel(
        actor=staff_user, event=unfunded, reason=Event.CancellationReason.INSUFFICIENT_FUNDING
    )
    services.event_cancel(actor=staff_user, event=dropped, reason=Event.CancellationReason.OTHER)
    not_organized = Event.objects.filter(
        status=Event.Status.CANCELLED,
        cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
    )
    assert list(not_organized) == [unfunded]
    assert held.status == Event.Status.HELD


# Status: recording the outcome


def test_recording_the_outcome_marks_the_event_held_and_keeps_the_summary(staff_user):
    event = EventFactory(status=Event.Status.CONFIRMED)
    services.event_record_outcome(
        actor=staff_user,
        event=event,
        data={
            "outcome_summary_en": "Participants shared practices on labour migration.",
            "outcome_summary_fr": "Les participants ont partagé leurs pratiques.",
            "recommendations_en": "Hold a follow-up workshop.",
            "title_en": "Not an outcome field",
        },
    )
    event.refresh_from_db()
    assert event.status == Event.Status.HELD
    assert event.outcome_summary_en.startswith("Participants shared")
    assert event.outcome_summary_fr.startswith("Les participants")
    assert event.recommendations_en == "Hold a follow-up workshop."
    assert event.title_en != "Not an outcome field"


def test_the_outcome_needs_a_summary_in_english(staff_user):
    event = EventFactory(status=Event.Status.CONFIRMED)
    with pytest.raises(DomainError) as error:
        services.event_record_outcome(
            actor=staff_user, event=event, data={"outcome_summary_fr": "Un résumé."}
        )
    assert error.value.field == "outcome_summary_en"
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED
    assert event.outcome_summary_fr == ""


def test_an_english_summary_of_only_spaces_is_no_summary(staff_user):
    event = EventFactory(status=Event.Status.CONFIRMED)
    with pytest.raises(DomainError):
        services.event_record_outcome(
            actor=staff_user, event=event, data={"outcome_summary_en": "   \n "}
        )


def test_the_outcome_of_a_held_event_can_be_completed_later(staff_user):
    event = EventFactory(status=Event.Status.HELD, outcome_summary_en="A summary.")
    services.event_record_outcome(
        actor=staff_user, event=event, data={"follow_up_en": "A report in the IDM Series."}
    )
    event.refresh_from_db()
    assert event.status == Event.Status.HELD
    assert event.outcome_summary_en == "A summary."
    assert event.follow_up_en == "A report in the IDM Series."
    assert _entries(event).get().changes == {"follow_up_en": ["", "A report in the IDM Series."]}


# No way out of held or cancelled


def _seek_funding(actor, event):
    return services.event_seek_funding(actor=actor, event=event)


def _confirm(actor, event):
    return services.event_confirm(actor=actor, event=event)


def _postpone(actor, event):
    return services.event_postpone(actor=actor, event=event)


def _cancel(actor, event):
    return services.event_cancel(actor=actor, event=event, reason="other")


def _record_outcome(actor, event):
    return services.event_record_outcome(
        actor=actor, event=event, data={"outcome_summary_en": "It was held."}
    )


TRANSITIONS = {
    "seek funding": _seek_funding,
    "confirm": _confirm,
    "postpone": _postpone,
    "cancel": _cancel,
    "record the outcome": _record_outcome,
}
REFUSED = [
    (Event.Status.HELD, "seek funding"),
    (Event.Status.HELD, "confirm"),
    (Event.Status.HELD, "postpone"),
    (Event.Status.HELD, "cancel"),
    (Event.Status.CANCELLED, "seek funding"),
    (Event.Status.CANCELLED, "confirm"),
    (Event.Status.CANCELLED, "postpone"),
    (Event.Status.CANCELLED, "cancel"),
    (Event.Status.CANCELLED, "record the outcome"),
]


@pytest.mark.parametrize("status, transition", REFUSED)
def test_a_held_or_cancelled_event_does_not_change_status(staff_user, status, transition):
    event = EventFactory(
        dated=True,
        status=status,
        cancellation_reason="other" if status == Event.Status.CANCELLED else "",
        outcome_summary_en="A summary." if status == Event.Status.HELD else "",
    )
    with pytest.raises(DomainError):
        TRANSITIONS[transition](staff_user, event)
    event.refresh_from_db()
    assert event.status == status
    assert event.precision == Event.Precision.DAY
    assert not _entries(event).exists()


STALE = [
    (Event.Status.HELD, "seek funding"),
    (Event.Status.HELD, "postpone"),
    (Event.Status.HELD, "cancel"),
    (Event.Status.CANCELLED, "record the outcome"),
]


def test_confirming_checks_the_status_the_event_has_now_not_that_of_a_stale_copy(staff_user):
    event = EventFactory(status=Event.Status.PLANNING)
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.HELD)
    with pytest.raises(DomainError):
        services.event_confirm(actor=staff_user, event=stale)
    event.refresh_from_db()
    assert event.status == Event.Status.HELD


@pytest.mark.parametrize("status, transition", STALE)
def test_a_transition_checks_the_status_the_event_has_now_not_that_of_a_stale_copy(
    staff_user, status, transition
):
    event = EventFactory(status=Event.Status.PLANNING)
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(
        status=status,
        cancellation_reason="other" if status == Event.Status.CANCELLED else "",
        outcome_summary_en="A summary.",
    )
    with pytest.raises(DomainError):
        TRANSITIONS[transition](staff_user, stale)
    event.refresh_from_db()
    assert event.status == status


ALLOWED = [
    (Event.Status.PLANNING, "seek funding", Event.Status.SEEKING_FUNDING),
    (Event.Status.SEEKING_FUNDING, "confirm", Event.Status.CONFIRMED),
    (Event.Status.CONFIRMED, "postpone", Event.Status.POSTPONED),
    (Event.Status.CONFIRMED, "cancel", Event.Status.CANCELLED),
    (Event.Status.CONFIRMED, "record the outcome", Event.Status.HELD),
]


@pytest.mark.parametrize("status, transition, after", ALLOWED)
def test_every_change_of_status_is_audited_with_who_made_it(staff_user, status, transition, after):
    event = EventFactory(status=status)
    TRANSITIONS[transition](staff_user, event)
    entry = _entries(event).first()
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.actor == staff_user
    assert entry.changes["status"] == [status, after]


@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_only_the_secretariat_changes_the_status_of_an_event(delegate, transition):
    event = EventFactory(status=Event.Status.CONFIRMED)
    with pytest.raises(NotPermitted):
        TRANSITIONS[transition](delegate.user, event)
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED


# Workshops for selected topics


def test_a_selected_topic_gets_one_workshop_in_planning(staff_user):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    workshop = services.workshop_plan_for_topic(actor=staff_user, topic=topic)
    assert workshop.kind == Event.Kind.WORKSHOP
    assert workshop.status == Event.Status.PLANNING
    assert workshop.cycle == topic.cycle
    assert workshop.topic == topic
    assert (workshop.title_en, workshop.title_fr, workshop.title_es) == (
        topic.title_en,
        topic.title_fr,
        topic.title_es,
    )
    assert workshop.precision == Event.Precision.TBD
    assert _entries(workshop).get().action == AuditEntry.Action.CREATE
    assert services.workshop_plan_for_topic(actor=staff_user, topic=topic) == workshop
    assert Event.objects.filter(topic=topic).count() == 1
    assert _entries(workshop).count() == 1


def test_only_the_secretariat_plans_a_workshop_for_a_topic(delegate):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    with pytest.raises(NotPermitted):
        services.workshop_plan_for_topic(actor=delegate.user, topic=topic)
    assert not Event.objects.exists()


def test_dropping_a_topic_cancels_its_workshop_in_planning_and_keeps_the_record(staff_user):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    workshop = services.workshop_plan_for_topic(actor=staff_user, topic=topic)
    dropped = services.workshop_drop_for_topic(actor=staff_user, topic=topic)
    assert dropped == workshop
    workshop.refresh_from_db()
    assert workshop.status == Event.Status.CANCELLED
    assert workshop.cancellation_reason == Event.CancellationReason.OTHER
    assert workshop.cancellation_note
    entry = _entries(workshop).last()
    assert entry.note == "topic no longer selected"
    assert entry.changes["status"] == ["planning", "cancelled"]


def test_dropping_a_topic_leaves_a_confirmed_workshop_alone(staff_user):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    workshop = EventFactory(
        kind=Event.Kind.WORKSHOP, topic=topic, cycle=topic.cycle, status=Event.Status.CONFIRMED
    )
    assert services.workshop_drop_for_topic(actor=staff_user, topic=topic) is None
    workshop.refresh_from_db()
    assert workshop.status == Event.Status.CONFIRMED
    assert not _entries(workshop).exists()


def test_dropping_a_topic_without_a_workshop_changes_nothing(staff_user):
    topic = WorkshopTopicFactory()
    assert services.workshop_drop_for_topic(actor=staff_user, topic=topic) is None
    assert not AuditEntry.objects.exists()


def test_only_the_secretariat_drops_the_workshop_of_a_topic(staff_user, delegate):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    workshop = services.workshop_plan_for_topic(actor=staff_user, topic=topic)
    with pytest.raises(NotPermitted):
        services.workshop_drop_for_topic(actor=delegate.user, topic=topic)
    workshop.refresh_from_db()
    assert workshop.status == Event.Status.PLANNING


def test_a_topic_selected_again_after_being_dropped_gets_a_workshop_in_planning(staff_user):
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    services.workshop_plan_for_topic(actor=staff_user, topic=topic)
    services.workshop_drop_for_topic(actor=staff_user, topic=topic)
    again = services.workshop_plan_for_topic(actor=staff_user, topic=topic)
    assert again.status == Event.Status.PLANNING
