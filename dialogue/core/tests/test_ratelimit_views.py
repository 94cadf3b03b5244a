"""Rate limits on the pages: response submission in the portal, uploads and exports in the
staff pages. Over a limit the page answers 429 with Retry-After and stores nothing."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dialogue.core.models import AuditEntry
from dialogue.documents import services as document_services
from dialogue.documents.models import Document, LanguageVersion
from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, StaffUserFactory
from dialogue.surveys.models import Response, ResponseVersion
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
    stored_answers,
)

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
MEMBERS_CSV = b"kind,code,name_en\nmember_state,CHE,\n"


@pytest.fixture
def limits(settings):
    def set_limits(**scopes):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **scopes}

    return set_limits


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def survey(staff_user):
    return PublishedSurveyFactory(actor=staff_user, questions=[choose_one("A", "B", "C")])


def _answer(survey, index: int, based_on: int) -> dict:
    (question,) = questions_of(survey)
    return {
        "based_on": str(based_on),
        f"question_{question.pk}": str(option_ids(question)[index]),
        "comment": "",
    }


def _survey_url(survey) -> str:
    return f"/en/portal/surveys/{survey.pk}/"


# --- response submission in the portal ------------------------------------------------


def test_a_delegation_over_the_submission_limit_gets_the_form_again_with_429(
    client, at, survey, limits
):
    limits(submission_delegation=(2, 60), submission_person=(10, 60))
    member = MemberFactory()
    first, second = delegate_of(member), delegate_of(member)
    client.force_login(first)
    assert client.post(_survey_url(survey), _answer(survey, 0, 0)).status_code == 302
    client.force_login(second)
    assert client.post(_survey_url(survey), _answer(survey, 1, 1)).status_code == 302
    stored = Response.objects.get(survey=survey, member=member)
    before = (stored.version, stored_answers(stored), ResponseVersion.objects.count())

    page = client.post(_survey_url(survey), _answer(survey, 2, 2), REMOTE_ADDR="192.0.2.44")

    assert page.status_code == 429
    assert page["Retry-After"] == str(60 - DURING.second)
    assert page.templates[0].name == "portal/surveys/answer.html"
    text = page.content.decode()
    assert "Your delegation&#x27;s answer was sent too many times" in text
    assert 'role="alert"' in text
    (question,) = questions_of(survey)
    chosen = option_ids(question)[2]
    checked = re.findall(r'<input type="radio"[^>]*value="(\d+)"[^>]*checked', text)
    assert checked == [str(chosen)], "the form keeps what the delegate chose"
    stored.refresh_from_db()
    assert (stored.version, stored_answers(stored), ResponseVersion.objects.count()) == before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RATE_LIMITED)
    assert (entry.actor, entry.ip_address, entry.object_id, entry.object_repr) == (
        second,
        "192.0.2.44",
        f"member:{member.pk}",
        "submission_delegation",
    )


def test_another_delegation_can_still_submit(client, at, survey, limits):
    limits(submission_delegation=(1, 60))
    busy, other = MemberFactory(), MemberFactory()
    client.force_login(delegate_of(busy))
    client.post(_survey_url(survey), _answer(survey, 0, 0))
    assert client.post(_survey_url(survey), _answer(survey, 1, 1)).status_code == 429
    client.force_login(delegate_of(other))
    assert client.post(_survey_url(survey), _answer(survey, 1, 0)).status_code == 302
    assert Response.objects.get(member=other).version == 1


def test_a_delegation_can_submit_again_in_the_next_window(client, at, survey, limits):
    limits(submission_delegation=(1, 60))
    member = MemberFactory()
    client.force_login(delegate_of(member))
    client.post(_survey_url(survey), _answer(survey, 0, 0))
    assert client.post(_survey_url(survey), _answer(survey, 1, 1)).status_code == 429
    at(DURING + MINUTE)
    assert client.post(_survey_url(survey), _answer(survey, 1, 1)).status_code == 302
    assert Response.objects.get(member=member).version == 2


def test_opening_the_survey_page_does_not_count(client, at, survey, limits):
    limits(submission_delegation=(1, 60))
    client.force_login(delegate_of(MemberFactory()))
    assert [client.get(_survey_url(survey)).status_code for _ in range(3)] == [200] * 3
    assert client.post(_survey_url(survey), _answer(survey, 0, 0)).status_code == 302


# --- staff uploads ----------------------------------------------------------------------


def test_a_member_file_upload_over_the_limit_imports_nothing(client, at, staff_user, limits):
    limits(upload=(1, 3600))
    client.force_login(staff_user)
    url = reverse("staff:member_import")
    upload = SimpleUploadedFile("members.csv", MEMBERS_CSV, content_type="text/csv")
    assert client.post(url, {"file": upload, "check_only": "on"}).status_code == 302
    upload = SimpleUploadedFile("members.csv", MEMBERS_CSV, content_type="text/csv")

    page = client.post(url, {"file": upload})

    assert page.status_code == 429
    assert int(page["Retry-After"]) > 60
    assert "You have uploaded too many files" in page.content.decode()
    assert not Member.objects.filter(code="CHE").exists()


def test_a_document_upload_over_the_limit_keeps_no_file(client, at, staff_user, limits):
    limits(upload=(0, 3600))
    document = document_services.document_save(
        actor=staff_user, data={"kind": Document.Kind.REPORT, "title_en": "Report"}
    )
    client.force_login(staff_user)
    url = reverse("staff:version_upload", args=[document.pk])
    page = client.post(url, {"language": "en", "file": SimpleUploadedFile("report.pdf", PDF)})
    assert page.status_code == 429
    assert page["Retry-After"]
    assert "You have uploaded too many files" in page.content.decode()
    assert not LanguageVersion.objects.exists()
    assert client.get(url).status_code == 200


# --- staff exports ----------------------------------------------------------------------


def test_exports_over_the_limit_are_refused_with_429(client, at, staff_user, limits):
    limits(export=(2, 3600))
    client.force_login(staff_user)
    csv_url, xlsx_url = reverse("staff:member_export_csv"), reverse("staff:member_export_xlsx")
    assert [client.get(csv_url).status_code, client.get(xlsx_url).status_code] == [200, 200]
    exports_before = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count()

    refused = client.get(reverse("staff:export_funding_xlsx"))

    assert refused.status_code == 429
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert int(refused["Retry-After"]) > 60
    assert "downloaded too many exports" in refused.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == exports_before


def test_staff_downloads_are_counted_per_user(client, at, staff_user, limits):
    limits(export=(1, 3600))
    client.force_login(staff_user)
    client.get(reverse("staff:member_export_csv"))
    assert client.get(reverse("staff:member_export_csv")).status_code == 429
    client.force_login(StaffUserFactory())
    assert client.get(reverse("staff:member_export_csv")).status_code == 200


def test_a_participants_export_over_the_limit_is_refused(client, at, staff_user, limits):
    from dialogue.events.tests.factories import EventFactory

    limits(export=(1, 3600))
    event = EventFactory()
    client.force_login(staff_user)
    url = reverse("staff:participants_csv", args=[event.pk])
    assert client.get(url).status_code == 200

    refused = client.get(url)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60


def test_a_written_response_over_the_upload_limit_records_nothing(
    client, at, staff_user, survey, limits
):
    limits(upload=(0, 3600))
    member = MemberFactory(code="ZWE")
    question = questions_of(survey)[0]
    client.force_login(staff_user)
    letter = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")

    page = client.post(
        reverse("staff:survey_response_record", args=[survey.pk]),
        {"member": member.pk, "letter": letter, f"q{question.pk}": option_ids(question)[0]},
    )

    assert page.status_code == 429
    assert page["Retry-After"]
    assert "You have uploaded too many files" in page.content.decode()
    assert not Response.objects.filter(survey=survey, member=member).exists()
