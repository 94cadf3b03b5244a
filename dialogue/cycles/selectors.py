"""Reads of the yearly cycle: a cycle at a glance, its current decisions, expressed interest."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    Proposal,
)
from dialogue.events.models import Event
from dialogue.surveys.models import Survey


def cycle_list() -> QuerySet[Cycle]:
    """Every cycle, latest year first, with its theme."""
    return Cycle.objects.select_related("theme").order_by("-year")


def current_decisions(cycle: Cycle) -> dict[str, Decision]:
    """The decision in force on each subject of the cycle (one not superseded), by subject."""
    decisions = (
        Decision.objects.filter(cycle=cycle, superseded_by__isnull=True)
        .select_related("consultation", "survey")
        .prefetch_related("proposals")
    )
    return {decision.subject: decision for decision in decisions}


@dataclass
class CycleOverview:
    """Everything the cycle page shows, with related objects loaded."""

    cycle: Cycle
    themes: list[Proposal]
    consultations: list[Consultation]
    surveys: list[Survey]
    decisions: list[Decision]
    current: dict[str, Decision]
    events: list[Event]

    @property
    def theme_decision(self) -> Decision | None:
        return self.current.get(Decision.Subject.THEME)


def cycle_overview(cycle: Cycle) -> CycleOverview:
    """A cycle's theme and how it was chosen, its proposals (themes with their workshop
    topics), consultations, surveys, decisions (current and superseded) and the events
    its decisions created."""
    proposals = Proposal.objects.select_related("proposer").prefetch_related("questions")
    themes = list(
        proposals.filter(cycle=cycle, kind=Proposal.Kind.THEME).prefetch_related(
            Prefetch("topics", queryset=proposals.order_by("position", "id"))
        )
    )
    consultations = list(
        cycle.consultations.select_related("agreed_proposal")
        .prefetch_related("proposals", "surveys")
        .order_by("-held_on", "-id")
    )
    decisions = list(
        cycle.decisions.select_related(
            "consultation", "survey", "supersedes", "superseded_by", "recorded_by"
        )
        .prefetch_related("proposals")
        .order_by("-decided_on", "-id")
    )
    events = list(
        Event.objects.filter(cycle=cycle, topic__decisions__cycle=cycle)
        .select_related("topic")
        .distinct()
        .order_by("id")
    )
    return CycleOverview(
        cycle=cycle,
        themes=themes,
        consultations=consultations,
        surveys=list(cycle.surveys.select_related("consultation").order_by("-id")),
        decisions=decisions,
        current={d.subject: d for d in decisions if d.is_current},
        events=events,
    )


def _interest() -> QuerySet[ExpressionOfInterest]:
    return ExpressionOfInterest.objects.select_related(
        "proposal__cycle", "proposal__theme", "member", "consultation", "survey"
    )


def proposal_interest(proposal: Proposal) -> QuerySet[ExpressionOfInterest]:
    """Who expressed interest in a proposal, and when: earliest first."""
    return _interest().filter(proposal=proposal).order_by("expressed_on", "id")


def interest_in(query: str) -> QuerySet[ExpressionOfInterest]:
    """Expressions of interest in the proposals whose title, in any language, holds every
    word of `query`; nothing for an empty query.

    Answers "who asked for a workshop on Migration and the Environment, and when" from
    the word "environment".
    """
    words = query.split()
    if not words:
        return ExpressionOfInterest.objects.none()
    condition = Q()
    for word in words:
        condition &= (
            Q(proposal__title_en__icontains=word)
            | Q(proposal__title_fr__icontains=word)
            | Q(proposal__title_es__icontains=word)
        )
    return (
        _interest()
        .filter(condition)
        .order_by("-proposal__cycle__year", "proposal__position", "proposal_id", "expressed_on")
    )


def _with_how_chosen(cycles: QuerySet[Cycle]) -> QuerySet[Cycle]:
    """Cycles with what says how their theme was or will be chosen, loaded in a few queries:
    `theme_decisions` (the decision in force on the theme), `pending_consultations`
    (consultations whose outcome is not recorded, soonest first) and `open_surveys`."""
    return cycles.select_related("theme").prefetch_related(
        Prefetch(
            "decisions",
            queryset=Decision.objects.filter(
                subject=Decision.Subject.THEME, superseded_by__isnull=True
            ).select_related("consultation", "survey"),
            to_attr="theme_decisions",
        ),
        Prefetch(
            "consultations",
            queryset=Consultation.objects.filter(outcome=Consultation.Outcome.PENDING).order_by(
                "held_on", "id"
            ),
            to_attr="pending_consultations",
        ),
        Prefetch(
            "surveys",
            queryset=Survey.objects.filter(status=Survey.Status.OPEN).order_by("closes_at", "id"),
            to_attr="open_surveys",
        ),
    )


def current_cycle() -> Cycle | None:
    """The latest cycle whose status is current, with how its theme was or will be chosen;
    None when no cycle is current."""
    return (
        _with_how_chosen(Cycle.objects.filter(status=Cycle.Status.CURRENT))
        .order_by("-year")
        .first()
    )


def cycle_archive() -> list[Cycle]:
    """Every cycle, latest year first, with its theme and how it was or will be chosen."""
    return list(_with_how_chosen(Cycle.objects.order_by("-year")))


def cycle_get(year) -> Cycle:
    """The cycle of a year, with how its theme was chosen (raises Cycle.DoesNotExist)."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Cycle.DoesNotExist from None
    return _with_how_chosen(Cycle.objects.all()).get(year=year)


def recent_decisions(limit: int = 30) -> list[Decision]:
    """The latest recorded decisions, latest first, with their cycle, basis and selection."""
    return list(
        Decision.objects.select_related("cycle", "consultation", "survey")
        .prefetch_related("proposals")
        .order_by("-recorded_at", "-id")[:limit]
    )
