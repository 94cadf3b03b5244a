"""The delegates' portal: the surveys a delegation answers, its receipts and the results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from dialogue.core import audit, clock, ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.i18n import is_fallback
from dialogue.core.pages import render
from dialogue.members import selectors as member_selectors
from dialogue.surveys import rules, selectors, services
from dialogue.surveys.forms import ResponseForm
from dialogue.surveys.models import Response, Survey


def _respondent(request):
    """The viewer's person and delegation, for an active delegate or focal point only."""
    person = member_selectors.person_for_user(request.user)
    member = person.delegation if person else None
    if member is None or not selectors.can_respond(request.user, member):
        raise PermissionDenied(
            _("Only an active delegate or focal point of a delegation can see its surveys.")
        )
    return person, member


def _visible_survey(member, pk: int) -> Survey:
    """A published survey whose audience includes the delegation; any other is not found."""
    return get_object_or_404(selectors.surveys_for_member(member), pk=pk)


def _submitter(response: Response | None) -> str:
    """Who gave a response, as the delegation knows them."""
    if response is None:
        return ""
    if response.channel == Response.Channel.WRITTEN:
        return _("the secretariat, from your delegation's letter")
    person = getattr(response.submitted_by, "person", None)
    return person.full_name if person else response.submitted_by.email


def _refusal(survey: Survey) -> str | None:
    window = rules.Window(survey.status, survey.opens_at, survey.closes_at)
    return rules.refusal(window, clock.now())


@login_required
@require_safe
def surveys(request):
    """The delegation's open surveys, whether it has answered them, and its past surveys."""
    person, member = _respondent(request)
    now = clock.now()
    open_surveys = list(selectors.open_surveys_for_member(member, now))
    open_ids = {survey.pk for survey in open_surveys}
    upcoming, past = [], []
    for survey in selectors.surveys_for_member(member):
        if survey.pk in open_ids:
            continue
        if survey.status == Survey.Status.OPEN and survey.opens_at > now:
            upcoming.append(survey)
        else:
            past.append(survey)

    def rows(items):
        result = []
        for survey in items:
            response = selectors.response_for(survey, member)
            result.append({"survey": survey, "response": response, "by": _submitter(response)})
        return result

    return render(
        request,
        "portal/surveys/list.html",
        {
            "person": person,
            "member": member,
            "open_rows": rows(open_surveys),
            "upcoming": sorted(upcoming, key=lambda s: s.opens_at),
            "past_rows": rows(past),
        },
    )


def _submitted_version(data) -> int:
    """The version of the delegation's answer the form was based on (0: none)."""
    try:
        return max(int(data.get("based_on", "0")), 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _same_as(response: Response, form: ResponseForm) -> bool:
    """True when the form repeats the stored answer exactly (a double submission)."""
    stored: dict[int, list[tuple[int, int]]] = {}
    for answer in response.answers.all():
        stored.setdefault(answer.question_id, []).append((answer.rank, answer.option_id))
    stored_choices = {q: [o for _rank, o in sorted(pairs)] for q, pairs in stored.items()}
    stored_comments = {a.option_id: a.comment for a in response.answers.all() if a.comment}
    given_choices = {q: list(o) for q, o in form.choices().items() if o}
    given_comments = {int(o): str(c) for o, c in form.option_comments().items() if c}
    return (
        stored_choices == given_choices
        and stored_comments == given_comments
        and response.comment == form.comment
    )


def _error_field(form: ResponseForm, error: DomainError) -> str | None:
    """The form field a domain error belongs to (a ranking's is its first choice), if any."""
    for name in (error.field, f"{error.field}_rank_1"):
        if name in form.fields:
            return name
    return None


@login_required
@require_http_methods(["GET", "POST"])
def survey(request, pk: int):
    """Answer a survey for the viewer's own delegation, or change its answer until the close.

    The delegation is always the viewer's; the time of the answer is the server's.
    A form based on an older version of the delegation's answer is not applied, so
    one delegate never silently overwrites another's newer answer. A delegation and a
    person may submit only so often: over the limit the form comes back with status 429
    and nothing is stored.
    """
    person, member = _respondent(request)
    survey = _visible_survey(member, pk)
    current = selectors.response_for(survey, member)
    form = ResponseForm(
        survey, data=request.POST if request.method == "POST" else None, initial_response=current
    )
    refused = None
    if request.method == "POST":
        counters = ratelimit.submission_counters(member_id=member.pk, user=request.user)
        try:
            ratelimit.enforce(*counters, actor=request.user)
        except ratelimit.RateLimited as error:
            refused = error
            form.add_error(None, error.message)
    if request.method == "POST" and refused is None and form.is_valid():
        if current is not None and _submitted_version(request.POST) != current.version:
            if current.submitted_by_id == request.user.pk and _same_as(current, form):
                return redirect("portal:survey_receipt", pk=survey.pk)
            form.add_error(
                None,
                _(
                    "Your delegation's answer was changed by %(name)s (version %(version)d) "
                    "after you opened this page, so your answer was not recorded. Their answer "
                    "is on the receipt page; to replace it with yours, submit the form again."
                )
                % {"name": _submitter(current), "version": current.version},
            )
        else:
            try:
                response = services.response_submit(
                    actor=request.user,
                    survey=survey,
                    member=member,
                    choices=form.choices(),
                    option_comments=form.option_comments(),
                    comment=form.comment,
                    channel=Response.Channel.PORTAL,
                    expected_version=current.version if current else 0,
                )
            except NotPermitted as error:
                audit.record_refusal(error)
                raise PermissionDenied(error.message) from error
            except DomainError as error:
                audit.record_refusal(error)
                form.add_error(_error_field(form, error), error.message)
            else:
                messages.success(
                    request,
                    _("Your delegation's answer has been recorded (version %(version)d).")
                    % {"version": response.version},
                )
                return redirect("portal:survey_receipt", pk=survey.pk)
    refusal = _refusal(survey)
    groups = form.questions()
    page = render(
        request,
        "portal/surveys/answer.html",
        {
            "person": person,
            "member": member,
            "survey": survey,
            "form": form,
            "groups": groups,
            "introduction_fallback": is_fallback(survey, "introduction"),
            "fallback_options": {
                str(option.pk)
                for group in groups
                for option in group.question.options.all()
                if is_fallback(option, "label")
            },
            "current": current,
            "current_by": _submitter(current),
            "refusal": refusal,
            "show_form": refusal is None or bool(form.errors),
        },
        status=429 if refused else None,
    )
    if refused:
        page["Retry-After"] = str(refused.retry_after)
    return page


def _answers(survey: Survey, response: Response):
    """The stored answers of a response, question by question, in order of preference."""
    chosen: dict[int, list] = {}
    for answer in response.answers.all():
        chosen.setdefault(answer.question_id, []).append(answer)
    rows = []
    for question in survey.questions.prefetch_related("options").order_by("position"):
        options = {option.pk: option for option in question.options.all()}
        given = sorted(chosen.get(question.pk, []), key=lambda answer: answer.rank)
        rows.append(
            {
                "question": question,
                "ranked": question.kind == question.Kind.RANK,
                "answers": [{"answer": a, "option": options[a.option_id]} for a in given],
            }
        )
    return rows


@login_required
@require_safe
def survey_receipt(request, pk: int):
    """The receipt of the delegation's current answer; only its own persons see it."""
    person, member = _respondent(request)
    survey = _visible_survey(member, pk)
    response = selectors.response_for(survey, member)
    if response is None:
        raise Http404
    return render(
        request,
        "portal/surveys/receipt.html",
        {
            "person": person,
            "member": member,
            "survey": survey,
            "response": response,
            "submitted_by": _submitter(response),
            "answers": _answers(survey, response),
        },
    )


@login_required
@require_safe
def survey_results(request, pk: int):
    """The published results, and whether the delegation's own response is among those counted."""
    person, member = _respondent(request)
    survey = _visible_survey(member, pk)
    if not selectors.results_visible_to(survey, request.user):
        raise Http404
    results = selectors.survey_results(survey)
    response = selectors.response_for(survey, member)
    return render(
        request,
        "portal/surveys/results.html",
        {
            "person": person,
            "member": member,
            "survey": survey,
            "results": results,
            "response": response,
            "listed": response is not None and response.fingerprint in results.fingerprints,
            "counted": not member.is_observer or survey.observers_counted,
            "show_observers": True,
            "show_fingerprints": True,
        },
    )
