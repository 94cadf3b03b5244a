"""Cycles: each year's theme, proposals with their guiding questions, consultations and
decisions."""

from django.http import HttpRequest
from ninja import Path, Router

from dialogue.api.auth import ANYONE
from dialogue.api.members import PUBLIC
from dialogue.api.schemas import CycleOut, CycleSummaryOut, ErrorOut
from dialogue.cycles import selectors
from dialogue.cycles.models import Consultation, Cycle, Decision, Proposal

router = Router(tags=["cycles"], auth=ANYONE)


def _summary(cycle: Cycle) -> dict:
    return {
        "year": cycle.year,
        "name": cycle.name,
        "status": cycle.status,
        "theme": cycle.theme.title if cycle.theme_id else None,
    }


def _proposal(proposal: Proposal) -> dict:
    return {
        "id": proposal.pk,
        "kind": proposal.kind,
        "title": proposal.title,
        "summary": proposal.summary,
        "status": proposal.status,
        "proposer": proposal.proposer_label,
        "guiding_questions": [
            {"position": q.position, "text": q.text}
            for q in sorted(proposal.questions.all(), key=lambda q: (q.position, q.pk))
        ],
    }


def _consultation(consultation: Consultation) -> dict:
    return {
        "id": consultation.pk,
        "held_on": consultation.held_on,
        "place": consultation.place,
        "title": consultation.title,
        "outcome": consultation.outcome,
        "agreed_proposal": consultation.agreed_proposal_id,
        "outcome_notes": consultation.outcome_notes,
        "proposals": sorted(p.pk for p in consultation.proposals.all()),
    }


def decision_out(decision: Decision) -> dict:
    """A decision as the API shows it: what, how, when, on what evidence, and whether it
    is still in force."""
    superseded_by = getattr(decision, "superseded_by", None)
    return {
        "id": decision.pk,
        "subject": decision.subject,
        "basis": decision.basis,
        "decided_on": decision.decided_on,
        "note": decision.note,
        "consultation": decision.consultation_id,
        "survey": decision.survey_id,
        "proposals": sorted(p.pk for p in decision.proposals.all()),
        "is_current": decision.is_current,
        "supersedes": decision.supersedes_id,
        "superseded_by": superseded_by.pk if superseded_by else None,
    }


@router.get(
    "/cycles",
    response={200: list[CycleSummaryOut], 401: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def list_cycles(request: HttpRequest):
    """Every cycle, latest year first, with its theme once decided."""
    return [_summary(cycle) for cycle in selectors.cycle_list()]


@router.get(
    "/cycles/{year}",
    response={200: CycleOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def get_cycle(request: HttpRequest, year: int = Path(..., ge=1, le=32767)):
    """A cycle with its theme, its proposals (themes with their workshop topics, each with
    its guiding questions), consultations with their outcome, and decisions, current and
    superseded (latest first)."""
    overview = selectors.cycle_overview(selectors.cycle_get(year))
    themes = []
    for theme in overview.themes:
        out = _proposal(theme)
        out["workshop_topics"] = [_proposal(topic) for topic in theme.topics.all()]
        themes.append(out)
    return {
        **_summary(overview.cycle),
        "proposals": themes,
        "consultations": [_consultation(c) for c in overview.consultations],
        "decisions": [decision_out(d) for d in overview.decisions],
    }
