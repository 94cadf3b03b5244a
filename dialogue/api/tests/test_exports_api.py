import csv
import io
import zipfile

import openpyxl
import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import CycleFactory, ThemeFactory
from dialogue.events.models import Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.funding.tests.factories import BudgetLineFactory
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys.tests.factories import PublishedSurveyFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff_user) -> dict:
    return bearer(make_token(staff_user))


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _is_attachment(response, filename_end: str) -> None:
    assert response.status_code == 200, response.content
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.rstrip('"').endswith(filename_end)
    assert response["X-Content-Type-Options"] == "nosniff"


def test_staff_download_the_member_file_as_csv_and_xlsx_noted_in_the_audit(client, staff):
    MemberFactory(code="CHE")
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)
    before = exported.count()
    as_csv = client.get("/api/v1/exports/members.csv", **staff)
    _is_attachment(as_csv, ".csv")
    assert [row[1] for row in _csv_rows(as_csv)[1:]] == ["CHE"]
    as_xlsx = client.get("/api/v1/exports/members.xlsx", **staff)
    _is_attachment(as_xlsx, ".xlsx")
    openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    assert exported.count() == before + 2


def test_an_unknown_format_is_refused_naming_it(client, staff):
    response = client.get("/api/v1/exports/members.pdf", **staff)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "file_format"


def test_exports_are_for_staff_only(client, delegate):
    survey = PublishedSurveyFactory()
    urls = [
        "/api/v1/exports/members.csv",
        f"/api/v1/exports/surveys/{survey.pk}/responses.csv",
        f"/api/v1/exports/surveys/{survey.pk}/results.csv",
        "/api/v1/exports/surveys/999999/results.csv",
        f"/api/v1/exports/events/{EventFactory().pk}/participants.csv",
        "/api/v1/exports/funding.xlsx",
        "/api/v1/exports/funding/coverage.csv",
        f"/api/v1/exports/cycles/{survey.cycle.year}/archive.zip",
    ]
    headers = bearer(make_token(delegate.user))
    for url in urls:
        assert client.get(url).status_code == 401, url
        denied = client.get(url, **headers)
        assert denied.status_code == 403, url
        assert denied.json()["error"]["code"] == "permission_denied"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_staff_download_a_surveys_responses_and_results(client, staff):
    survey = PublishedSurveyFactory()
    responses = client.get(f"/api/v1/exports/surveys/{survey.pk}/responses.xlsx", **staff)
    _is_attachment(responses, ".xlsx")
    assert f"survey-{survey.pk}-responses-" in responses["Content-Disposition"]
    results = client.get(f"/api/v1/exports/surveys/{survey.pk}/results.csv", **staff)
    _is_attachment(results, ".csv")
    assert len(_csv_rows(results)) > 1


def test_a_draft_survey_has_nothing_to_export(client, staff):
    draft = SurveyFactory()
    response = client.get(f"/api/v1/exports/surveys/{draft.pk}/responses.csv", **staff)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "survey"
    assert client.get("/api/v1/exports/surveys/999999/responses.csv", **staff).status_code == 404


def test_staff_download_an_events_participants(client, staff, delegate):
    event = EventFactory()
    Registration.objects.create(
        event=event,
        person=delegate,
        status=Registration.Status.REGISTERED,
        affiliation="Ministry of the Interior",
        affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
        registered_at="2026-01-05T10:00:00Z",
        changed_at="2026-01-05T10:00:00Z",
    )
    response = client.get(f"/api/v1/exports/events/{event.pk}/participants.csv", **staff)
    _is_attachment(response, ".csv")
    rows = _csv_rows(response)
    assert rows[1][0] == delegate.family_name
    assert client.get("/api/v1/exports/events/999999/participants.csv", **staff).status_code == 404


def test_staff_download_the_funding_workbook_and_one_table(client, staff):
    BudgetLineFactory()
    workbook = client.get("/api/v1/exports/funding.xlsx", **staff)
    _is_attachment(workbook, ".xlsx")
    assert len(openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames) == 3
    table = client.get("/api/v1/exports/funding/budget.csv", **staff)
    _is_attachment(table, ".csv")
    assert "-budget-" in table["Content-Disposition"]
    assert client.get("/api/v1/exports/funding/donors.csv", **staff).status_code == 422
    assert client.get("/api/v1/exports/funding.xlsx?cycle=1999", **staff).status_code == 404


def test_staff_download_a_cycles_archive(client, staff):
    cycle = CycleFactory(year=2008)
    ThemeFactory(cycle=cycle)
    response = client.get("/api/v1/exports/cycles/2008/archive.zip", **staff)
    _is_attachment(response, ".zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist()
    assert client.get("/api/v1/exports/cycles/1999/archive.zip", **staff).status_code == 404
