"""Writes of the surveys app. Each function is one transaction with an audit entry."""

import datetime
import decimal
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.core.services import save_audited
from dialogue.cycles.models import Consultation, Cycle, Proposal
from dialogue.members.models import Member, Person
from dialogue.surveys import rules, selectors, store
from dialogue.surveys.fingerprints import fingerprint
from dialogue.surveys.models import (
    Answer,
    Option,
    Question,
    Response,
    ResponseVersion,
    Survey,
    Weight,
)

SURVEY_FIELDS = (
    "title_en",
    "title_fr",
    "title_es",
    "introduction_en",
    "introduction_fr",
    "introduction_es",
    "audience",
    "observers_counted",
    "status",
    "opens_at",
    "closes_at",
    "closed_at",
    "results_published_at",
    "reminder_days",
)
METHODS_BY_KIND = {
    Question.Kind.CHOOSE_ONE: {Question.Method.PLURALITY},
    Question.Kind.CHOOSE_UP_TO: {Question.Method.APPROVAL},
    Question.Kind.RANK: {
        Question.Method.PLURALITY,
        Question.Method.BORDA,
        Question.Method.IRV,
        Question.Method.SCHULZE,
    },
}


def _locked(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().get(pk=survey.pk)


def _require_draft(survey: Survey) -> None:
    if survey.status != Survey.Status.DRAFT:
        raise DomainError(
            _("The questions and options of a published survey cannot be changed."),
            code="survey_frozen",
        )


@transaction.atomic
def survey_create(*, actor, cycle: Cycle, data: dict[str, Any], consultation=None) -> Survey:
    """Prepare a draft survey of the membership in a cycle."""
    require_staff(actor)
    survey = Survey(cycle=cycle, consultation=consultation, status=Survey.Status.DRAFT)
    for name in SURVEY_FIELDS:
        if name in data and name not in ("status", "closed_at", "results_published_at"):
            setattr(survey, name, data[name])
    if not survey.reminder_days:
        survey.reminder_days = list(rules.DEFAULT_REMINDER_DAYS)
    _check_reminder_days(survey.reminder_days)
    return save_audited(survey, actor=actor, fields=SURVEY_FIELDS)


def _check_reminder_days(days: Any) -> None:
    if not isinstance(days, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d < 60 for d in days
    ):
        raise DomainError(
            _("Reminders are given as whole numbers of days before the close, from 1 to 59."),
            field="reminder_days",
        )


@transaction.atomic
def survey_update(*, actor, survey: Survey, data: dict[str, Any]) -> Survey:
    """Change a survey's texts and settings; audience and counting only while it is a draft."""
    require_staff(actor)
    survey = _locked(survey)
    before = audit.snapshot(survey, SURVEY_FIELDS)
    for name in ("audience", "observers_counted"):
        if name in data and data[name] != getattr(survey, name):
            _require_draft(survey)
    for name in SURVEY_FIELDS:
        if name in data and name not in (
            "status",
            "opens_at",
            "closes_at",
            "closed_at",
            "results_published_at",
        ):
            setattr(survey, name, data[name])
    _check_reminder_days(survey.reminder_days)
    return save_audited(survey, actor=actor, fields=SURVEY_FIELDS, before=before)


@transaction.atomic
def question_add(
    *,
    actor,
    survey: Survey,
    text: dict[str, str],
    kind: str,
    method: str,
    options: list[dict[str, Any]],
    max_choices: int = 1,
    required: bool = True,
    option_comments: bool = False,
) -> Question:
    """Add a question with at least two options to a draft survey.

    Each option is {"proposal": Proposal} or {"label_en": ..., "label_fr": ..., "label_es": ...}.
    """
    require_staff(actor)
    survey = _locked(survey)
    _require_draft(survey)
    if kind not in Question.Kind.values:
        raise DomainError(_("Unknown kind of question."), field="kind")
    if method not in METHODS_BY_KIND[kind]:
        raise DomainError(
            _("This counting method does not fit this kind of question."), field="method"
        )
    if len(options) < 2:
        raise DomainError(_("A question needs at least two options."), field="options")
    if kind == Question.Kind.CHOOSE_ONE:
        max_choices = 1
    if not 1 <= max_choices <= len(options):
        raise DomainError(
            _("The most choices (k) must be between 1 and the number of options."),
            field="max_choices",
        )
    position = (
        survey.questions.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    question = Question(
        survey=survey,
        position=position,
        text_en=text.get("en", ""),
        text_fr=text.get("fr", ""),
        text_es=text.get("es", ""),
        kind=kind,
        method=method,
        max_choices=max_choices,
        required=required,
        option_comments=option_comments,
    )
    save_audited(
        question,
        actor=actor,
        fields=("survey", "position", "text_en", "kind", "method", "max_choices", "required"),
    )
    for index, spec in enumerate(options, start=1):
        proposal = spec.get("proposal")
        option = Option(question=question, position=index, proposal=proposal)
        for language in ("en", "fr", "es"):
            label = spec.get(f"label_{language}") or (
                getattr(proposal, f"title_{language}", "") if proposal else ""
            )
            setattr(option, f"label_{language}", label)
        save_audited(option, actor=actor, fields=("question", "position", "proposal", "label_en"))
    return question


@transaction.atomic
def survey_from_consultation(*, actor, consultation: Consultation) -> Survey:
    """The survey that follows a consultation without agreement, prefilled with its proposals.

    Audience: all Member States and all observer States and organizations; it opens
    when staff publish it and closes two weeks later unless staff choose otherwise.
    """
    require_staff(actor)
    consultation = Consultation.objects.select_related("cycle").get(pk=consultation.pk)
    if consultation.outcome != Consultation.Outcome.NO_AGREEMENT:
        raise DomainError(
            _("A survey follows only a consultation that reached no agreement."),
            field="consultation",
        )
    if consultation.surveys.exists():
        raise DomainError(
            _("A survey already follows this consultation."),
            field="consultation",
            code="survey_exists",
        )
    proposals = list(
        consultation.proposals.exclude(status=Proposal.Status.WITHDRAWN).order_by(
            "kind", "position", "id"
        )
    )
    if len(proposals) < 2:
        raise DomainError(
            _("The consultation must have discussed at least two proposals."),
            field="consultation",
        )
    kind = (
        Proposal.Kind.THEME
        if any(p.kind == Proposal.Kind.THEME for p in proposals)
        else (Proposal.Kind.WORKSHOP_TOPIC)
    )
    proposals = [p for p in proposals if p.kind == kind]
    if len(proposals) < 2:
        raise DomainError(
            _("The consultation must have discussed at least two proposals."),
            field="consultation",
        )
    cycle = consultation.cycle
    if kind == Proposal.Kind.THEME:
        title = {
            "en": "Choice of the overarching theme",
            "fr": "Choix du thème général",
            "es": "Elección del tema general",
        }
        question = {
            "en": "Which overarching theme should guide the dialogue?",
            "fr": "Quel thème général devrait guider le dialogue ?",
            "es": "¿Qué tema general debería orientar el diálogo?",
        }
        q_kind, method, k = Question.Kind.CHOOSE_ONE, Question.Method.PLURALITY, 1
    else:
        title = {
            "en": "Selection of the workshop topics",
            "fr": "Sélection des thèmes des ateliers",
            "es": "Selección de los temas de los talleres",
        }
        question = {
            "en": "Which two topics should the intersessional workshops address?",
            "fr": "Quels deux thèmes les ateliers intersessions devraient-ils traiter ?",
            "es": "¿Qué dos temas deberían tratar los talleres entre reuniones?",
        }
        q_kind, method, k = Question.Kind.CHOOSE_UP_TO, Question.Method.APPROVAL, 2
    survey = survey_create(
        actor=actor,
        cycle=cycle,
        consultation=consultation,
        data={
            "title_en": f"{cycle.name_en}: {title['en']}",
            "title_fr": f"{cycle.name_fr or cycle.name_en} : {title['fr']}",
            "title_es": f"{cycle.name_es or cycle.name_en}: {title['es']}",
            "audience": Survey.Audience.MEMBERS_AND_OBSERVERS,
        },
    )
    question_add(
        actor=actor,
        survey=survey,
        text=question,
        kind=q_kind,
        method=method,
        max_choices=min(k, len(proposals)),
        options=[{"proposal": p} for p in proposals],
    )
    return survey


@transaction.atomic
def survey_publish(
    *,
    actor,
    survey: Survey,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Survey:
    """Publish a draft: it opens at `opens_at` (default now) and closes two weeks later by default.

    Every question must have at least two options; the close must follow the opening.
    """
    require_staff(actor)
    now = now or clock.now()
    survey = _locked(survey)
    _require_draft(survey)
    questions = list(survey.questions.all())
    if not questions:
        raise DomainError(_("A survey needs at least one question."), field="questions")
    for question in questions:
        if question.options.count() < 2:
            raise DomainError(
                _("Question %(n)d has fewer than two options.") % {"n": question.position},
                field="questions",
            )
    opens_at = opens_at or now
    closes_at = closes_at or opens_at + rules.DEFAULT_WINDOW
    if closes_at <= opens_at:
        raise DomainError(_("The survey must close after it opens."), field="closes_at")
    if closes_at <= now:
        raise DomainError(_("The closing time has already passed."), field="closes_at")
    before = audit.snapshot(survey, SURVEY_FIELDS)
    survey.status = Survey.Status.OPEN
    survey.opens_at = opens_at
    survey.closes_at = closes_at
    save_audited(survey, actor=actor, fields=SURVEY_FIELDS, before=before, note="published")
    from dialogue.surveys.tasks import schedule_reminders, send_survey_invitations

    survey_id = survey.pk
    transaction.on_commit(lambda: send_survey_invitations.enqueue(survey_id))
    transaction.on_commit(lambda: schedule_reminders(Survey.objects.get(pk=survey_id)))
    return survey


@transaction.atomic
def survey_extend(
    *, actor, survey: Survey, closes_at: datetime.datetime, now: datetime.datetime | None = None
) -> Survey:
    """Move the close of an open survey later; it can never be moved earlier this way.

    Reminders already queued find the close moved and queue themselves again.
    """
    require_staff(actor)
    survey = _locked(survey)
    now = now or clock.now()
    if survey.status != Survey.Status.OPEN or now >= survey.closes_at:
        raise DomainError(_("Only an open survey can be extended."), code="not_open")
    if closes_at <= survey.closes_at:
        raise DomainError(
            _("The new closing time must be later than the current one."), field="closes_at"
        )
    if closes_at <= now:
        raise DomainError(_("The closing time has already passed."), field="closes_at")
    before = audit.snapshot(survey, SURVEY_FIELDS)
    survey.closes_at = closes_at
    return save_audited(survey, actor=actor, fields=SURVEY_FIELDS, before=before, note="extended")


@transaction.atomic
def survey_close(*, actor, survey: Survey, now: datetime.datetime | None = None) -> Survey:
    """Close a published survey now, or record that it closed at its closing time.

    "Now" is read once the survey is locked, after the submissions under way have
    committed, so no accepted response is later than the recorded close."""
    require_staff(actor)
    survey = _locked(survey)
    now = now or clock.now()
    if survey.status != Survey.Status.OPEN:
        raise DomainError(_("Only a published survey can be closed."), code="not_open")
    if now <= survey.opens_at:
        raise DomainError(
            _("The survey has not opened yet; change its opening instead of closing it."),
            code="not_open_yet",
        )
    before = audit.snapshot(survey, SURVEY_FIELDS)
    survey.status = Survey.Status.CLOSED
    survey.closed_at = min(now, survey.closes_at)
    survey.closes_at = survey.closed_at
    return save_audited(survey, actor=actor, fields=SURVEY_FIELDS, before=before, note="closed")


@transaction.atomic
def survey_publish_results(*, actor, survey: Survey, now: datetime.datetime | None = None):
    """Publish the results and the receipt fingerprints of a closed survey."""
    require_staff(actor)
    survey = _locked(survey)
    if survey.status != Survey.Status.CLOSED:
        raise DomainError(_("Results are published only once the survey is closed."))
    before = audit.snapshot(survey, SURVEY_FIELDS)
    survey.status = Survey.Status.RESULTS_PUBLISHED
    survey.results_published_at = now or clock.now()
    return save_audited(
        survey, actor=actor, fields=SURVEY_FIELDS, before=before, note="results published"
    )


@transaction.atomic
def weight_set(*, actor, survey: Survey, member: Member, weight) -> Weight:
    """Give a delegation a weight in a draft survey (1 when never set)."""
    require_staff(actor)
    survey = _locked(survey)
    _require_draft(survey)
    try:
        weight = decimal.Decimal(str(weight)).quantize(decimal.Decimal("0.001"))
    except (decimal.InvalidOperation, ValueError, TypeError):
        weight = None
    if weight is None or not weight.is_finite() or not 0 < weight < 100000:
        raise DomainError(
            _("A weight is a number greater than 0 and below 100,000."), field="weight"
        )
    row, _created = Weight.objects.update_or_create(
        survey=survey, member=member, defaults={"weight": weight}
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=row,
        changes={"weight": format(weight.normalize(), "f")},
    )
    return row


@transaction.atomic
def question_record_tie_resolution(
    *, actor, question: Question, order: list[int], note: str
) -> Question:
    """Record the order staff chose to resolve a tie, and how it was decided."""
    require_staff(actor)
    if question.survey.status not in (Survey.Status.CLOSED, Survey.Status.RESULTS_PUBLISHED):
        raise DomainError(_("A tie can be resolved only once the survey is closed."))
    option_ids = set(question.options.values_list("id", flat=True))
    if set(order) != option_ids or len(order) != len(option_ids):
        raise DomainError(
            _("The order must list every option of the question exactly once."), field="order"
        )
    if not note.strip():
        raise DomainError(_("Say how the tie was resolved."), field="note")
    before = audit.snapshot(question, ("tiebreak", "tie_resolution"))
    question.tiebreak = list(order)
    question.tie_resolution = note.strip()
    return save_audited(question, actor=actor, fields=("tiebreak", "tie_resolution"), before=before)


@transaction.atomic
def survey_remind_now(*, actor, survey: Survey, members, now=None) -> int:
    """E-mail a reminder now to the picked delegations that have not responded.

    Only while the survey accepts responses; returns the number of e-mails sent.
    """
    from dialogue.surveys.tasks import send_reminders_now

    require_staff(actor)
    problem = rules.refusal(
        rules.Window(survey.status, survey.opens_at, survey.closes_at), now or clock.now()
    )
    if problem:
        raise DomainError(problem, code="survey_not_open")
    members = list(members)
    sent = send_reminders_now(survey, members)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=survey,
        changes={"reminded": sorted(m.code for m in members)},
        note=f"reminder sent now: {sent} e-mails",
    )
    return sent


def survey_record_export(*, actor, survey: Survey, rows: int) -> None:
    """Note in the audit trail that someone exported a survey's responses."""
    require_staff(actor)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=survey,
        note=f"responses exported: {rows} delegations",
    )


def is_eligible(survey: Survey, member: Member) -> bool:
    """True when the delegation belongs to the survey's audience and had joined when it opened."""
    if survey.audience == Survey.Audience.MEMBER_STATES and member.kind != Member.Kind.MEMBER_STATE:
        return False
    joined_late = bool(
        member.joined and survey.opens_at and member.joined > timezone.localdate(survey.opens_at)
    )
    return not joined_late


def _check_respondent(actor, survey: Survey, member: Member, channel: str) -> None:
    if channel == Response.Channel.WRITTEN:
        require_staff(actor)
    else:
        person = (
            getattr(actor, "person", None) if getattr(actor, "is_authenticated", False) else None
        )
        if (
            person is None
            or not actor.is_active
            or not person.is_active
            or person.delegation_id != member.pk
            or person.role not in Person.DELEGATION_ROLES
        ):
            raise NotPermitted(
                _("Only an active delegate of the delegation can respond for it."),
                code="not_a_delegate",
            )
    if not is_eligible(survey, member):
        raise NotPermitted(
            _("%(member)s is not in the audience of this survey.") % {"member": member},
            code="not_in_audience",
        )
    if member.status != Member.Status.ACTIVE:
        raise DomainError(
            _("%(member)s is %(status)s and cannot respond.")
            % {"member": member, "status": member.get_status_display().lower()},
            code="member_not_active",
        )


def _clean_answers(
    form: store.Form,
    choices: dict[int, list[int]],
    option_comments: dict[int, str],
) -> list[tuple[Question, list[int]]]:
    questions, options_of = form.questions, form.options_of
    unknown = set(choices) - set(questions)
    if unknown:
        raise DomainError(
            _("Question %(q)s is not part of this survey.") % {"q": sorted(unknown)[0]},
            field="answers",
        )
    cleaned = []
    all_options: dict[int, Question] = {}
    for question in questions.values():
        valid = options_of[question.pk]
        all_options.update(dict.fromkeys(valid, question))
        chosen = list(choices.get(question.pk) or [])
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in chosen):
            raise DomainError(_("Options are given by their number."), field="answers")
        if not chosen and question.required:
            raise DomainError(
                _("Question %(n)d needs an answer.") % {"n": question.position},
                field=f"question_{question.pk}",
            )
        problem = rules.check_choices(question.kind, question.max_choices, chosen, valid)
        if problem:
            raise DomainError(
                _("Question %(n)d: %(problem)s") % {"n": question.position, "problem": problem},
                field=f"question_{question.pk}",
            )
        cleaned.append((question, chosen))
    for option_id, text in option_comments.items():
        question = all_options.get(option_id)
        chosen_here = dict(cleaned).get(question, []) if question is not None else []
        if question is None or not question.option_comments or option_id not in chosen_here:
            raise DomainError(
                _("A comment was given on an option that takes none."), field="option_comments"
            )
        if len(text) > 2000:
            raise DomainError(
                _("A comment on an option is limited to 2,000 characters."), field="option_comments"
            )
    return cleaned


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _check_shapes(choices, option_comments) -> tuple[dict[int, list[int]], dict[int, str]]:
    if not isinstance(choices, dict) or not all(
        _is_id(k) and (v is None or isinstance(v, list | tuple)) for k, v in choices.items()
    ):
        raise DomainError(
            _("Answers are given as a list of option numbers for each question number."),
            field="answers",
        )
    comments = {}
    for key, text in (option_comments or {}).items():
        try:
            number = int(key)
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None or not _is_id(number) or not isinstance(text, str):
            raise DomainError(
                _("A comment on an option names no valid option."), field="option_comments"
            )
        if text.strip():
            comments[number] = text.strip()
    return {k: list(v or ()) for k, v in choices.items()}, comments


def _canonical(cleaned, option_comments, comment) -> dict[str, Any]:
    return {
        "answers": {str(q.pk): chosen for q, chosen in cleaned},
        "option_comments": {str(k): v for k, v in sorted(option_comments.items()) if v},
        "comment": comment,
    }


def _keep_answers(response: Response, answers: list[Answer]) -> None:
    """Let `response.answers.all()` give the answers just stored without reading them
    back, as prefetch_related would have set them."""
    stored = Answer.objects.filter(response=response)
    stored._result_cache = answers
    stored._prefetch_done = True
    response._prefetched_objects_cache = {"answers": stored}


def response_submit(*, actor, survey: Survey | int, member: Member, **details) -> Response:
    """Store a delegation's response (see `_response_store` for the rules and arguments).

    `survey` is the Survey, or its id as a delegation's client sent it: a survey that
    does not exist, is still a draft or is not addressed to delegations of this kind then
    raises Survey.DoesNotExist, as if it did not exist (as `selectors.surveys_for_member`
    would not find it).

    A refused response raises DomainError carrying an audit entry of the refusal (survey,
    delegation, reason), which the page or API answering the request writes with
    `audit.record_refusal` after the refused transaction is rolled back."""
    try:
        return _response_store(actor=actor, survey=survey, member=member, **details)
    except DomainError as error:
        subject = survey if isinstance(survey, Survey) else Survey.objects.get(pk=survey)
        audit.keep_refusal(
            error,
            actor=actor,
            obj=subject,
            changes={"delegation": [None, member.code]},
            note=f"{member.code}: {error.code}: {error.message}",
        )
        raise


@transaction.atomic
def _response_store(
    *,
    actor,
    survey: Survey | int,
    member: Member,
    choices: dict[int, list[int]],
    option_comments: dict[int, str] | None = None,
    comment: str = "",
    channel: str = Response.Channel.PORTAL,
    letter=None,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Response:
    """Store a delegation's response; a later one replaces it until the close, history kept.

    With `expected_version` (0 for "no response yet") the response is stored only if
    the delegation's current version is still that one, so one delegate never
    silently overwrites another's newer answer.

    `choices` maps a question id to the chosen option ids (in order of preference for a
    ranking). Only an active delegate of an eligible, active delegation may respond from
    the portal; staff may record a written response (with the scanned letter). The time
    is the server's: nothing is accepted outside [opens_at, closes_at). Returns the
    current response with its receipt code and fingerprint.
    """
    looked_up = not isinstance(survey, Survey)
    survey, member = store.hold(survey if looked_up else survey.pk, member.pk)
    if looked_up and not selectors.published_to(survey, member):
        raise Survey.DoesNotExist(f"Survey {survey.pk} is not published to {member.code}.")
    choices, option_comments = _check_shapes(choices, option_comments)
    comment = (comment or "").strip() if isinstance(comment, str) else None
    if comment is None:
        raise DomainError(_("The comment must be text."), field="comment")
    if "\x00" in comment or any("\x00" in text for text in option_comments.values()):
        raise DomainError(_("A comment contains a character that is not allowed."), field="comment")
    if len(comment) > 5000:
        raise DomainError(_("The comment is limited to 5,000 characters."), field="comment")
    if channel not in Response.Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    if channel == Response.Channel.WRITTEN and not letter:
        raise DomainError(
            _("Attach the scanned letter or note verbale of a written response."), field="letter"
        )
    _check_respondent(actor, survey, member, channel)
    now = now or clock.now()
    problem = rules.refusal(rules.Window(survey.status, survey.opens_at, survey.closes_at), now)
    if problem:
        raise DomainError(problem, code="survey_not_open")
    form = store.read(survey, member)
    cleaned = _clean_answers(form, choices, option_comments)
    content = _canonical(cleaned, option_comments, comment)
    current = form.current
    if expected_version is not None and expected_version != (current.version if current else 0):
        raise DomainError(
            _("The delegation's answer changed since this form was opened (now version %(v)d).")
            % {"v": current.version if current else 0},
            code="stale",
        )
    version = current.version + 1 if current else 1
    receipt = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    print_ = fingerprint(
        survey_id=survey.pk,
        member_code=member.code,
        version=version,
        content=content,
        receipt=receipt,
        submitted_at=now,
        previous=current.fingerprint if current else "",
    )
    response = Response(
        survey=survey,
        member=member,
        version=version,
        submitted_at=now,
        submitted_by=actor,
        channel=channel,
        comment=comment,
        receipt=receipt,
        fingerprint=print_,
        letter=letter or "",
    )
    if current:
        response.pk = current.pk
        response._state.adding = False
    answers = [
        Answer(
            response=response,
            question=question,
            option_id=option_id,
            rank=rank,
            comment=option_comments.get(option_id, ""),
        )
        for question, chosen in cleaned
        for rank, option_id in enumerate(chosen, start=1)
    ]
    version_row = ResponseVersion(
        survey=survey,
        member=member,
        version=version,
        submitted_at=now,
        submitted_by=actor,
        channel=channel,
        content=content,
        receipt=receipt,
        fingerprint=print_,
    )
    entry = audit.entry(
        actor=actor,
        action=AuditEntry.Action.UPDATE if current else AuditEntry.Action.CREATE,
        obj=response,
        changes={"version": version, "channel": channel, "fingerprint": print_},
    )
    store.write(response, answers, version_row, entry, replacing=current is not None)
    _keep_answers(response, answers)
    return response


MESSAGE_PLACEHOLDERS = ("title", "closes", "link", "delegation")
MESSAGE_FIELDS = ("survey", "kind", "language", "subject", "body")


def _check_placeholders(text: str, field: str) -> None:
    import re

    unknown = sorted(set(re.findall(r"\{([^{}]*)\}", text)) - set(MESSAGE_PLACEHOLDERS))
    if unknown:
        raise DomainError(
            _(
                "Unknown placeholder {%(name)s}: the text may use only {title}, {closes}, "
                "{link} and {delegation}."
            )
            % {"name": unknown[0]},
            field=field,
        )


@transaction.atomic
def message_template_save(
    *, actor, survey: Survey, kind: str, language: str, subject: str, body: str
):
    """Set the survey's own text of an invitation or reminder e-mail in one language.

    Only the placeholders {title}, {closes}, {link} and {delegation} may be used; the
    text of a closed survey is no longer changed, since nothing more is sent for it.
    """
    from django.conf import settings

    from dialogue.surveys.models import MessageTemplate

    require_staff(actor)
    survey = _locked(survey)
    if survey.status not in (Survey.Status.DRAFT, Survey.Status.OPEN):
        raise DomainError(
            _("The e-mails of a closed survey can no longer be changed."), code="survey_closed"
        )
    if kind not in MessageTemplate.Kind.values:
        raise DomainError(_("Unknown kind of e-mail."), field="kind")
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), field="language")
    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    if not subject:
        raise DomainError(_("Give the e-mail a subject."), field="subject")
    if not body:
        raise DomainError(_("Give the e-mail a text."), field="body")
    _check_placeholders(subject, "subject")
    _check_placeholders(body, "body")
    message = MessageTemplate.objects.filter(survey=survey, kind=kind, language=language).first()
    before = None
    if message is None:
        message = MessageTemplate(survey=survey, kind=kind, language=language)
    else:
        before = audit.snapshot(message, MESSAGE_FIELDS)
    message.subject = subject
    message.body = body
    return save_audited(message, actor=actor, fields=MESSAGE_FIELDS, before=before)
