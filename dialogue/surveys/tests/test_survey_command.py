"""`dialogue survey open|close|tally|remind`."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.members.models import Member
from dialogue.members.tests.factories import (
    MemberFactory,
    ObserverOrganizationFactory,
    PersonFactory,
)
from dialogue.surveys import services
from dialogue.surveys.models import Question, Survey

pytestmark = pytest.mark.django_db

GENEVA = timezone.get_default_timezone()


def run(*args) -> str:
    out = StringIO()
    call_command("survey", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 1
    return caught.value


@pytest.fixture(autouse=True)
def _english():
    """Output in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def cycle():
    return cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})


def _draft(cycle, *questions) -> Survey:
    survey = services.survey_create(
        actor=SYSTEM, cycle=cycle, data={"title_en": "Choice of the overarching theme"}
    )
    for text, kind, method, labels in questions:
        services.question_add(
            actor=SYSTEM,
            survey=survey,
            text={"en": text},
            kind=kind,
            method=method,
            max_choices=len(labels) if kind == Question.Kind.RANK else 1,
            options=[{"label_en": label} for label in labels],
        )
    return survey


THEME_QUESTION = (
    "Which overarching theme should guide the dialogue?",
    Question.Kind.CHOOSE_ONE,
    Question.Method.PLURALITY,
    ("Mainstreaming Gender", "Return Migration"),
)


@pytest.fixture
def draft(cycle):
    return _draft(cycle, THEME_QUESTION)


def _delegate(member):
    return PersonFactory(delegation=member, with_account=True).user


def _answer(survey, member, *labels_by_question):
    """Respond for `member` from the portal, naming options by label, question by question."""
    choices = {}
    for question, labels in zip(
        survey.questions.order_by("position"), labels_by_question, strict=True
    ):
        by_label = {o.label_en: o.pk for o in question.options.all()}
        choices[question.pk] = [by_label[label] for label in labels]
    services.response_submit(actor=_delegate(member), survey=survey, member=member, choices=choices)


# --- open and close ---------------------------------------------------------------------


def test_open_publishes_until_the_close_given_in_geneva_time(draft):
    closes = (clock.now() + datetime.timedelta(days=10)).astimezone(GENEVA)
    argument = closes.strftime("%Y-%m-%dT%H:%M")

    output = run("open", str(draft.pk), "--closes", argument)

    draft.refresh_from_db()
    assert draft.status == Survey.Status.OPEN
    assert draft.closes_at == timezone.make_aware(
        datetime.datetime.strptime(argument, "%Y-%m-%dT%H:%M"), GENEVA
    )
    assert f"to {closes:%Y-%m-%d %H:%M} (Geneva time)" in output
    assert "published" in output
    entry = AuditEntry.objects.filter(object_type="surveys.survey", note="published").get()
    assert entry.actor is None
    assert entry.actor_label == "system"


def test_open_without_a_close_gives_two_weeks(draft):
    run("open", str(draft.pk))

    draft.refresh_from_db()
    assert draft.closes_at - draft.opens_at == datetime.timedelta(days=14)


def test_open_records_the_staff_account_named_by_as(draft, staff_user):
    run("open", str(draft.pk), "--as", staff_user.email)

    entry = AuditEntry.objects.filter(object_type="surveys.survey", note="published").get()
    assert entry.actor == staff_user


def test_as_must_name_an_active_staff_account(draft, delegate):
    error = refused("open", str(draft.pk), "--as", delegate.email)

    assert "is not an active staff account" in str(error)
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_open_refuses_a_close_before_the_opening(draft):
    error = refused("open", str(draft.pk), "--closes", "2007-07-16T18:00")

    assert str(error) == "The survey must close after it opens."
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_open_refuses_a_time_written_otherwise(draft):
    error = refused("open", str(draft.pk), "--closes", "16.07.2007 18:00")

    assert "is not a time written YYYY-MM-DDTHH:MM" in str(error)


def test_open_refuses_a_survey_without_questions(cycle):
    survey = _draft(cycle)

    error = refused("open", str(survey.pk))

    assert str(error) == "A survey needs at least one question."


def test_close_closes_an_open_survey(draft):
    services.survey_publish(actor=SYSTEM, survey=draft)

    output = run("close", str(draft.pk))

    draft.refresh_from_db()
    assert draft.status == Survey.Status.CLOSED
    assert f"Survey {draft.pk} “Choice of the overarching theme” closed at" in output


def test_close_refuses_a_draft_with_the_service_message(draft):
    error = refused("close", str(draft.pk))

    assert str(error) == "Only a published survey can be closed."


@pytest.mark.parametrize("number", ["9999", "twelve"])
def test_an_unknown_survey_is_refused(number):
    error = refused("close", number)

    assert str(error) == f"There is no survey {number}."


def test_a_survey_number_is_needed(draft):
    assert str(refused("tally")) == "Give the survey's number."


def test_opens_and_closes_go_with_open_only(draft):
    refused("close", str(draft.pk), "--closes", "2030-01-01T10:00")


def test_an_unknown_action_is_refused(draft):
    with pytest.raises(CommandError):
        run("delete", str(draft.pk))


# --- tally ----------------------------------------------------------------------------


def test_tally_prints_turnout_scores_winner_and_observers_apart(draft):
    switzerland, senegal, mexico = (MemberFactory(code=c) for c in ("CHE", "SEN", "MEX"))
    observer = ObserverOrganizationFactory(name_en="Order of Malta")
    services.survey_publish(actor=SYSTEM, survey=draft)
    _answer(draft, switzerland, ["Return Migration"])
    _answer(draft, senegal, ["Return Migration"])
    _answer(draft, mexico, ["Mainstreaming Gender"])
    _answer(draft, observer, ["Mainstreaming Gender"])

    output = run("tally", str(draft.pk))

    assert "Turnout: 4 of 4 delegations (100%)" in output
    assert "Question 1: Which overarching theme should guide the dialogue?" in output
    assert "Winner: Return Migration" in output
    assert "Observers (not counted)" in output
    assert "Observers' winner(s): Mainstreaming Gender" in output
    counted = output.split("Observers (not counted)")[0]
    assert "│     1 │ Return Migration     │        2 │          2 │" in counted
    assert "│     2 │ Mainstreaming Gender │        1 │          1 │" in counted
    for kind in Member.Kind.labels:
        assert str(kind) in output


def test_tally_shows_a_tie_as_a_tie(draft):
    services.survey_publish(actor=SYSTEM, survey=draft)
    _answer(draft, MemberFactory(code="CHE"), ["Return Migration"])
    _answer(draft, MemberFactory(code="SEN"), ["Mainstreaming Gender"])

    output = run("tally", str(draft.pk))

    assert "Tie for first place: Mainstreaming Gender, Return Migration" in output
    assert "=1" in output


def test_tally_shows_instant_runoff_rounds_and_the_schulze_matrices(cycle):
    labels = ("Gender", "Return", "Environment")
    survey = _draft(
        cycle,
        ("Rank the themes (instant-runoff).", Question.Kind.RANK, Question.Method.IRV, labels),
        ("Rank the themes (Schulze).", Question.Kind.RANK, Question.Method.SCHULZE, labels),
    )
    services.survey_publish(actor=SYSTEM, survey=survey)
    ballots = {
        "CHE": ["Gender", "Return", "Environment"],
        "SEN": ["Gender", "Environment", "Return"],
        "MEX": ["Return", "Environment", "Gender"],
        "THA": ["Return", "Environment", "Gender"],
        "FJI": ["Environment", "Return", "Gender"],
    }
    for code, ranking in ballots.items():
        _answer(survey, MemberFactory(code=code), ranking, ranking)

    output = run("tally", str(survey.pk))

    assert "Instant-runoff rounds (weighted)" in output
    assert "Environment eliminated" in output
    assert "Return wins" in output
    assert "Pairwise preferences: row preferred to column" in output
    assert "Strongest paths: row to column" in output
    assert output.count("Winner: Return") == 2


def test_tally_of_a_draft_counts_nothing(draft):
    output = run("tally", str(draft.pk))

    assert "Turnout: 0 of 0 delegations (0%)" in output
    assert "Tie for first place" in output


# --- remind ---------------------------------------------------------------------------


def test_remind_due_sends_the_reminders_due_in_open_surveys(draft):
    waiting, answered = MemberFactory(code="CHE"), MemberFactory(code="SEN")
    PersonFactory(delegation=waiting)
    services.survey_publish(
        actor=SYSTEM, survey=draft, closes_at=clock.now() + datetime.timedelta(days=1)
    )
    _answer(draft, answered, ["Return Migration"])
    mail.outbox.clear()

    output = run("remind")

    assert output.strip() == "1 reminder e-mails sent."
    assert [m.to for m in mail.outbox] == [[waiting.persons.get().email]]
    assert run("remind", "due").strip() == "0 reminder e-mails sent."


def test_remind_one_survey_reminds_the_delegations_that_have_not_answered(draft):
    waiting = MemberFactory(code="CHE")
    PersonFactory(delegation=waiting)
    services.survey_publish(actor=SYSTEM, survey=draft)
    mail.outbox.clear()

    output = run("remind", str(draft.pk))

    assert f"1 reminder e-mails sent for survey {draft.pk}" in output
    assert len(mail.outbox) == 1


def test_remind_refuses_a_survey_that_is_not_open(draft):
    error = refused("remind", str(draft.pk))

    assert str(error) == "This survey has not been published."
