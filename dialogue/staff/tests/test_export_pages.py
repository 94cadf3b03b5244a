"""The staff downloads: survey responses and results, funding, and the cycle archive."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.funding.tests.factories import BudgetLineFactory, PledgeFactory
from dialogue.surveys.tests.factories import DraftSurveyFactory
from dialogue.surveys.tests.test_exports import FORMULA, build_closed_survey

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world(staff_user):
    cycle = CycleFactory(year=2008)
    survey = build_closed_survey(staff_user, cycle=cycle)
    line = BudgetLineFactory(event__cycle=cycle, event__title_en="Workshop in Türkiye")
    PledgeFactory(event=line.event)
    return {"cycle": cycle, "survey": survey, "event": line.event}


def _urls(world) -> dict[str, str]:
    survey, cycle = world["survey"].pk, world["cycle"].pk
    return {
        "responses.csv": reverse("staff:export_survey_responses_csv", args=[survey]),
        "responses.xlsx": reverse("staff:export_survey_responses_xlsx", args=[survey]),
        "results.csv": reverse("staff:export_survey_results_csv", args=[survey]),
        "results.xlsx": reverse("staff:export_survey_results_xlsx", args=[survey]),
        "funding.xlsx": reverse("staff:export_funding_xlsx"),
        "funding.csv": reverse("staff:export_funding_csv", args=["pledges"]),
        "archive.zip": reverse("staff:export_cycle_archive", args=[cycle]),
    }


DOWNLOADS = [
    "responses.csv",
    "responses.xlsx",
    "results.csv",
    "results.xlsx",
    "funding.xlsx",
    "funding.csv",
    "archive.zip",
]


@pytest.mark.parametrize("name", DOWNLOADS)
def test_anonymous_visitors_are_sent_to_the_login(client, world, name):
    response = client.get(_urls(world)[name])
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


@pytest.mark.parametrize("name", DOWNLOADS)
def test_delegates_are_sent_to_the_login(client, world, delegate, name):
    client.force_login(delegate.user)
    response = client.get(_urls(world)[name])
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        ("responses.csv", "text/csv; charset=utf-8", ".csv"),
        ("responses.xlsx", XLSX, ".xlsx"),
        ("results.csv", "text/csv; charset=utf-8", ".csv"),
        ("results.xlsx", XLSX, ".xlsx"),
        ("funding.xlsx", XLSX, ".xlsx"),
        ("funding.csv", "text/csv; charset=utf-8", ".csv"),
        ("archive.zip", "application/zip", ".zip"),
    ],
)
def test_staff_download_is_an_attachment_with_its_type_and_no_sniffing(
    staff_client, world, name, content_type, extension
):
    response = staff_client.get(_urls(world)[name])
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith(f'{extension}"')
    assert "/" not in disposition.split("filename=", 1)[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in response["Cache-Control"]


def test_responses_csv_download_reads_back_with_the_formula_escaped(staff_client, world):
    response = staff_client.get(_urls(world)["responses.csv"])
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Delegation"] for row in rows] == ["Côte d'Ivoire", "Holy See", "Türkiye"]
    assert rows[0]["General comment"] == "'" + FORMULA
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.EXPORT, object_id=str(world["survey"].pk)
    ).exists()


def test_funding_xlsx_download_has_its_three_sheets(staff_client, world):
    response = staff_client.get(_urls(world)["funding.xlsx"], {"cycle": world["cycle"].pk})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 3
    coverage = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [row[1] for row in coverage[1:]] == ["Workshop in Türkiye"]


def test_cycle_archive_download_is_a_zip_of_the_cycle(staff_client, world):
    response = staff_client.get(_urls(world)["archive.zip"])
    content = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert "README.txt" in archive.namelist()
    assert any(name.endswith("/responses.csv") for name in archive.namelist())


@pytest.mark.parametrize(
    "name",
    [
        "staff:export_survey_responses_csv",
        "staff:export_survey_results_xlsx",
        "staff:export_cycle_archive",
    ],
)
def test_unknown_survey_or_cycle_is_not_found(staff_client, world, name):
    assert staff_client.get(reverse(name, args=[987654])).status_code == 404


def test_a_draft_survey_has_no_downloads(staff_client, staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    for name in ("staff:export_survey_responses_csv", "staff:export_survey_results_csv"):
        assert staff_client.get(reverse(name, args=[survey.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_unknown_funding_table_is_not_found(staff_client, world):
    response = staff_client.get(reverse("staff:export_funding_csv", args=["donors"]))
    assert response.status_code == 404


def test_unknown_cycle_filter_on_funding_is_a_bad_request(staff_client, world):
    response = staff_client.get(_urls(world)["funding.xlsx"], {"cycle": "987654"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_staff_pages_link_to_the_downloads(staff_client, world):
    urls = _urls(world)
    survey_page = staff_client.get(reverse("staff:survey_detail", args=[world["survey"].pk]))
    for name in ("responses.csv", "responses.xlsx", "results.csv", "results.xlsx"):
        assert urls[name] in survey_page.content.decode()
    cycle_page = staff_client.get(reverse("staff:cycle_detail", args=[world["cycle"].pk]))
    assert urls["archive.zip"] in cycle_page.content.decode()
    overview = staff_client.get(reverse("staff:funding_overview"), {"cycle": world["cycle"].pk})
    page = overview.content.decode()
    assert f"{urls['funding.xlsx']}?cycle={world['cycle'].pk}" in page
    assert reverse("staff:export_funding_csv", args=["budget"]) in page
