"""Staff pages of the yearly cycle: cycles, proposals, consultations, interest and decisions.

Each page parses its form, calls one service or selector of `dialogue.cycles` (or the
surveys service that prepares a follow-up survey) and shows the service's refusal on the
form or as a message.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.cycles import selectors, services
from dialogue.cycles.models import Consultation, Cycle, Decision, Proposal
from dialogue.staff.cycle_forms import (
    ConsultationForm,
    CycleForm,
    DecisionForm,
    GuidingQuestionFormSet,
    InterestForm,
    OutcomeForm,
    ProposalForm,
    questions_from,
    questions_initial,
)
from dialogue.surveys import services as survey_services

SURVEY_PAGE = "staff:survey_detail"


def survey_pages_exist() -> bool:
    """True when the staff survey pages are installed; otherwise surveys link to the admin."""
    try:
        reverse(SURVEY_PAGE, args=[1])
    except NoReverseMatch:
        return False
    return True


def survey_url(survey) -> str:
    """The staff page of a survey, or its admin page when there are no survey pages."""
    if survey_pages_exist():
        return reverse(SURVEY_PAGE, args=[survey.pk])
    return reverse("admin:surveys_survey_change", args=[survey.pk])


def _refused(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal beside the input at fault, or above the form."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from error
    name = (aliases or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


# --- cycles -------------------------------------------------------------------------


@staff_member_required
@require_safe
def cycle_list(request):
    """Every cycle: year, name, status and theme."""
    return render(request, "staff/cycles/cycle_list.html", {"cycles": selectors.cycle_list()})


@staff_member_required
def cycle_form(request, pk: int | None = None):
    """Open a cycle, or change its year, names or status (its theme is set by a decision)."""
    cycle = get_object_or_404(Cycle, pk=pk) if pk is not None else None
    posted = request.method == "POST"
    form = CycleForm(
        request.POST if posted else None,
        initial=CycleForm.initial_for(cycle) if cycle else None,
    )
    if posted and form.is_valid():
        try:
            cycle = services.cycle_save(actor=request.user, data=form.cleaned_data, cycle=cycle)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("%(cycle)s saved.") % {"cycle": cycle})
            return redirect("staff:cycle_detail", cycle.pk)
    return render(request, "staff/cycles/cycle_form.html", {"form": form, "cycle": cycle})


@staff_member_required
@require_safe
def cycle_detail(request, pk: int):
    """A cycle: its theme and how it was chosen, proposals, consultations, surveys,
    decisions and the events its decisions created."""
    cycle = get_object_or_404(Cycle, pk=pk)
    return render(
        request,
        "staff/cycles/cycle_detail.html",
        {
            "overview": selectors.cycle_overview(cycle),
            "survey_pages": survey_pages_exist(),
        },
    )


# --- proposals ----------------------------------------------------------------------


@staff_member_required
def proposal_form(request, cycle_pk: int | None = None, pk: int | None = None):
    """Propose a theme or a workshop topic with its ordered guiding questions, or change it."""
    if pk is not None:
        proposal = get_object_or_404(Proposal.objects.select_related("cycle"), pk=pk)
        cycle = proposal.cycle
    else:
        proposal = None
        cycle = get_object_or_404(Cycle, pk=cycle_pk)
    posted = request.method == "POST"
    form = ProposalForm(request.POST if posted else None, cycle=cycle, proposal=proposal)
    questions = GuidingQuestionFormSet(
        request.POST if posted else None,
        initial=questions_initial(proposal) if proposal else None,
        prefix="questions",
    )
    if posted and form.is_valid() and questions.is_valid():
        data = dict(form.cleaned_data)
        if proposal is None:
            data["cycle"] = cycle
        try:
            proposal = services.proposal_save(
                actor=request.user,
                data=data,
                questions=questions_from(questions),
                proposal=proposal,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("“%(title)s” saved.") % {"title": proposal.title})
            return redirect("staff:cycle_detail", cycle.pk)
    return render(
        request,
        "staff/cycles/proposal_form.html",
        {"form": form, "questions": questions, "cycle": cycle, "proposal": proposal},
    )


@staff_member_required
def proposal_withdraw(request, pk: int):
    """Withdraw a proposal, after a confirmation page."""
    proposal = get_object_or_404(Proposal.objects.select_related("cycle"), pk=pk)
    if request.method != "POST":
        return render(request, "staff/cycles/proposal_withdraw.html", {"proposal": proposal})
    try:
        services.proposal_withdraw(actor=request.user, proposal=proposal)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(title)s” was withdrawn.") % {"title": proposal.title})
    return redirect("staff:cycle_detail", proposal.cycle_id)


# --- expressions of interest --------------------------------------------------------


@staff_member_required
@require_safe
def proposal_interest(request, pk: int):
    """Who asked for this proposal, and when."""
    proposal = get_object_or_404(Proposal.objects.select_related("cycle", "theme"), pk=pk)
    return render(
        request,
        "staff/cycles/proposal_interest.html",
        {"proposal": proposal, "interests": selectors.proposal_interest(proposal)},
    )


@staff_member_required
def interest_add(request, pk: int):
    """Record that a delegation, or the membership, expressed interest in a proposal."""
    proposal = get_object_or_404(Proposal.objects.select_related("cycle"), pk=pk)
    posted = request.method == "POST"
    form = InterestForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            services.interest_record(actor=request.user, proposal=proposal, **form.cleaned_data)
        except DomainError as error:
            _refused(form, error, {"occasion": "consultation"})
        else:
            messages.success(request, _("The expression of interest was recorded."))
            return redirect("staff:proposal_interest", proposal.pk)
    return render(request, "staff/cycles/interest_form.html", {"form": form, "proposal": proposal})


@staff_member_required
@require_safe
def interest_search(request):
    """Who asked for what, and when: expressions of interest in proposals by title."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "staff/cycles/interest_search.html",
        {"query": query, "interests": selectors.interest_in(query)},
    )


# --- consultations ------------------------------------------------------------------


@staff_member_required
def consultation_form(request, cycle_pk: int | None = None, pk: int | None = None):
    """Schedule an informal consultation and the proposals it discusses, or change it."""
    if pk is not None:
        consultation = get_object_or_404(Consultation.objects.select_related("cycle"), pk=pk)
        cycle = consultation.cycle
    else:
        consultation = None
        cycle = get_object_or_404(Cycle, pk=cycle_pk)
    posted = request.method == "POST"
    form = ConsultationForm(
        request.POST if posted else None, cycle=cycle, consultation=consultation
    )
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        proposals = list(data.pop("proposals"))
        if consultation is None:
            data["cycle"] = cycle
        try:
            consultation = services.consultation_save(
                actor=request.user, data=data, proposals=proposals, consultation=consultation
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("“%(title)s” saved.") % {"title": consultation.title})
            return redirect("staff:cycle_detail", cycle.pk)
    return render(
        request,
        "staff/cycles/consultation_form.html",
        {"form": form, "cycle": cycle, "consultation": consultation},
    )


@staff_member_required
def consultation_outcome(request, pk: int):
    """Record a consultation's outcome: agreement on one proposal, or no agreement."""
    consultation = get_object_or_404(
        Consultation.objects.select_related("cycle", "agreed_proposal"), pk=pk
    )
    posted = request.method == "POST"
    form = OutcomeForm(request.POST if posted else None, consultation=consultation)
    if posted and form.is_valid():
        try:
            consultation = services.consultation_record_outcome(
                actor=request.user, consultation=consultation, **form.cleaned_data
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("The outcome of “%(title)s” was recorded.") % {"title": consultation.title},
            )
            return redirect("staff:cycle_detail", consultation.cycle_id)
    return render(
        request,
        "staff/cycles/consultation_outcome.html",
        {"form": form, "consultation": consultation},
    )


@staff_member_required
@require_POST
def consultation_follow_up_survey(request, pk: int):
    """Prepare the survey that follows a consultation without agreement, then show it."""
    consultation = get_object_or_404(Consultation, pk=pk)
    try:
        survey = survey_services.survey_from_consultation(
            actor=request.user, consultation=consultation
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("staff:cycle_detail", consultation.cycle_id)
    messages.success(
        request,
        _("The follow-up survey “%(title)s” was prepared as a draft.") % {"title": survey.title},
    )
    return redirect(survey_url(survey))


# --- decisions ----------------------------------------------------------------------


@staff_member_required
def decision_add(request, cycle_pk: int):
    """Record a decision on the cycle's theme or workshop topics, with its basis."""
    cycle = get_object_or_404(Cycle, pk=cycle_pk)
    current = selectors.current_decisions(cycle)
    posted = request.method == "POST"
    initial = {
        key: request.GET[key] for key in ("subject", "consultation", "survey") if key in request.GET
    }
    if "consultation" in initial:
        initial["basis"] = Decision.Basis.CONSENSUS
    elif "survey" in initial:
        initial["basis"] = Decision.Basis.SURVEY
    form = DecisionForm(
        request.POST if posted else None, initial=initial, cycle=cycle, current=current
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        consensus = data["basis"] == Decision.Basis.CONSENSUS
        try:
            services.decision_record(
                actor=request.user,
                cycle=cycle,
                subject=data["subject"],
                proposals=list(data["proposals"]),
                decided_on=data["decided_on"],
                consultation=data["consultation"] if consensus else None,
                survey=None if consensus else data["survey"],
                note=data["note"],
                supersedes=current.get(data["subject"]) if data.get("supersede") else None,
            )
        except DomainError as error:
            _refused(form, error, {"supersedes": "supersede"})
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("staff:cycle_detail", cycle.pk)
    return render(
        request,
        "staff/cycles/decision_form.html",
        {"form": form, "cycle": cycle, "current": current},
    )
