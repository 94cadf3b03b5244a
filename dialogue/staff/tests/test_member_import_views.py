"""The staff pages that import and export the member file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dialogue.core import clock
from dialogue.core.models import AuditEntry
from dialogue.members.models import Member

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("staff:member_import")
EXPORT_URLS = [reverse("staff:member_export_csv"), reverse("staff:member_export_xlsx")]


def upload(content: bytes, name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


GOOD = b"kind,code,name_en\nmember_state,CHE,\nobserver_organization,AU,African Union\n"
BAD = b"kind,code,joined\nmember_state,CHE,\nmember_state,XXA,\nmember_state,SEN,someday\n"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("url", [IMPORT_URL, *EXPORT_URLS])
def test_anonymous_visitor_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("url", [IMPORT_URL, *EXPORT_URLS])
def test_delegate_has_no_access(client, delegate, url):
    client.force_login(delegate.user)

    response = client.get(url)

    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_delegate_upload_imports_nothing(client, delegate):
    client.force_login(delegate.user)

    client.post(IMPORT_URL, {"file": upload(GOOD)})

    assert not Member.objects.filter(code="AU").exists()


def test_staff_start_page_links_to_import_and_export(staff_client):
    page = staff_client.get(reverse("staff:home")).content.decode()

    assert IMPORT_URL in page
    assert all(url in page for url in EXPORT_URLS)


def test_import_page_offers_a_file_input_and_a_check_only_option(staff_client):
    response = staff_client.get(IMPORT_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in page
    assert 'accept=".csv,.xlsx"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="check_only"' in page
    assert '<label for="id_file">' in page


def test_upload_with_errors_lists_them_all_and_stores_nothing(staff_client):
    response = staff_client.post(IMPORT_URL, {"file": upload(BAD)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "The file has 2 problems; nothing was imported." in page
    assert "Line 3, column code: ISO code &#x27;XXA&#x27; is not a country." in page
    assert "Line 4, column joined:" in page
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).exists()


def test_upload_of_a_broken_header_lists_the_problem(staff_client):
    response = staff_client.post(IMPORT_URL, {"file": upload(b"kind,colour\nmember_state,red\n")})

    page = response.content.decode()
    assert "Line 1, column colour:" in page
    assert "Line 1, column code: The required column is missing." in page


def test_successful_upload_imports_and_reports_the_counts(staff_client, staff_user):
    response = staff_client.post(IMPORT_URL, {"file": upload(GOOD)}, follow=True)

    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert "members.csv imported: 2 members created, 0 updated, 0 unchanged." in (
        response.content.decode()
    )
    assert set(Member.objects.values_list("code", flat=True)) == {"AU", "CHE"}
    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).actor == staff_user


def test_check_only_upload_reports_what_would_change_and_stores_nothing(staff_client):
    response = staff_client.post(
        IMPORT_URL, {"file": upload(GOOD), "check_only": "on"}, follow=True
    )

    assert "Importing it would create 2, update 0" in response.content.decode()
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).exists()


def test_upload_over_the_size_limit_is_refused(staff_client, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 20

    response = staff_client.post(IMPORT_URL, {"file": upload(GOOD)})

    assert "The file is too large" in response.content.decode()
    assert Member.objects.count() == 0


def test_upload_without_a_file_asks_for_one(staff_client):
    response = staff_client.post(IMPORT_URL, {})

    assert response.status_code == 400
    assert response.context["form"].errors["file"]


def test_upload_of_a_fake_workbook_is_refused(staff_client):
    response = staff_client.post(IMPORT_URL, {"file": upload(GOOD, "members.xlsx")})

    assert "not one" in response.content.decode()
    assert Member.objects.count() == 0


def test_csv_download_is_an_attachment_with_a_dated_name(staff_client, member_state):
    response = staff_client.get(reverse("staff:member_export_csv"))

    today = clock.today().isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="members-{today}.csv"'
    assert member_state.code in response.content.decode("utf-8-sig")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_xlsx_download_is_a_workbook_attachment(staff_client, member_state):
    response = staff_client.get(reverse("staff:member_export_xlsx"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert response.content.startswith(b"PK\x03\x04")
