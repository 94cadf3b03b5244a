"""Factories for surveys, and small helpers the survey tests share.

`SurveyFactory` writes a bare draft directly (set-up only, for records that merely
need a survey to point to). `DraftSurveyFactory` and `PublishedSurveyFactory` go
through the services (`survey_create`, `question_add`, `survey_publish`), so every
survey a response is given to was built under the same rules as in real use.
"""

import datetime
from typing import Any

import factory

from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, PersonFactory, StaffUserFactory
from dialogue.surveys import services
from dialogue.surveys.models import (
    Answer,
    Question,
    Reminder,
    Response,
    ResponseVersion,
    Survey,
)

# A Monday morning in Geneva; surveys built by the factories open at this instant.
OPENS = datetime.datetime(2008, 3, 3, 8, 0, tzinfo=datetime.UTC)
CLOSES = OPENS + datetime.timedelta(days=14)
DURING = OPENS + datetime.timedelta(days=3)


def option_labels(*labels: str) -> list[dict[str, str]]:
    return [{"label_en": label, "label_fr": f"{label} (fr)"} for label in labels]


def choose_one(*labels: str, **extra: Any) -> dict[str, Any]:
    """A question spec for `question_add`: choose one of the options (plurality)."""
    return {
        "text": {"en": "Which one?", "fr": "Laquelle ?", "es": "¿Cuál?"},
        "kind": Question.Kind.CHOOSE_ONE,
        "method": Question.Method.PLURALITY,
        "options": option_labels(*(labels or ("Alpha", "Beta", "Gamma"))),
        **extra,
    }


def choose_up_to(k: int, *labels: str, **extra: Any) -> dict[str, Any]:
    """A question spec: choose up to k options (approval)."""
    return {
        "text": {"en": f"Which {k}?"},
        "kind": Question.Kind.CHOOSE_UP_TO,
        "method": Question.Method.APPROVAL,
        "max_choices": k,
        "options": option_labels(*(labels or ("North", "South", "East", "West"))),
        **extra,
    }


def ranking(k: int, *labels: str, method: str = Question.Method.BORDA, **extra) -> dict:
    """A question spec: rank up to k options (Borda unless said otherwise)."""
    return {
        "text": {"en": "Rank them."},
        "kind": Question.Kind.RANK,
        "method": method,
        "max_choices": k,
        "options": option_labels(*(labels or ("One", "Two", "Three", "Four"))),
        **extra,
    }


class SurveyFactory(factory.django.DjangoModelFactory):
    """A bare draft survey without questions, written directly."""

    class Meta:
        model = Survey

    cycle = factory.SubFactory(CycleFactory)
    title_en = factory.Sequence(lambda n: f"Survey {n}")
    reminder_days = factory.LazyFunction(lambda: [7, 2])


class DraftSurveyFactory(factory.Factory):
    """A draft survey with questions, built through `survey_create` and `question_add`.

    `questions` is a list of specs from `choose_one`, `choose_up_to` or `ranking`.
    """

    class Meta:
        model = Survey

    actor = factory.SubFactory(StaffUserFactory)
    cycle = factory.SubFactory(CycleFactory)
    title_en = factory.Sequence(lambda n: f"Choice of the theme {n}")
    title_fr = factory.Sequence(lambda n: f"Choix du thème {n}")
    title_es = factory.Sequence(lambda n: f"Elección del tema {n}")
    audience = Survey.Audience.MEMBERS_AND_OBSERVERS
    reminder_days = factory.LazyFunction(lambda: [7, 2])
    questions = factory.LazyFunction(lambda: [choose_one()])

    @classmethod
    def _create(cls, model_class, *, actor, cycle, questions, **data):
        survey = services.survey_create(actor=actor, cycle=cycle, data=data)
        for spec in questions:
            services.question_add(actor=actor, survey=survey, **spec)
        return survey


class PublishedSurveyFactory(DraftSurveyFactory):
    """An open survey: drafted, then published through `survey_publish` at `now`.

    It opens at OPENS and, unless `closes_at` is given, closes two weeks later (CLOSES).
    """

    opens_at = OPENS
    closes_at = None
    now = factory.SelfAttribute("opens_at")

    @classmethod
    def _create(cls, model_class, *, opens_at, closes_at, now, **kwargs):
        actor = kwargs["actor"]
        survey = super()._create(model_class, **kwargs)
        return services.survey_publish(
            actor=actor, survey=survey, opens_at=opens_at, closes_at=closes_at, now=now
        )


def delegate_of(member: Member, **kwargs: Any):
    """The login of a new active delegate of `member`."""
    return PersonFactory(delegation=member, with_account=True, **kwargs).user


def observer_state(code: str = "VAT", name: str = "Holy See") -> Member:
    return MemberFactory(kind=Member.Kind.OBSERVER_STATE, code=code, name_en=name)


def option_ids(question: Question) -> list[int]:
    return list(question.options.order_by("position").values_list("id", flat=True))


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position"))


def row_counts() -> dict[str, int]:
    """How many rows a response can add to; equal before and after means nothing changed
    (a refusal's own audit entry aside: see test_refusals_audited)."""
    return {
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "versions": ResponseVersion.objects.count(),
        "audit": AuditEntry.objects.exclude(action=AuditEntry.Action.REFUSED).count(),
        "reminders": Reminder.objects.count(),
    }


def stored_answers(response: Response) -> dict[int, list[int]]:
    """The current answers of a response as {question id: option ids in rank order}."""
    answers: dict[int, list[int]] = {}
    for answer in response.answers.order_by("question_id", "rank"):
        answers.setdefault(answer.question_id, []).append(answer.option_id)
    return answers
