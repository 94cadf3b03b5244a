"""The responses and results files of a survey (CSV and XLSX)."""

import csv
import io

import openpyxl
import pytest

from dialogue.core import tables
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import exports, services
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    OPENS,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    observer_state,
    option_ids,
    questions_of,
    ranking,
)

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/","Click")'


def build_closed_survey(staff_user, cycle=None, close=True):
    """A survey with a choose-one and a ranking question, answered by Côte d'Ivoire,
    Türkiye and the Holy See (an observer), then closed."""
    extra = {"cycle": cycle} if cycle is not None else {}
    survey = PublishedSurveyFactory(
        actor=staff_user,
        questions=[
            choose_one("Alpha", "Beta", "Gamma", option_comments=True),
            ranking(3, "One", "Two", "Three", "Four"),
        ],
        **extra,
    )
    civ, tur, vat = MemberFactory(code="CIV"), MemberFactory(code="TUR"), observer_state()
    first, second = questions_of(survey)
    a, b = option_ids(first), option_ids(second)
    services.response_submit(
        actor=delegate_of(civ),
        survey=survey,
        member=civ,
        choices={first.pk: [a[0]], second.pk: [b[2], b[0]]},
        option_comments={a[0]: "Our first choice"},
        comment=FORMULA,
        now=DURING,
    )
    services.response_submit(
        actor=delegate_of(tur),
        survey=survey,
        member=tur,
        choices={first.pk: [a[0]], second.pk: [b[0], b[1], b[2]]},
        now=DURING,
    )
    services.response_submit(
        actor=delegate_of(vat),
        survey=survey,
        member=vat,
        choices={first.pk: [a[1]], second.pk: [b[3]]},
        now=DURING,
    )
    if close:
        survey = services.survey_close(actor=staff_user, survey=survey, now=CLOSES)
    return survey


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_responses_csv_has_one_row_per_delegation_with_answers_comments_and_receipt(
    staff_user,
):
    survey = build_closed_survey(staff_user)
    export = exports.survey_responses_file(actor=staff_user, survey=survey, file_format="csv")
    rows = read_csv(export.content)
    assert export.rows == 3
    assert export.content_type == "text/csv; charset=utf-8"
    assert [row["Delegation"] for row in rows] == ["Côte d'Ivoire", "Holy See", "Türkiye"]
    civ = rows[0]
    assert civ["Delegation code"] == "CIV"
    assert civ["Channel"] == "online"
    assert civ["Submitted at (UTC)"] == "2008-03-06 08:00:00"
    assert civ["Submitted at (Geneva)"] == "2008-03-06 09:00:00"
    assert civ["Version"] == "1"
    assert civ["Receipt"] == survey.responses.get(member__code="CIV").receipt
    assert civ["Q1 answer"] == "Alpha"
    assert civ["Q1 comments"] == "Alpha: Our first choice"
    assert civ["Q2 answer"] == "1. Three; 2. One"
    assert (civ["Q2 rank 1"], civ["Q2 rank 2"], civ["Q2 rank 3"]) == ("Three", "One", "")


def test_observers_are_marked_in_the_responses(staff_user):
    survey = build_closed_survey(staff_user)
    rows = read_csv(
        exports.survey_responses_file(actor=staff_user, survey=survey, file_format="csv").content
    )
    assert {row["Delegation code"]: row["Observer"] for row in rows} == {
        "CIV": "No",
        "VAT": "Yes",
        "TUR": "No",
    }


def test_a_formula_in_a_comment_is_written_as_text_in_csv_and_xlsx(staff_user):
    survey = build_closed_survey(staff_user)
    csv_rows = read_csv(
        exports.survey_responses_file(actor=staff_user, survey=survey, file_format="csv").content
    )
    assert csv_rows[0]["General comment"] == "'" + FORMULA
    content = exports.survey_responses_file(
        actor=staff_user, survey=survey, file_format="xlsx"
    ).content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("General comment") + 1)
    assert cell.value == "'" + FORMULA
    assert cell.data_type == "s"


def test_responses_xlsx_holds_the_same_rows_as_the_csv(staff_user):
    survey = build_closed_survey(staff_user)
    export = exports.survey_responses_file(actor=staff_user, survey=survey, file_format="xlsx")
    assert export.content_type.endswith("spreadsheetml.sheet")
    assert export.filename.startswith(f"survey-{survey.pk}-responses-")
    assert export.filename.endswith(".xlsx")
    rows = read_xlsx(export.content)
    assert [row["Delegation"] for row in rows] == ["Côte d'Ivoire", "Holy See", "Türkiye"]
    assert rows[2]["Q2 answer"] == "1. One; 2. Two; 3. Three"
    assert rows[2]["Version"] == 1


def test_responses_export_is_noted_in_the_audit_trail(staff_user):
    survey = build_closed_survey(staff_user)
    exports.survey_responses_file(actor=staff_user, survey=survey, file_format="csv")
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    assert entry.actor == staff_user
    assert entry.object_id == str(survey.pk)
    assert "3 delegations" in entry.note


def test_only_staff_may_export_responses_and_nothing_is_recorded(staff_user, member_state):
    survey = build_closed_survey(staff_user)
    before = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        exports.survey_responses_file(
            actor=delegate_of(member_state), survey=survey, file_format="csv"
        )
    assert AuditEntry.objects.count() == before


def test_a_draft_survey_has_no_responses_to_export(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as refused:
        exports.survey_responses_file(actor=staff_user, survey=survey, file_format="csv")
    assert refused.value.code == "no_responses"


def test_an_unknown_export_format_is_refused_by_name(staff_user):
    survey = build_closed_survey(staff_user)
    with pytest.raises(DomainError) as refused:
        exports.survey_responses_file(actor=staff_user, survey=survey, file_format="pdf")
    assert refused.value.field == "format"


def test_results_list_every_option_with_its_place_and_the_observers_apart(staff_user):
    survey = build_closed_survey(staff_user)
    export = exports.survey_results_file(actor=staff_user, survey=survey, file_format="csv")
    rows = read_csv(export.content)
    first = [row for row in rows if row["Question"] == "1"]
    assert [row["Option"] for row in first] == ["Alpha", "Beta", "Gamma"]
    alpha, beta, _gamma = first
    assert (alpha["Place"], alpha["Score"], alpha["Won or selected"]) == ("1", "2", "Yes")
    assert beta["Score"] == "0"
    assert beta["Observers' score (not counted)"] == "1"
    assert alpha["Ballots counted"] == "2"
    assert len(rows) == 3 + 4


def test_results_xlsx_has_number_cells(staff_user):
    survey = build_closed_survey(staff_user)
    export = exports.survey_results_file(actor=staff_user, survey=survey, file_format="xlsx")
    rows = read_xlsx(export.content)
    assert rows[0]["Option"] == "Alpha"
    assert rows[0]["Score"] == 2


def test_a_draft_survey_has_no_results(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as refused:
        exports.survey_results_file(actor=staff_user, survey=survey, file_format="csv")
    assert refused.value.code == "no_results"


def test_delegations_get_the_results_only_once_they_are_published(staff_user, member_state):
    survey = build_closed_survey(staff_user)
    reader = delegate_of(member_state)
    with pytest.raises(NotPermitted):
        exports.survey_results_file(actor=reader, survey=survey, file_format="csv")
    survey = services.survey_publish_results(actor=staff_user, survey=survey, now=CLOSES)
    export = exports.survey_results_file(actor=reader, survey=survey, file_format="csv")
    assert export.rows == 7


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    assert tables.sheet_title("Budget: lines/2008 [draft]?", taken) == "Budget  lines 2008  draft"
    assert tables.sheet_title("x" * 40, taken) == "x" * 31
    assert tables.sheet_title("x" * 40, taken) == "x" * 27 + " (2)"


def test_weighted_scores_keep_their_decimals_in_csv_and_xlsx(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[choose_one("Alpha", "Beta")])
    civ, tur = MemberFactory(code="CIV"), MemberFactory(code="TUR")
    services.weight_set(actor=staff_user, survey=survey, member=civ, weight="1.5")
    survey = services.survey_publish(
        actor=staff_user, survey=survey, opens_at=OPENS, closes_at=None, now=OPENS
    )
    [question] = questions_of(survey)
    alpha, beta = option_ids(question)
    for member, option in ((civ, alpha), (tur, beta)):
        services.response_submit(
            actor=delegate_of(member),
            survey=survey,
            member=member,
            choices={question.pk: [option]},
            now=DURING,
        )
    csv_rows = read_csv(
        exports.survey_results_file(actor=staff_user, survey=survey, file_format="csv").content
    )
    assert [(r["Option"], r["Score"], r["Score, one per delegation"]) for r in csv_rows] == [
        ("Alpha", "1.5", "1"),
        ("Beta", "1", "1"),
    ]
    xlsx_rows = read_xlsx(
        exports.survey_results_file(actor=staff_user, survey=survey, file_format="xlsx").content
    )
    assert xlsx_rows[0]["Score"] == 1.5
