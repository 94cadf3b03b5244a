"""Writes of the yearly cycle: proposals, consultations, interest and decisions."""

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.services import save_audited
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)

CYCLE_FIELDS = ("year", "name_en", "name_fr", "name_es", "status", "theme")
PROPOSAL_FIELDS = (
    "cycle",
    "kind",
    "theme",
    "position",
    "title_en",
    "title_fr",
    "title_es",
    "summary_en",
    "summary_fr",
    "summary_es",
    "proposer",
    "status",
)
CONSULTATION_FIELDS = (
    "cycle",
    "held_on",
    "place",
    "title_en",
    "title_fr",
    "title_es",
    "outcome",
    "agreed_proposal",
    "outcome_notes",
)


@transaction.atomic
def cycle_save(*, actor, data: dict[str, Any], cycle: Cycle | None = None) -> Cycle:
    """Open or change a cycle; its theme is set only by a decision."""
    require_staff(actor)
    if "theme" in data:
        raise DomainError(_("A cycle's theme is set by recording a decision."), field="theme")
    before = audit.snapshot(cycle, CYCLE_FIELDS) if cycle else None
    cycle = cycle or Cycle()
    for name in CYCLE_FIELDS:
        if name in data:
            setattr(cycle, name, data[name])
    if not cycle.name_en and cycle.year:
        cycle.name_en = f"IDM {cycle.year}"
    if Cycle.objects.filter(year=cycle.year).exclude(pk=cycle.pk).exists():
        raise DomainError(
            _("A cycle for %(year)s already exists.") % {"year": cycle.year}, field="year"
        )
    return save_audited(cycle, actor=actor, fields=CYCLE_FIELDS, before=before)


@transaction.atomic
def proposal_save(
    *,
    actor,
    data: dict[str, Any],
    questions: list[dict[str, str]] | None = None,
    proposal: Proposal | None = None,
) -> Proposal:
    """Create or change a proposal and, when given, replace its ordered guiding questions.

    A workshop topic belongs to a theme of the same cycle; each question is
    {"en": ..., "fr": ..., "es": ...} with the English text required.
    """
    require_staff(actor)
    before = audit.snapshot(proposal, PROPOSAL_FIELDS) if proposal else None
    proposal = proposal or Proposal()
    for name in PROPOSAL_FIELDS:
        if name in data:
            setattr(proposal, name, data[name])
    if proposal.kind == Proposal.Kind.WORKSHOP_TOPIC:
        if proposal.theme is None or proposal.theme.kind != Proposal.Kind.THEME:
            raise DomainError(_("A workshop topic belongs to an overarching theme."), field="theme")
        if proposal.theme.cycle_id != proposal.cycle_id:
            raise DomainError(_("The theme must be of the same cycle."), field="theme")
    elif proposal.kind == Proposal.Kind.THEME and proposal.theme_id:
        raise DomainError(
            _("An overarching theme does not belong to another theme."), field="theme"
        )
    save_audited(proposal, actor=actor, fields=PROPOSAL_FIELDS, before=before)
    if questions is not None:
        _replace_questions(actor, proposal, questions)
    return proposal


def _replace_questions(actor, proposal: Proposal, questions: list[dict[str, str]]) -> None:
    for index, question in enumerate(questions, start=1):
        if not (question.get("en") or "").strip():
            raise DomainError(
                _("Guiding question %(n)d has no English text.") % {"n": index},
                field="questions",
            )
    before = {
        code: [getattr(q, f"text_{code}") for q in proposal.questions.all()]
        for code in ("en", "fr", "es")
    }
    after = {code: [(q.get(code) or "").strip() for q in questions] for code in ("en", "fr", "es")}
    proposal.questions.all().delete()
    GuidingQuestion.objects.bulk_create(
        GuidingQuestion(
            proposal=proposal,
            position=index,
            text_en=question["en"].strip(),
            text_fr=(question.get("fr") or "").strip(),
            text_es=(question.get("es") or "").strip(),
        )
        for index, question in enumerate(questions, start=1)
    )
    changes = {
        ("guiding_questions" if code == "en" else f"guiding_questions_{code}"): [
            before[code],
            after[code],
        ]
        for code in ("en", "fr", "es")
        if before[code] != after[code] and (code == "en" or any(before[code] + after[code]))
    }
    if changes:
        audit.record(actor=actor, action="update", obj=proposal, changes=changes)


@transaction.atomic
def proposal_withdraw(*, actor, proposal: Proposal) -> Proposal:
    """Withdraw a proposal that has not been decided on."""
    require_staff(actor)
    if proposal.status != Proposal.Status.PROPOSED:
        raise DomainError(_("Only a proposal still under consideration can be withdrawn."))
    before = audit.snapshot(proposal, PROPOSAL_FIELDS)
    proposal.status = Proposal.Status.WITHDRAWN
    return save_audited(proposal, actor=actor, fields=PROPOSAL_FIELDS, before=before)


@transaction.atomic
def consultation_save(
    *,
    actor,
    data: dict[str, Any],
    proposals: list[Proposal] | None = None,
    consultation: Consultation | None = None,
) -> Consultation:
    """Schedule or change an informal consultation and the proposals it discusses."""
    require_staff(actor)
    before = audit.snapshot(consultation, CONSULTATION_FIELDS) if consultation else None
    consultation = consultation or Consultation()
    for name in CONSULTATION_FIELDS:
        if name in data and name not in ("outcome", "agreed_proposal"):
            setattr(consultation, name, data[name])
    now_discussed = sorted(str(p) for p in proposals) if proposals is not None else None
    creating = before is None
    save_audited(
        consultation,
        actor=actor,
        fields=CONSULTATION_FIELDS,
        before=before,
        extra={"proposals": now_discussed} if creating and now_discussed else None,
    )
    if proposals is not None:
        discussed = [] if creating else sorted(str(p) for p in consultation.proposals.all())
        consultation.proposals.set(proposals)
        if not creating and discussed != now_discussed:
            audit.record(
                actor=actor,
                action="update",
                obj=consultation,
                changes={"proposals": [discussed, now_discussed]},
            )
    return consultation


@transaction.atomic
def consultation_record_outcome(
    *,
    actor,
    consultation: Consultation,
    outcome: str,
    agreed_proposal: Proposal | None = None,
    notes: str = "",
) -> Consultation:
    """Record agreement on one discussed proposal, or no agreement."""
    require_staff(actor)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if outcome == Consultation.Outcome.AGREEMENT:
        if agreed_proposal is None:
            raise DomainError(
                _("Name the proposal the consultation agreed on."), field="agreed_proposal"
            )
        if not consultation.proposals.filter(pk=agreed_proposal.pk).exists():
            raise DomainError(
                _("The agreed proposal was not discussed at this consultation."),
                field="agreed_proposal",
            )
    elif outcome == Consultation.Outcome.NO_AGREEMENT:
        agreed_proposal = None
    else:
        raise DomainError(_("The outcome is agreement or no agreement."), field="outcome")
    before = audit.snapshot(consultation, CONSULTATION_FIELDS)
    consultation.outcome = outcome
    consultation.agreed_proposal = agreed_proposal
    consultation.outcome_notes = notes
    return save_audited(consultation, actor=actor, fields=CONSULTATION_FIELDS, before=before)


@transaction.atomic
def interest_record(
    *,
    actor,
    proposal: Proposal,
    expressed_on: datetime.date,
    member=None,
    consultation: Consultation | None = None,
    survey=None,
    note: str = "",
) -> ExpressionOfInterest:
    """Record that a delegation (or the membership) expressed interest in a proposal."""
    require_staff(actor)
    if consultation is None and survey is None:
        raise DomainError(_("Say at which consultation or in which survey."), field="occasion")
    interest = ExpressionOfInterest(
        proposal=proposal,
        member=member,
        consultation=consultation,
        survey=survey,
        expressed_on=expressed_on,
        note=note,
    )
    return save_audited(
        interest,
        actor=actor,
        fields=("proposal", "member", "consultation", "survey", "expressed_on", "note"),
    )


@transaction.atomic
def decision_record(
    *,
    actor,
    cycle: Cycle,
    subject: str,
    proposals: list[Proposal],
    decided_on: datetime.date,
    consultation: Consultation | None = None,
    survey=None,
    note: str = "",
    supersedes: Decision | None = None,
) -> Decision:
    """Record a decision and apply it: a theme becomes the cycle's theme; selected workshop
    topics each become an intersessional workshop in planning.

    A decision names its basis: consensus at a consultation that agreed, or a closed
    survey. It never rewrites an earlier decision: it may only supersede it.
    """
    from dialogue.events.services import workshop_drop_for_topic, workshop_plan_for_topic
    from dialogue.surveys.models import Survey

    require_staff(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if subject not in Decision.Subject.values:
        raise DomainError(_("Unknown subject of decision."), field="subject")
    if survey is not None:
        basis = Decision.Basis.SURVEY
        if survey.status not in (Survey.Status.CLOSED, Survey.Status.RESULTS_PUBLISHED):
            raise DomainError(
                _("A decision cannot rest on a survey that is still open."), field="survey"
            )
        if survey.cycle_id != cycle.pk:
            raise DomainError(_("The survey belongs to another cycle."), field="survey")
    elif consultation is not None:
        basis = Decision.Basis.CONSENSUS
        if consultation.cycle_id != cycle.pk:
            raise DomainError(_("The consultation belongs to another cycle."), field="consultation")
        if consultation.outcome != Consultation.Outcome.AGREEMENT:
            raise DomainError(_("The consultation did not reach agreement."), field="consultation")
    else:
        raise DomainError(
            _("A decision names its basis: a consultation or a survey."), field="basis"
        )
    expected = (
        Proposal.Kind.THEME if subject == Decision.Subject.THEME else Proposal.Kind.WORKSHOP_TOPIC
    )
    if not proposals:
        raise DomainError(_("Name what was selected."), field="proposals")
    for proposal in proposals:
        if proposal.cycle_id != cycle.pk or proposal.kind != expected:
            raise DomainError(
                _("%(proposal)s cannot be selected by this decision.") % {"proposal": proposal},
                field="proposals",
            )
        if proposal.status == Proposal.Status.WITHDRAWN:
            raise DomainError(
                _("%(proposal)s was withdrawn.") % {"proposal": proposal}, field="proposals"
            )
    if subject == Decision.Subject.THEME and len(proposals) != 1:
        raise DomainError(_("A cycle has one overarching theme."), field="proposals")
    if basis == Decision.Basis.CONSENSUS and consultation.agreed_proposal_id not in {
        p.pk for p in proposals
    }:
        raise DomainError(
            _("The consultation agreed on %(proposal)s; the decision must include it.")
            % {"proposal": consultation.agreed_proposal},
            field="proposals",
        )
    current = Decision.objects.filter(
        cycle=cycle, subject=subject, superseded_by__isnull=True
    ).first()
    if current is not None and supersedes != current:
        raise DomainError(
            _("A decision on this already exists; record the new one as superseding it."),
            field="supersedes",
        )
    if supersedes is not None and supersedes != current:
        raise DomainError(_("Only the current decision can be superseded."), field="supersedes")
    decision = Decision(
        cycle=cycle,
        subject=subject,
        basis=basis,
        consultation=consultation if basis == Decision.Basis.CONSENSUS else None,
        survey=survey,
        decided_on=decided_on,
        note=note,
        supersedes=supersedes,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=clock.now(),
    )
    save_audited(
        decision,
        actor=actor,
        fields=(
            "cycle",
            "subject",
            "basis",
            "consultation",
            "survey",
            "decided_on",
            "note",
            "supersedes",
        ),
        extra={"proposals": sorted(str(p) for p in proposals)},
    )
    decision.proposals.set(proposals)
    _apply(actor, cycle, subject, proposals)
    if subject == Decision.Subject.WORKSHOP_TOPICS:
        for proposal in proposals:
            workshop_plan_for_topic(actor=actor, topic=proposal)
        if supersedes is not None:
            for dropped in supersedes.proposals.exclude(pk__in=[p.pk for p in proposals]):
                workshop_drop_for_topic(actor=actor, topic=dropped)
    return decision


def _apply(actor, cycle: Cycle, subject: str, selected: list[Proposal]) -> None:
    kind = (
        Proposal.Kind.THEME if subject == Decision.Subject.THEME else Proposal.Kind.WORKSHOP_TOPIC
    )
    chosen = {p.pk for p in selected}
    for proposal in (
        Proposal.objects.select_for_update()
        .filter(cycle=cycle, kind=kind)
        .exclude(status=Proposal.Status.WITHDRAWN)
    ):
        status = Proposal.Status.SELECTED if proposal.pk in chosen else Proposal.Status.NOT_SELECTED
        if proposal.status != status:
            before = audit.snapshot(proposal, PROPOSAL_FIELDS)
            proposal.status = status
            save_audited(proposal, actor=actor, fields=PROPOSAL_FIELDS, before=before)
    if subject == Decision.Subject.THEME:
        before = audit.snapshot(cycle, CYCLE_FIELDS)
        cycle.theme = selected[0]
        save_audited(cycle, actor=actor, fields=CYCLE_FIELDS, before=before)
