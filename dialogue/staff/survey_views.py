"""Staff pages for surveys: prepare, publish, follow the turnout, record written responses,
read the results. The views translate HTTP to the surveys services and selectors, and a
refusal of the domain to a form error or a message; the rules are in the surveys app."""

import csv
import datetime
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from dialogue.core import audit, clock, ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.cycles.models import Proposal
from dialogue.members.imports import escape_cell
from dialogue.staff.survey_forms import (
    SURVEY_TEXT_FIELDS,
    ConfirmForm,
    ExtendForm,
    MessageTextForm,
    OptionFormSet,
    PublishForm,
    QuestionForm,
    ReminderForm,
    SurveyForm,
    TieResolutionForm,
    WeightForm,
    WrittenResponseForm,
)
from dialogue.surveys import messages as email_texts
from dialogue.surveys import rules, selectors, services
from dialogue.surveys.forms import ResponseForm
from dialogue.surveys.models import (
    Answer,
    MessageTemplate,
    Question,
    Reminder,
    Response,
    Survey,
)


def _survey(pk: int) -> Survey:
    return get_object_or_404(Survey.objects.select_related("cycle", "consultation"), pk=pk)


def _show_error(form, error: DomainError) -> None:
    """A refusal of the domain as an error on the field at fault, or on the whole form."""
    if isinstance(error, NotPermitted) and error.code == "not_permitted":
        raise PermissionDenied(error.message) from error
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _refusal(survey: Survey) -> str | None:
    """Why the survey does not take responses now, or None."""
    return rules.refusal(
        rules.Window(survey.status, survey.opens_at, survey.closes_at), clock.now()
    )


@staff_member_required
@require_safe
def survey_list(request):
    """Every survey, drafts first, with its window and turnout."""
    surveys = Survey.objects.select_related("cycle").order_by(
        F("opens_at").desc(nulls_first=True), "-id"
    )
    rows = [
        (survey, None if survey.status == Survey.Status.DRAFT else selectors.turnout(survey))
        for survey in surveys
    ]
    return render(request, "staff/surveys/list.html", {"rows": rows})


@staff_member_required
def survey_create(request):
    """Prepare a draft survey in a cycle."""
    posted = request.method == "POST"
    initial = {}
    if "cycle" in request.GET and request.GET["cycle"].isdigit():
        initial["cycle"] = int(request.GET["cycle"])
    form = SurveyForm(request.POST if posted else None, initial=initial, creating=True)
    if posted and form.is_valid():
        try:
            survey = services.survey_create(
                actor=request.user,
                cycle=form.cleaned_data["cycle"],
                consultation=form.cleaned_data.get("consultation"),
                data=form.data_for_service(),
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The draft survey was created; add its questions."))
            return redirect("staff:survey_detail", pk=survey.pk)
    return render(request, "staff/surveys/survey_form.html", {"form": form, "survey": None})


@staff_member_required
def survey_update(request, pk: int):
    """Change a survey's texts and settings."""
    survey = _survey(pk)
    posted = request.method == "POST"
    initial = {name: getattr(survey, name) for name in (*SURVEY_TEXT_FIELDS, "reminder_days")}
    form = SurveyForm(
        request.POST if posted else None,
        initial=initial,
        frozen=survey.status != Survey.Status.DRAFT,
    )
    if posted and form.is_valid():
        try:
            services.survey_update(actor=request.user, survey=survey, data=form.data_for_service())
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The survey was saved."))
            return redirect("staff:survey_detail", pk=survey.pk)
    return render(request, "staff/surveys/survey_form.html", {"form": form, "survey": survey})


@staff_member_required
@require_safe
def survey_detail(request, pk: int):
    """A survey: its settings, window, questions and what can be done next."""
    survey = _survey(pk)
    questions = survey.questions.prefetch_related("options__proposal").order_by("position")
    context = {
        "survey": survey,
        "questions": questions,
        "weights": survey.weights.count(),
        "custom_messages": survey.messages.count(),
        "publish_form": PublishForm(prefix="publish"),
        "extend_form": ExtendForm(prefix="extend", initial={"closes_at": survey.closes_at}),
        "refusal": _refusal(survey),
    }
    return render(request, "staff/surveys/detail.html", context)


@staff_member_required
def survey_question_add(request, pk: int):
    """Add a question with its options (proposals of the cycle or labels of their own)."""
    survey = _survey(pk)
    proposals = survey.cycle.proposals.exclude(status=Proposal.Status.WITHDRAWN).order_by(
        "kind", "position", "id"
    )
    posted = request.method == "POST"
    form = QuestionForm(request.POST if posted else None)
    options = OptionFormSet(
        request.POST if posted else None, prefix="options", form_kwargs={"proposals": proposals}
    )
    if posted and form.is_valid() and options.is_valid():
        data = form.cleaned_data
        try:
            services.question_add(
                actor=request.user,
                survey=survey,
                text={lang: data[f"text_{lang}"] for lang in ("en", "fr", "es")},
                kind=data["kind"],
                method=data["method"],
                max_choices=data["max_choices"],
                required=data["required"],
                option_comments=data["option_comments"],
                options=[spec for row in options if (spec := row.option())],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The question was added."))
            return redirect("staff:survey_detail", pk=survey.pk)
    return render(
        request,
        "staff/surveys/question_form.html",
        {"survey": survey, "form": form, "options": options},
    )


@staff_member_required
def survey_weight_set(request, pk: int):
    """The weights of delegations in a draft survey (1 unless set here)."""
    survey = _survey(pk)
    posted = request.method == "POST"
    form = WeightForm(request.POST if posted else None, survey=survey)
    if posted and form.is_valid():
        try:
            services.weight_set(
                actor=request.user,
                survey=survey,
                member=form.cleaned_data["member"],
                weight=form.cleaned_data["weight"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The weight was set."))
            return redirect("staff:survey_weight_set", pk=survey.pk)
    weights = survey.weights.select_related("member").order_by("member__name_en")
    return render(
        request,
        "staff/surveys/weights.html",
        {"survey": survey, "form": form, "weights": weights},
    )


@staff_member_required
@require_safe
def survey_messages(request, pk: int):
    """The invitation and reminder e-mails of a survey, in each language."""
    survey = _survey(pk)
    custom = {(m.kind, m.language): m for m in survey.messages.all()}
    rows = []
    for kind, kind_label in MessageTemplate.Kind.choices:
        for language, language_label in settings.LANGUAGES:
            message = custom.get((kind, language))
            subject = message.subject if message else email_texts.default_text(kind, language)[0]
            rows.append(
                {
                    "kind": kind,
                    "kind_label": kind_label,
                    "language": language,
                    "language_label": language_label,
                    "subject": subject,
                    "custom": message is not None,
                }
            )
    return render(request, "staff/surveys/messages.html", {"survey": survey, "rows": rows})


@staff_member_required
def survey_message_edit(request, pk: int, kind: str, language: str):
    """Write the survey's own text of one e-mail in one language; the default is shown first."""
    survey = _survey(pk)
    if kind not in MessageTemplate.Kind.values or language not in dict(settings.LANGUAGES):
        raise Http404
    message = survey.messages.filter(kind=kind, language=language).first()
    if message:
        initial = {"subject": message.subject, "body": message.body}
    else:
        subject, body = email_texts.default_text(kind, language)
        initial = {"subject": subject, "body": body}
    posted = request.method == "POST"
    form = MessageTextForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            services.message_template_save(
                actor=request.user,
                survey=survey,
                kind=kind,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The e-mail text was saved."))
            return redirect("staff:survey_messages", pk=survey.pk)
    return render(
        request,
        "staff/surveys/message_form.html",
        {
            "survey": survey,
            "form": form,
            "kind_label": MessageTemplate.Kind(kind).label,
            "language_label": dict(settings.LANGUAGES)[language],
            "custom": message is not None,
        },
    )


def _action_page(request, survey, *, form, title, explanation, button, danger=False):
    return render(
        request,
        "staff/surveys/action.html",
        {
            "survey": survey,
            "form": form,
            "title": title,
            "explanation": explanation,
            "button": button,
            "danger": danger,
        },
    )


@staff_member_required
def survey_publish(request, pk: int):
    """Publish a draft: it opens and closes at the times given in Geneva time."""
    survey = _survey(pk)
    posted = request.method == "POST"
    form = PublishForm(request.POST if posted else None, prefix="publish")
    if posted and form.is_valid():
        try:
            services.survey_publish(
                actor=request.user,
                survey=survey,
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(
                request, _("The survey was published; the invitations are being sent.")
            )
            return redirect("staff:survey_detail", pk=survey.pk)
    return _action_page(
        request,
        survey,
        form=form,
        title=_("Publish the survey"),
        explanation=_(
            "Once published, the questions, options, audience and weights can no longer be "
            "changed, and every delegation in the audience is invited by e-mail."
        ),
        button=_("Publish"),
    )


@staff_member_required
def survey_extend(request, pk: int):
    """Move the close of an open survey later."""
    survey = _survey(pk)
    posted = request.method == "POST"
    form = ExtendForm(
        request.POST if posted else None, prefix="extend", initial={"closes_at": survey.closes_at}
    )
    if posted and form.is_valid():
        try:
            services.survey_extend(
                actor=request.user, survey=survey, closes_at=form.cleaned_data["closes_at"]
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The closing time was moved."))
            return redirect("staff:survey_detail", pk=survey.pk)
    return _action_page(
        request,
        survey,
        form=form,
        title=_("Extend the survey"),
        explanation=_("The survey can only be given more time, never less."),
        button=_("Extend"),
    )


def _confirmed_action(request, survey: Survey, *, act, done: str, next_page: str, **page):
    """A page that asks to confirm, then calls `act(actor, survey)` on POST."""
    posted = request.method == "POST"
    form = ConfirmForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            act(actor=request.user, survey=survey)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, done)
            return redirect(next_page, pk=survey.pk)
    return _action_page(request, survey, form=form, **page)


@staff_member_required
def survey_close(request, pk: int):
    """Close an open survey now, after confirmation."""
    return _confirmed_action(
        request,
        _survey(pk),
        act=services.survey_close,
        done=_("The survey is closed; no response is accepted any more."),
        next_page="staff:survey_detail",
        title=_("Close the survey now"),
        explanation=_(
            "No response will be accepted after this, even before the announced closing time. "
            "This cannot be undone."
        ),
        button=_("Close the survey now"),
        danger=True,
    )


@staff_member_required
def survey_publish_results(request, pk: int):
    """Publish the results and receipt fingerprints of a closed survey, after confirmation."""
    return _confirmed_action(
        request,
        _survey(pk),
        act=services.survey_publish_results,
        done=_("The results are published."),
        next_page="staff:survey_results",
        title=_("Publish the results"),
        explanation=_(
            "The delegations will see the results and the list of receipt fingerprints in "
            "the portal. Check first that any tie has been resolved."
        ),
        button=_("Publish the results"),
    )


@never_cache
@staff_member_required
@require_safe
def survey_turnout(request, pk: int):
    """Who responded (when, how, which version, by whom), who has not, and reminders sent."""
    survey = _survey(pk)
    turnout = selectors.turnout(survey)
    responses = Response.objects.filter(survey=survey).select_related("submitted_by")
    by_member = {response.member_id: response for response in responses}
    responded = [(member, by_member.get(member.pk)) for member in turnout.responded_members]
    reminders = Reminder.objects.filter(survey=survey).select_related("member")
    return render(
        request,
        "staff/surveys/turnout.html",
        {
            "survey": survey,
            "turnout": turnout,
            "responded": responded,
            "reminders": reminders,
            "refusal": _refusal(survey),
        },
    )


@staff_member_required
@require_POST
def survey_remind(request, pk: int):
    """Send a reminder now to the delegations staff picked among those that have not responded."""
    survey = _survey(pk)
    form = ReminderForm(request.POST, survey=survey)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:survey_turnout", pk=survey.pk)
    try:
        sent = services.survey_remind_now(
            actor=request.user, survey=survey, members=form.cleaned_data["members"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "Reminder sent by e-mail to %(count)d person.",
                "Reminder sent by e-mail to %(count)d people.",
                sent,
            )
            % {"count": sent},
        )
    return redirect("staff:survey_turnout", pk=survey.pk)


def _answer_field(response_form: ResponseForm, field: str | None) -> str | None:
    if field in response_form.fields:
        return field
    if field and f"{field}_rank_1" in response_form.fields:
        return f"{field}_rank_1"
    return None


@staff_member_required
def survey_response_record(request, pk: int):
    """Record the response a delegation gave in writing, with the scanned letter."""
    survey = _survey(pk)
    posted = request.method == "POST"
    initial_response = None
    initial = {}
    member_id = request.GET.get("member", "")
    if not posted and member_id.isdigit():
        initial["member"] = int(member_id)
        initial_response = (
            Response.objects.filter(survey=survey, member_id=int(member_id))
            .prefetch_related("answers")
            .first()
        )
    written = WrittenResponseForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        survey=survey,
        initial=initial,
    )
    answers = ResponseForm(
        survey, data=request.POST if posted else None, initial_response=initial_response
    )
    refused = ratelimit.account_refusal(ratelimit.UPLOAD, request.user) if posted else None
    if refused:
        messages.error(request, refused.message)
    elif posted and written.is_valid() and answers.is_valid():
        member = written.cleaned_data["member"]
        try:
            response = services.response_submit(
                actor=request.user,
                survey=survey,
                member=member,
                choices=answers.choices(),
                option_comments=answers.option_comments(),
                comment=answers.comment,
                channel=Response.Channel.WRITTEN,
                letter=written.cleaned_data["letter"],
            )
        except DomainError as error:
            audit.record_refusal(error)
            if isinstance(error, NotPermitted) and error.code == "not_permitted":
                raise PermissionDenied(error.message) from error
            field = _answer_field(answers, error.field)
            if field:
                answers.add_error(field, error.message)
            else:
                _show_error(written, error)
        else:
            messages.success(
                request,
                _(
                    "The written response of %(member)s was recorded (version %(version)d). "
                    "Receipt: %(receipt)s."
                )
                % {"member": member, "version": response.version, "receipt": response.receipt},
            )
            return redirect("staff:survey_turnout", pk=survey.pk)
    page = render(
        request,
        "staff/surveys/response_form.html",
        {
            "survey": survey,
            "written": written,
            "answers": answers,
            "refusal": _refusal(survey),
        },
        status=429 if refused else None,
    )
    if refused:
        page["Retry-After"] = str(refused.retry_after)
    return page


LETTER_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


@never_cache
@staff_member_required
@require_safe
def survey_response_letter(request, pk: int, member_pk: int):
    """Download the scanned letter of a delegation's written response (staff only)."""
    response = get_object_or_404(Response, survey_id=pk, member_id=member_pk)
    if not response.letter:
        raise Http404
    extension = response.letter.name.rsplit(".", 1)[-1].lower()
    download = FileResponse(
        response.letter.open("rb"),
        as_attachment=True,
        filename=f"survey-{pk}-{response.member_id}-letter.{extension}",
        content_type=LETTER_TYPES.get(extension, "application/octet-stream"),
    )
    return download


@never_cache
@staff_member_required
@require_safe
def survey_results(request, pk: int):
    """The results, recomputed from the stored responses; marked until they are published."""
    survey = _survey(pk)
    if survey.status == Survey.Status.DRAFT:
        messages.info(request, _("A survey has results only once it is published."))
        return redirect("staff:survey_detail", pk=survey.pk)
    return render(
        request,
        "staff/surveys/results.html",
        {
            "survey": survey,
            "results": selectors.survey_results(survey),
            "show_observers": True,
            "show_fingerprints": True,
            "staff_links": True,
        },
    )


def _csv_header() -> list[str]:
    return [
        _("question"),
        _("question text"),
        _("delegation code"),
        _("delegation"),
        _("kind"),
        _("region"),
        _("submitted at (UTC)"),
        _("channel"),
        _("version"),
        _("answer"),
        _("comments on options"),
        _("comment"),
    ]


def _answer_text(question: Question, chosen: list[Answer]) -> str:
    if question.kind == Question.Kind.RANK:
        return "; ".join(f"{a.rank}. {a.option.label}" for a in chosen)
    return "; ".join(a.option.label for a in chosen)


@never_cache
@staff_member_required
@require_safe
def survey_results_csv(request, pk: int):
    """The responses, one row per delegation and question, with the comments, as CSV."""
    survey = _survey(pk)
    if survey.status == Survey.Status.DRAFT:
        raise Http404
    questions = list(survey.questions.order_by("position"))
    responses = list(
        Response.objects.filter(survey=survey).select_related("member").order_by("member__name_en")
    )
    answers: dict[tuple[int, int], list[Answer]] = {}
    for answer in (
        Answer.objects.filter(response__survey=survey).select_related("option").order_by("rank")
    ):
        answers.setdefault((answer.response_id, answer.question_id), []).append(answer)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(_csv_header())
    for question in questions:
        for response in responses:
            chosen = answers.get((response.pk, question.pk), [])
            member = response.member
            row = [
                question.position,
                question.text,
                member.code,
                member.name,
                member.get_kind_display(),
                member.get_region_display(),
                response.submitted_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                response.get_channel_display(),
                response.version,
                _answer_text(question, chosen),
                " | ".join(f"{a.option.label}: {a.comment}" for a in chosen if a.comment),
                response.comment,
            ]
            writer.writerow([escape_cell(str(value)) for value in row])
    services.survey_record_export(actor=request.user, survey=survey, rows=len(responses))
    content = "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    download = HttpResponse(content, content_type="text/csv; charset=utf-8")
    download["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"survey-{survey.pk}-responses.csv"
    )
    return download


@staff_member_required
def survey_tie_resolution(request, pk: int, question_pk: int):
    """Record the order that resolves a tie, and how it was decided."""
    survey = _survey(pk)
    question = get_object_or_404(
        Question.objects.select_related("survey").prefetch_related("options"),
        pk=question_pk,
        survey=survey,
    )
    result = selectors.question_result(question)
    ranking = result.counted.weighted.ranking_without_tiebreak
    order = question.tiebreak or [option for group in ranking for option in group]
    initial = {f"place_{place}": option for place, option in enumerate(order, start=1)}
    initial["note"] = question.tie_resolution
    posted = request.method == "POST"
    form = TieResolutionForm(request.POST if posted else None, question=question, initial=initial)
    if posted and form.is_valid():
        try:
            services.question_record_tie_resolution(
                actor=request.user,
                question=question,
                order=form.order(),
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The resolution of the tie was recorded."))
            return redirect("staff:survey_results", pk=survey.pk)
    return render(
        request,
        "staff/surveys/tie_form.html",
        {"survey": survey, "question": question, "result": result, "form": form},
    )
