"""A survey's responses and results as CSV or XLSX files for the secretariat.

The responses file has one row per delegation that responded: who (code, name, kind,
whether it is an observer, region), how and when (channel, time in UTC and in Geneva,
version, receipt), then for each question the answer and the comments given on the
chosen options, and last the delegation's general comment. A ranking is written twice,
once as "1. X; 2. Y" in the answer column, which reads well, and once as one column per
position ("rank 1", "rank 2", ...), which sorts and filters well in a spreadsheet.

The results file has one row per question and option, recomputed from the stored
responses by `selectors.survey_results`.

Every text cell a spreadsheet could take for a formula is escaped (`dialogue.core.tables`).
"""

from typing import Any

from django.utils.translation import gettext as _

from dialogue.core import clock
from dialogue.core.actors import has_staff_rights, require_staff
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.tables import (
    CONTENT_TYPES,
    ExportFile,
    Table,
    check_format,
    geneva_text,
    table_csv,
    tables_xlsx,
    utc_text,
)
from dialogue.members.models import Member
from dialogue.surveys import counting, selectors, services
from dialogue.surveys.models import Answer, Question, Response, Survey

OBSERVER_KINDS = (Member.Kind.OBSERVER_STATE, Member.Kind.OBSERVER_ORGANIZATION)


# --- responses ----------------------------------------------------------------------


def _figure(value: Any) -> Any:
    if hasattr(value, "item"):  # a NumPy number from the count
        value = value.item()
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 3)
    return value


def _question_columns(question: Question) -> list[str]:
    number = question.position
    columns = [_("Q%(number)s answer") % {"number": number}]
    if question.kind == Question.Kind.RANK:
        columns += [
            _("Q%(number)s rank %(rank)s") % {"number": number, "rank": rank}
            for rank in range(1, question.max_choices + 1)
        ]
    columns.append(_("Q%(number)s comments") % {"number": number})
    return columns


def _question_cells(question: Question, chosen: list[Answer]) -> list[Any]:
    if question.kind == Question.Kind.RANK:
        answer = "; ".join(f"{a.rank}. {a.option.label}" for a in chosen)
    else:
        answer = "; ".join(a.option.label for a in chosen)
    cells: list[Any] = [answer]
    if question.kind == Question.Kind.RANK:
        by_rank = {a.rank: a.option.label for a in chosen}
        cells += [by_rank.get(rank, "") for rank in range(1, question.max_choices + 1)]
    cells.append(" | ".join(f"{a.option.label}: {a.comment}" for a in chosen if a.comment))
    return cells


def responses_table(survey: Survey) -> Table:
    """Every current response of the survey, one row per delegation, by delegation name.

    Observers are marked in their own column (their answers are recorded whether or
    not the survey counts them).
    """
    questions = list(survey.questions.order_by("position"))
    responses = list(
        Response.objects.filter(survey=survey)
        .select_related("member")
        .order_by("member__name_en", "member__code")
    )
    answers: dict[tuple[int, int], list[Answer]] = {}
    for answer in (
        Answer.objects.filter(response__survey=survey)
        .select_related("option")
        .order_by("response_id", "question_id", "rank")
    ):
        answers.setdefault((answer.response_id, answer.question_id), []).append(answer)
    header = [
        _("Delegation code"),
        _("Delegation"),
        _("Kind"),
        _("Observer"),
        _("Region"),
        _("Channel"),
        _("Submitted at (UTC)"),
        _("Submitted at (Geneva)"),
        _("Version"),
        _("Receipt"),
    ]
    for question in questions:
        header += _question_columns(question)
    header.append(_("General comment"))
    rows = []
    for response in responses:
        member = response.member
        row: list[Any] = [
            member.code,
            member.name,
            member.get_kind_display(),
            member.kind in OBSERVER_KINDS,
            member.get_region_display(),
            _("written") if response.channel == Response.Channel.WRITTEN else _("online"),
            utc_text(response.submitted_at),
            geneva_text(response.submitted_at),
            response.version,
            response.receipt,
        ]
        for question in questions:
            row += _question_cells(question, answers.get((response.pk, question.pk), []))
        row.append(response.comment)
        rows.append(row)
    return Table(title=_("Responses"), header=header, rows=rows)


def survey_responses_file(*, actor, survey: Survey, file_format: str) -> ExportFile:
    """The survey's responses as CSV or XLSX, for staff only, noted in the audit trail.

    A draft survey has no responses to export (DomainError, code "no_responses").
    """
    require_staff(actor)
    check_format(file_format)
    if survey.status == Survey.Status.DRAFT:
        raise DomainError(
            _("A draft survey has no responses to export."), field="survey", code="no_responses"
        )
    table = responses_table(survey)
    content = table_csv(table) if file_format == "csv" else tables_xlsx([table])
    services.survey_record_export(actor=actor, survey=survey, rows=len(table.rows))
    return ExportFile(
        filename=f"survey-{survey.pk}-responses-{clock.today().isoformat()}.{file_format}",
        content_type=CONTENT_TYPES[file_format],
        content=content,
        rows=len(table.rows),
    )


# --- results ------------------------------------------------------------------------


def _scores(result: counting.Result) -> dict[Any, Any]:
    if isinstance(result, counting.ScoreResult):
        return dict(result.scores)
    if isinstance(result, counting.IRVResult):
        last: dict[Any, Any] = {}
        for round_ in result.rounds:
            last.update(round_.counts)
        return last
    return {}


def _places(result: counting.Result) -> dict[Any, int]:
    places: dict[Any, int] = {}
    place = 1
    for group in result.ranking:
        for option in group:
            places[option] = place
        place += len(group)
    return places


def results_table(survey: Survey) -> Table:
    """The survey's results, one row per question and option, recomputed from the stored
    responses: place, weighted and unweighted score, whether the option won or was
    selected, any tie, the observers' score when they are reported apart, and the first
    choices (or choices) per region."""
    results = selectors.survey_results(survey)
    regions: list[str] = []
    for question_result in results.questions:
        for label, _counts in question_result.by_region:
            if label not in regions:
                regions.append(label)
    header = [
        _("Question"),
        _("Question text"),
        _("Counting method"),
        _("Option"),
        _("Place"),
        _("Score"),
        _("Score, one per delegation"),
        _("Won or selected"),
        _("Tie"),
        _("Ballots counted"),
        _("Observers' score (not counted)"),
    ]
    header += [_("Choices: %(region)s") % {"region": region} for region in regions]
    rows = []
    for question_result in results.questions:
        question = question_result.question
        weighted = question_result.counted.weighted
        unweighted = question_result.counted.unweighted
        scores, plain_scores = _scores(weighted), _scores(unweighted)
        places = _places(weighted)
        selection = question_result.selection
        winners = set(selection.chosen) if selection is not None else set(weighted.winners)
        tied = set(selection.tied) if selection is not None else set()
        if selection is None and weighted.tie:
            tied = set(weighted.winners)
        observer_scores = (
            _scores(question_result.observers.weighted) if question_result.observers else {}
        )
        by_region = dict(question_result.by_region)
        for option_id, label in question_result.labels.items():
            row: list[Any] = [
                question.position,
                question.text,
                question.get_method_display(),
                label,
                places.get(option_id),
                _figure(scores.get(option_id)),
                _figure(plain_scores.get(option_id)),
                option_id in winners and option_id not in tied,
                option_id in tied,
                weighted.ballots,
                _figure(observer_scores.get(option_id)),
            ]
            row += [by_region.get(region, {}).get(option_id) for region in regions]
            rows.append(row)
    return Table(title=_("Results"), header=header, rows=rows)


def results_exist(survey: Survey) -> bool:
    """True once the survey is published: from then on it has results (provisional
    while it is open)."""
    return survey.status != Survey.Status.DRAFT


def survey_results_file(*, actor, survey: Survey, file_format: str) -> ExportFile:
    """The survey's results as CSV or XLSX.

    Staff may export them once the survey is published; anyone else only once the
    results are published (NotPermitted otherwise). A draft survey has no results
    (DomainError, code "no_results").
    """
    check_format(file_format)
    if not has_staff_rights(actor) and survey.status != Survey.Status.RESULTS_PUBLISHED:
        raise NotPermitted(_("These results are not published."))
    if not results_exist(survey):
        raise DomainError(
            _("A draft survey has no results yet."), field="survey", code="no_results"
        )
    table = results_table(survey)
    content = table_csv(table) if file_format == "csv" else tables_xlsx([table])
    return ExportFile(
        filename=f"survey-{survey.pk}-results-{clock.today().isoformat()}.{file_format}",
        content_type=CONTENT_TYPES[file_format],
        content=content,
        rows=len(table.rows),
    )
