"""Reads of the surveys app: who may answer, who did, and the results."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from dialogue.core import clock
from dialogue.members.models import Member, Person, Region
from dialogue.surveys import counting, verification
from dialogue.surveys.models import (
    Answer,
    Question,
    Response,
    ResponseVersion,
    Survey,
    Weight,
)


def eligible_members(survey: Survey) -> QuerySet[Member]:
    """The active delegations in the survey's audience that had joined when it opened."""
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if survey.opens_at is not None:
        opened = timezone.localdate(survey.opens_at)
        members = members.filter(Q(joined__isnull=True) | Q(joined__lte=opened))
    if survey.audience == Survey.Audience.MEMBER_STATES:
        members = members.filter(kind=Member.Kind.MEMBER_STATE)
    return members.order_by("name_en")


def members_without_response(survey: Survey) -> QuerySet[Member]:
    """Eligible delegations that have not responded yet."""
    return eligible_members(survey).exclude(survey_responses__survey=survey)


def open_surveys_for_member(member: Member, now: datetime.datetime | None = None):
    """Published surveys whose audience includes the delegation, open now, soonest close first."""
    now = now or clock.now()
    surveys = Survey.objects.filter(
        status=Survey.Status.OPEN, opens_at__lte=now, closes_at__gt=now
    ).order_by("closes_at")
    if member.kind != Member.Kind.MEMBER_STATE:
        surveys = surveys.exclude(audience=Survey.Audience.MEMBER_STATES)
    return surveys


def surveys_for_member(member: Member) -> QuerySet[Survey]:
    """Every published survey the delegation may see (open, closed or with results)."""
    surveys = Survey.objects.exclude(status=Survey.Status.DRAFT).order_by("-opens_at")
    if member.kind != Member.Kind.MEMBER_STATE:
        surveys = surveys.exclude(audience=Survey.Audience.MEMBER_STATES)
    return surveys


def published_to(survey: Survey, member: Member) -> bool:
    """True when `surveys_for_member(member)` includes `survey`."""
    if survey.status == Survey.Status.DRAFT:
        return False
    return member.kind == Member.Kind.MEMBER_STATE or (
        survey.audience != Survey.Audience.MEMBER_STATES
    )


def response_for(survey: Survey, member: Member) -> Response | None:
    """The delegation's current response, with its answers, if any."""
    return (
        Response.objects.filter(survey=survey, member=member)
        .prefetch_related("answers")
        .select_related("member", "submitted_by")
        .first()
    )


def can_respond(user, member: Member) -> bool:
    """True when the account is an active delegate or focal point of the delegation."""
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    return bool(
        person is not None
        and user.is_active
        and person.is_active
        and person.delegation_id == member.pk
        and person.role in Person.DELEGATION_ROLES
    )


@dataclass
class Turnout:
    eligible: int
    responded: int
    by_kind: dict[str, tuple[int, int]]
    responded_members: list[Member] = field(default_factory=list)
    missing_members: list[Member] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.responded / self.eligible if self.eligible else 0.0


def turnout(survey: Survey) -> Turnout:
    """How many eligible delegations responded, by kind of member, and which ones."""
    eligible = list(eligible_members(survey))
    answered = set(survey.responses.values_list("member_id", flat=True))
    by_kind: dict[str, tuple[int, int]] = {}
    for kind in Member.Kind.values:
        of_kind = [m for m in eligible if m.kind == kind]
        by_kind[kind] = (sum(1 for m in of_kind if m.pk in answered), len(of_kind))
    responded_members = [m for m in eligible if m.pk in answered]
    return Turnout(
        eligible=len(eligible),
        responded=len(responded_members),
        by_kind=by_kind,
        responded_members=responded_members,
        missing_members=[m for m in eligible if m.pk not in answered],
    )


def ballot_matrix(question: Question, member_filter: dict[str, Any] | None = None):
    """The responses to a question as (member ids, ranks matrix, option ids).

    ranks[i, j] is the position response i gave option j (0 = not chosen); for a
    choose-up-to-k question every chosen option is 1, as approval counting expects.
    Read with one query over the answers; no response object is built.
    """
    options = list(question.options.order_by("position").values_list("id", flat=True))
    column = {option_id: j for j, option_id in enumerate(options)}
    responses = Response.objects.filter(survey_id=question.survey_id)
    if member_filter:
        responses = responses.filter(**{f"member__{k}": v for k, v in member_filter.items()})
    member_ids = list(responses.order_by("member_id").values_list("member_id", flat=True))
    row = {member_id: i for i, member_id in enumerate(member_ids)}
    ranks = np.zeros((len(member_ids), len(options)), dtype=np.int16)
    answers = Answer.objects.filter(question=question, response__in=responses).values_list(
        "response__member_id", "option_id", "rank"
    )
    for member_id, option_id, rank in answers.iterator(chunk_size=20000):
        ranks[row[member_id], column[option_id]] = rank
    if question.kind == Question.Kind.CHOOSE_UP_TO:
        ranks = (ranks > 0).astype(np.int16)
    return member_ids, ranks, options


def weights_for(survey: Survey, member_ids: list[int]) -> np.ndarray:
    """The weight of each delegation in `member_ids` (1 unless set)."""
    set_weights = dict(
        Weight.objects.filter(survey=survey, member_id__in=member_ids).values_list(
            "member_id", "weight"
        )
    )
    return np.array([float(set_weights.get(m, 1)) for m in member_ids], dtype=np.float64)


@dataclass
class QuestionResult:
    """The count of one question: counted delegations, observers apart, and by region."""

    question: Question
    labels: dict[int, str]
    counted: counting.Count
    observers: counting.Count | None
    by_region: list[tuple[str, dict[int, int]]]

    @property
    def selection(self) -> counting.Selection | None:
        """For a choose-up-to-k question: the k options selected, and any tie at the cut."""
        if self.question.kind != Question.Kind.CHOOSE_UP_TO:
            return None
        return counting.select_top(self.counted.weighted, self.question.max_choices)

    @property
    def tie(self) -> bool:
        """True when the result does not decide: first place shared, or a tie at the cut."""
        selection = self.selection
        if selection is not None:
            return bool(selection.tied)
        return self.counted.weighted.tie

    @property
    def weighted_differs(self) -> bool:
        return self.counted.weighted is not self.counted.unweighted


@dataclass
class SurveyResults:
    """Everything the results page shows, recomputed from the stored responses."""

    survey: Survey
    turnout: Turnout
    questions: list[QuestionResult]
    fingerprints: list[str]


def _counted_filter(survey: Survey) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if survey.observers_counted:
        return {}, None
    return {"kind": Member.Kind.MEMBER_STATE}, {
        "kind__in": [Member.Kind.OBSERVER_STATE, Member.Kind.OBSERVER_ORGANIZATION]
    }


def question_result(question: Question) -> QuestionResult:
    """Count one question under its method, weighted and unweighted, with observers apart."""
    survey = question.survey
    counted_filter, observer_filter = _counted_filter(survey)
    tiebreak = question.tiebreak or None
    member_ids, ranks, options = ballot_matrix(question, counted_filter)
    profile = counting.Profile(
        options=tuple(options), ranks=ranks, weights=weights_for(survey, member_ids)
    )
    counted = counting.count(profile, question.method, tiebreak=tiebreak)
    observers = None
    if observer_filter is not None:
        obs_ids, obs_ranks, _options = ballot_matrix(question, observer_filter)
        if obs_ids:
            observers = counting.count(
                counting.Profile(
                    options=tuple(options), ranks=obs_ranks, weights=weights_for(survey, obs_ids)
                ),
                question.method,
                tiebreak=tiebreak,
            )
    regions = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "region"))
    chosen = ranks > 0 if question.kind == Question.Kind.CHOOSE_UP_TO else ranks == 1
    by_region = []
    for value, label in Region.choices:
        rows = [i for i, member_id in enumerate(member_ids) if regions.get(member_id) == value]
        if rows:
            totals = chosen[rows].sum(axis=0)
            by_region.append(
                (str(label), {options[j]: int(totals[j]) for j in range(len(options))})
            )
    labels = {o.pk: o.label for o in question.options.all()}
    return QuestionResult(
        question=question, labels=labels, counted=counted, observers=observers, by_region=by_region
    )


def survey_results(survey: Survey) -> SurveyResults:
    """The survey's turnout, every question's count and the published receipt fingerprints.

    Nothing is stored: the same responses always give the same results.
    """
    questions = list(survey.questions.prefetch_related("options").order_by("position"))
    return SurveyResults(
        survey=survey,
        turnout=turnout(survey),
        questions=[question_result(q) for q in questions],
        fingerprints=sorted(survey.responses.values_list("fingerprint", flat=True)),
    )


def results_visible_to(survey: Survey, user) -> bool:
    """Staff see results at any time; delegations only once they are published."""
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return True
    return survey.status == Survey.Status.RESULTS_PUBLISHED


def survey_history(survey: Survey):
    """Each delegation's stored versions of its response to `survey`, in stored order,
    with its current response (None if it has none), as (member code, links, current)."""
    codes = dict(Member.objects.values_list("pk", "code"))
    links = defaultdict(list)
    for row in ResponseVersion.objects.filter(survey=survey).order_by("member_id", "version", "id"):
        links[row.member_id].append(
            verification.Link(
                row.version, row.content, row.receipt, row.submitted_at, row.fingerprint
            )
        )
    currents = {}
    for response in Response.objects.filter(survey=survey).prefetch_related("answers"):
        chosen = defaultdict(list)
        for answer in sorted(response.answers.all(), key=lambda a: (a.question_id, a.rank)):
            chosen[str(answer.question_id)].append(answer.option_id)
        currents[response.member_id] = verification.Current(
            response.version, response.receipt, response.fingerprint, dict(chosen), response.comment
        )
    for member_id in sorted(set(links) | set(currents), key=lambda pk: codes[pk]):
        yield codes[member_id], links.get(member_id, []), currents.get(member_id)


def history_problems(survey: Survey) -> dict[str, list[str]]:
    """Each delegation whose stored history of `survey` does not recompute, with what is
    wrong (see dialogue.surveys.verification); empty when all of it is as written."""
    return verification.problems(survey.pk, survey_history(survey))
