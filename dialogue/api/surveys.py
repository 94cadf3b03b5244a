"""Surveys: what a delegation may answer, its response and receipt, the published results,
and for staff the life of a survey (draft, publish, extend, close), written responses and
the decisions that follow."""

import base64
import binascii

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from dialogue.api.auth import SIGNED_IN, RateLimit, per_account
from dialogue.api.cycles import decision_out
from dialogue.api.idempotency import idempotent
from dialogue.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from dialogue.api.schemas import DecisionOut, ErrorOut
from dialogue.api.survey_schemas import (
    MAX_ID,
    DecisionIn,
    ExtendIn,
    PublishIn,
    ReceiptsOut,
    ResponseIn,
    ResponseOut,
    ResultsOut,
    SurveyIn,
    SurveyOut,
    SurveyPage,
    SurveyPatch,
    SurveyStatus,
    WrittenResponseIn,
)
from dialogue.core import ratelimit
from dialogue.core.actors import has_staff_rights, require_staff
from dialogue.core.errors import DomainError
from dialogue.cycles import selectors as cycle_selectors
from dialogue.cycles import services as cycle_services
from dialogue.cycles.models import Consultation, Cycle, Decision, Proposal
from dialogue.members import selectors as member_selectors
from dialogue.members.models import Member
from dialogue.staff.survey_forms import WrittenResponseForm
from dialogue.surveys import selectors, services
from dialogue.surveys.models import Question, Response, Survey

router = Router(tags=["surveys"], auth=SIGNED_IN)
SURVEY_ID = Path(..., ge=1, le=MAX_ID)
READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {**READ, 400: ErrorOut, 409: ErrorOut, 413: ErrorOut}


# --- translation helpers -------------------------------------------------------------


def _respondent(request: HttpRequest) -> Member | None:
    """The delegation the caller may answer for (active delegate or focal point), if any;
    found once per request."""
    if not hasattr(request, "_respondent"):
        person = member_selectors.person_for_user(request.user)
        member = person.delegation if person else None
        if member is not None and not selectors.can_respond(request.user, member):
            member = None
        request._respondent = member
    return request._respondent


def _submission_counters(request: HttpRequest) -> list[ratelimit.Counter]:
    """A response submission counts against its delegation's and its person's limits."""
    member = _respondent(request)
    if member is None:
        return []
    return ratelimit.submission_counters(member_id=member.pk, user=request.user)


def _require_respondent(request: HttpRequest) -> Member:
    member = _respondent(request)
    if member is None:
        raise PermissionDenied(
            _("Only an active delegate or focal point of a delegation can see its surveys.")
        )
    return member


def _visible(request: HttpRequest) -> QuerySet[Survey]:
    """The surveys the caller may see: all for staff, as in the portal for a delegate."""
    if has_staff_rights(request.user):
        return Survey.objects.select_related("cycle")
    return selectors.surveys_for_member(_require_respondent(request)).select_related("cycle")


def _visible_survey(request: HttpRequest, survey_id: int) -> Survey:
    return get_object_or_404(_visible(request), pk=survey_id)


def _staff_survey(request: HttpRequest, survey_id: int) -> Survey:
    require_staff(request.user)
    return get_object_or_404(Survey.objects.select_related("cycle"), pk=survey_id)


def _summary(survey: Survey) -> dict:
    return {
        "id": survey.pk,
        "cycle": survey.cycle.year,
        "title": survey.title,
        "status": survey.status,
        "audience": survey.audience,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "results_published_at": survey.results_published_at,
    }


def _option(option) -> dict:
    return {
        "id": option.pk,
        "position": option.position,
        "label": option.label,
        "proposal": option.proposal_id,
    }


def survey_out(survey: Survey) -> dict:
    """A survey with its questions, options, window, counting and audience."""
    questions = survey.questions.prefetch_related("options").order_by("position")
    return {
        **_summary(survey),
        "title_en": survey.title_en,
        "title_fr": survey.title_fr,
        "title_es": survey.title_es,
        "introduction": survey.introduction,
        "consultation": survey.consultation_id,
        "observers_counted": survey.observers_counted,
        "closed_at": survey.closed_at,
        "reminder_days": list(survey.reminder_days or []),
        "questions": [
            {
                "id": question.pk,
                "position": question.position,
                "text": question.text,
                "kind": question.kind,
                "method": question.method,
                "max_choices": question.max_choices,
                "required": question.required,
                "option_comments": question.option_comments,
                "options": [_option(o) for o in question.options.all()],
            }
            for question in questions
        ],
    }


def response_out(response: Response) -> dict:
    """A delegation's current response with its receipt."""
    chosen: dict[int, list] = {}
    for answer in sorted(response.answers.all(), key=lambda a: (a.question_id, a.rank)):
        chosen.setdefault(answer.question_id, []).append(answer)
    return {
        "survey": response.survey_id,
        "member": response.member.code,
        "version": response.version,
        "submitted_at": response.submitted_at,
        "channel": response.channel,
        "comment": response.comment,
        "answers": [
            {"question": question_id, "options": [a.option_id for a in answers]}
            for question_id, answers in sorted(chosen.items())
        ],
        "option_comments": [
            {"option": a.option_id, "comment": a.comment}
            for answers in chosen.values()
            for a in answers
            if a.comment
        ],
        "receipt": response.receipt,
        "fingerprint": response.fingerprint,
    }


def _answer_error(error: DomainError) -> DomainError:
    """The same refusal, its field named as in the request body."""
    field = error.field
    if field and field.startswith("question_"):
        field = f"answers.{field.removeprefix('question_')}"
    if error.code == "stale":
        field = "expected_version"
    if field == error.field:
        return error
    return DomainError(error.message, field=field, code=error.code)


def _submit(request: HttpRequest, **arguments) -> Response:
    try:
        return services.response_submit(actor=request.user, **arguments)
    except Survey.DoesNotExist as error:
        raise Http404 from error
    except DomainError as error:
        translated = _answer_error(error)
        if translated is error:
            raise
        translated.pending_audit = getattr(error, "pending_audit", None)
        raise translated from error


def _figure(value) -> float:
    return float(value)


def _count(result) -> dict:
    scores = getattr(result, "scores", {}) or {}
    return {
        "ballots": result.ballots,
        "total": _figure(result.total),
        "ranking": [list(group) for group in result.ranking],
        "winners": list(result.winners),
        "tie": result.tie,
        "scores": [{"option": o, "score": _figure(s)} for o, s in scores.items()],
    }


# --- what a delegation sees ----------------------------------------------------------


@router.get("/surveys", response={200: SurveyPage, 400: ErrorOut, **READ})
def list_surveys(
    request: HttpRequest,
    status: Query[SurveyStatus | None] = None,
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The surveys the caller may see, latest first: for a delegate those published to
    the delegation's audience (open, closed or with results), for staff every survey."""
    surveys = _visible(request)
    if status:
        surveys = surveys.filter(status=status)
    if cycle is not None:
        surveys = surveys.filter(cycle__year=cycle)
    page = paginate(surveys, name="surveys", order=["-id"], cursor=cursor, limit=limit)
    return {"items": [_summary(s) for s in page.items], "next_cursor": page.next_cursor}


@router.get("/surveys/{survey_id}", response={200: SurveyOut, **READ})
def get_survey(request: HttpRequest, survey_id: int = SURVEY_ID):
    """One survey the caller may see, with its questions, options and counting methods."""
    return survey_out(_visible_survey(request, survey_id))


@router.get("/surveys/{survey_id}/response", response={200: ResponseOut, **READ})
def get_my_response(request: HttpRequest, survey_id: int = SURVEY_ID):
    """The current response of the caller's delegation, with its receipt; 404 if none."""
    member = _require_respondent(request)
    survey = get_object_or_404(selectors.surveys_for_member(member), pk=survey_id)
    response = selectors.response_for(survey, member)
    if response is None:
        raise Http404
    return response_out(response)


@router.get("/surveys/{survey_id}/responses/{member_code}", response={200: ResponseOut, **READ})
def get_response(
    request: HttpRequest,
    survey_id: int = SURVEY_ID,
    member_code: str = Path(..., min_length=1, max_length=20),
):
    """A delegation's current response: staff may read any; a delegate only their own
    delegation's, and another delegation's answers 404 whether it exists or not."""
    if has_staff_rights(request.user):
        survey = _staff_survey(request, survey_id)
        member = get_object_or_404(Member, code=member_code.upper())
    else:
        member = _require_respondent(request)
        if member.code != member_code.upper():
            raise Http404
        survey = get_object_or_404(selectors.surveys_for_member(member), pk=survey_id)
    response = selectors.response_for(survey, member)
    if response is None:
        raise Http404
    return response_out(response)


@router.put(
    "/surveys/{survey_id}/response",
    response={200: ResponseOut, **WRITE},
    throttle=RateLimit(_submission_counters),
)
@idempotent
def put_my_response(request: HttpRequest, payload: ResponseIn, survey_id: int = SURVEY_ID):
    """Answer for the caller's delegation, or replace its answer until the close. With
    `expected_version` the answer is stored only over that version (409 otherwise).
    A delegation and a person may submit only so often (429, code "rate_limited")."""
    member = _require_respondent(request)
    response = _submit(
        request,
        survey=survey_id,
        member=member,
        choices=payload.answers,
        option_comments=payload.option_comments,
        comment=payload.comment,
        channel=Response.Channel.PORTAL,
        expected_version=payload.expected_version,
    )
    return response_out(response)


@router.get("/surveys/{survey_id}/results", response={200: ResultsOut, **READ})
def get_results(request: HttpRequest, survey_id: int = SURVEY_ID):
    """The count of every question, once the results are published (staff: any time)."""
    survey = _visible_survey(request, survey_id)
    if not selectors.results_visible_to(survey, request.user):
        raise Http404
    results = selectors.survey_results(survey)
    questions = []
    for result in results.questions:
        question = result.question
        selection = result.selection
        questions.append(
            {
                "question": question.pk,
                "position": question.position,
                "text": question.text,
                "kind": question.kind,
                "method": question.method,
                "options": [_option(o) for o in question.options.all()],
                "counted": _count(result.counted.weighted),
                "unweighted": _count(result.counted.unweighted),
                "observers": _count(result.observers.weighted) if result.observers else None,
                "selected": list(selection.chosen)
                if question.kind == Question.Kind.CHOOSE_UP_TO
                else None,
                "tie": result.tie,
            }
        )
    return {
        "survey": survey.pk,
        "status": survey.status,
        "turnout": {"eligible": results.turnout.eligible, "responded": results.turnout.responded},
        "questions": questions,
    }


@router.get("/surveys/{survey_id}/receipts", response={200: ReceiptsOut, **READ})
def get_receipts(request: HttpRequest, survey_id: int = SURVEY_ID):
    """The receipt fingerprints published with the results, so a delegation can check its
    response was counted (staff: any time)."""
    survey = _visible_survey(request, survey_id)
    if not selectors.results_visible_to(survey, request.user):
        raise Http404
    return {"survey": survey.pk, "fingerprints": selectors.survey_results(survey).fingerprints}


# --- staff ---------------------------------------------------------------------------


def _cycle(year: int) -> Cycle:
    try:
        return cycle_selectors.cycle_get(year)
    except Cycle.DoesNotExist:
        raise DomainError(_("There is no cycle of this year."), field="cycle") from None


def _proposals(cycle: Cycle, ids: list[int], field: str) -> list[Proposal]:
    found = {p.pk: p for p in Proposal.objects.filter(pk__in=ids, cycle=cycle)}
    for proposal_id in ids:
        if proposal_id not in found:
            raise DomainError(
                _("Proposal %(id)d is not a proposal of this cycle.") % {"id": proposal_id},
                field=field,
            )
    return [found[i] for i in ids]


@router.post("/surveys", response={200: SurveyOut, **WRITE})
@idempotent
@transaction.atomic
def create_survey(request: HttpRequest, payload: SurveyIn):
    """Prepare a draft survey in a cycle, with its questions (staff)."""
    require_staff(request.user)
    cycle = _cycle(payload.cycle)
    consultation = None
    if payload.consultation is not None:
        consultation = Consultation.objects.filter(pk=payload.consultation, cycle=cycle).first()
        if consultation is None:
            raise DomainError(
                _("There is no such consultation in this cycle."), field="consultation"
            )
    data = payload.dict(exclude={"cycle", "consultation", "questions"})
    survey = services.survey_create(
        actor=request.user, cycle=cycle, consultation=consultation, data=data
    )
    for index, spec in enumerate(payload.questions):
        options = []
        for number, option in enumerate(spec.options):
            given = option.dict(exclude={"proposal"})
            if option.proposal is not None:
                field = f"questions.{index}.options.{number}.proposal"
                given["proposal"] = _proposals(cycle, [option.proposal], field)[0]
            options.append(given)
        try:
            services.question_add(
                actor=request.user,
                survey=survey,
                text={"en": spec.text_en, "fr": spec.text_fr, "es": spec.text_es},
                kind=spec.kind,
                method=spec.method,
                options=options,
                max_choices=spec.max_choices,
                required=spec.required,
                option_comments=spec.option_comments,
            )
        except DomainError as error:
            field = f"questions.{index}.{error.field}" if error.field else f"questions.{index}"
            raise DomainError(error.message, field=field, code=error.code) from error
    return survey_out(survey)


@router.patch("/surveys/{survey_id}", response={200: SurveyOut, **WRITE})
def update_survey(request: HttpRequest, payload: SurveyPatch, survey_id: int = SURVEY_ID):
    """Change a survey's texts and settings; audience and counting only while a draft (staff)."""
    survey = _staff_survey(request, survey_id)
    data = payload.dict(exclude_unset=True)
    for name, value in data.items():
        if value is None:
            raise DomainError(_("This field cannot be empty."), field=name)
    survey = services.survey_update(actor=request.user, survey=survey, data=data)
    return survey_out(survey)


@router.post("/surveys/{survey_id}/publish", response={200: SurveyOut, **WRITE})
@idempotent
def publish_survey(request: HttpRequest, payload: PublishIn, survey_id: int = SURVEY_ID):
    """Publish a draft: it opens at `opens_at` (default now), closes at `closes_at`
    (default two weeks later), and the delegations are invited (staff)."""
    survey = _staff_survey(request, survey_id)
    survey = services.survey_publish(
        actor=request.user, survey=survey, opens_at=payload.opens_at, closes_at=payload.closes_at
    )
    return survey_out(survey)


@router.post("/surveys/{survey_id}/extend", response={200: SurveyOut, **WRITE})
@idempotent
def extend_survey(request: HttpRequest, payload: ExtendIn, survey_id: int = SURVEY_ID):
    """Move the close of an open survey later, never earlier (staff)."""
    survey = _staff_survey(request, survey_id)
    survey = services.survey_extend(actor=request.user, survey=survey, closes_at=payload.closes_at)
    return survey_out(survey)


@router.post("/surveys/{survey_id}/close", response={200: SurveyOut, **WRITE})
@idempotent
def close_survey(request: HttpRequest, survey_id: int = SURVEY_ID):
    """Close a published survey now (staff)."""
    survey = _staff_survey(request, survey_id)
    return survey_out(services.survey_close(actor=request.user, survey=survey))


@router.post("/surveys/{survey_id}/publish-results", response={200: SurveyOut, **WRITE})
@idempotent
def publish_results(request: HttpRequest, survey_id: int = SURVEY_ID):
    """Publish the results and receipt fingerprints of a closed survey (staff)."""
    survey = _staff_survey(request, survey_id)
    return survey_out(services.survey_publish_results(actor=request.user, survey=survey))


@router.put(
    "/surveys/{survey_id}/responses/{member_code}",
    response={200: ResponseOut, **WRITE},
    throttle=RateLimit(per_account(ratelimit.UPLOAD)),
)
@idempotent
def put_written_response(
    request: HttpRequest,
    payload: WrittenResponseIn,
    survey_id: int = SURVEY_ID,
    member_code: str = Path(..., min_length=1, max_length=20),
):
    """Record the response a delegation gave in writing, with the scanned letter (staff)."""
    survey = _staff_survey(request, survey_id)
    member = member_selectors.member_get(member_code)
    try:
        content = base64.b64decode(payload.letter.content, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(_("The letter is not valid base64."), field="letter.content") from None
    form = WrittenResponseForm(
        data={"member": member.pk},
        files={"letter": SimpleUploadedFile(payload.letter.name, content)},
        survey=survey,
    )
    if not form.is_valid():
        name, problems = next(iter(form.errors.items()))
        field = {"member": "member_code", "letter": "letter.content"}.get(name, name)
        raise DomainError(problems[0], field=field)
    response = _submit(
        request,
        survey=survey,
        member=member,
        choices=payload.answers,
        option_comments=payload.option_comments,
        comment=payload.comment,
        channel=Response.Channel.WRITTEN,
        letter=form.cleaned_data["letter"],
    )
    return response_out(response)


@router.post("/cycles/{year}/decisions", response={200: DecisionOut, **WRITE}, tags=["cycles"])
@idempotent
def record_decision(
    request: HttpRequest, payload: DecisionIn, year: int = Path(..., ge=1, le=32767)
):
    """Record a decision on a consultation that agreed or a closed survey, and apply it
    (staff)."""
    require_staff(request.user)
    cycle = cycle_selectors.cycle_get(year)
    if payload.basis == Decision.Basis.SURVEY and payload.survey is None:
        raise DomainError(_("Name the survey the decision rests on."), field="survey")
    if payload.basis == Decision.Basis.CONSENSUS and (
        payload.consultation is None or payload.survey is not None
    ):
        raise DomainError(
            _("A decision by consensus names its consultation and no survey."),
            field="consultation",
        )
    consultation = survey = supersedes = None
    if payload.consultation is not None:
        consultation = Consultation.objects.filter(pk=payload.consultation).first()
        if consultation is None:
            raise DomainError(_("There is no such consultation."), field="consultation")
    if payload.survey is not None:
        survey = Survey.objects.filter(pk=payload.survey).first()
        if survey is None:
            raise DomainError(_("There is no such survey."), field="survey")
    if payload.supersedes is not None:
        supersedes = Decision.objects.filter(pk=payload.supersedes, cycle=cycle).first()
        if supersedes is None:
            raise DomainError(_("There is no such decision in this cycle."), field="supersedes")
    decision = cycle_services.decision_record(
        actor=request.user,
        cycle=cycle,
        subject=payload.subject,
        proposals=_proposals(cycle, payload.proposals, "proposals"),
        decided_on=payload.decided_on,
        consultation=consultation,
        survey=survey,
        note=payload.note,
        supersedes=supersedes,
    )
    return decision_out(Decision.objects.prefetch_related("proposals").get(pk=decision.pk))
