import datetime
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.documents import services
from dialogue.documents.files import FileRefused
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.documents.tests.test_files import (
    DOCX_WORD,
    PDF_WORD,
    make_docx,
    make_pdf,
    make_zip_bomb,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _document(staff_user, **data) -> Document:
    values = {"kind": Document.Kind.REPORT, "title_en": "Report of the workshop", **data}
    return services.document_save(actor=staff_user, data=values)


def _upload(staff_user, document, content, name, language="en") -> LanguageVersion:
    return services.version_upload(
        actor=staff_user,
        document=document,
        language=language,
        uploaded_file=SimpleUploadedFile(name, content),
    )


def test_document_save_creates_an_audited_draft(staff_user):
    document = _document(staff_user, title_fr="Rapport", visibility="members")
    assert document.status == Document.Status.DRAFT
    assert document.visibility == Document.Visibility.MEMBERS
    assert AuditEntry.objects.filter(
        object_type="documents.document", object_id=str(document.pk), action="create"
    ).exists()


def test_only_staff_write_documents(db, delegate):
    with pytest.raises(NotPermitted):
        services.document_save(actor=delegate.user, data={"kind": "report", "title_en": "A report"})
    assert not Document.objects.exists()


def test_document_needs_an_english_title(staff_user):
    with pytest.raises(DomainError) as refused:
        _document(staff_user, title_en="  ")
    assert refused.value.field == "title_en"


def test_nul_byte_in_a_title_is_refused(staff_user):
    with pytest.raises(DomainError) as refused:
        _document(staff_user, title_fr="Rap\x00port")
    assert refused.value.field == "title_fr"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example.org/report.pdf",
        "data:text/html,<script>alert(1)</script>",
        "https://user:secret@example.org/",
        "//example.org/report",
        "https://",
    ],
)
def test_external_address_must_be_http_or_https(staff_user, url):
    with pytest.raises(DomainError) as refused:
        _document(staff_user, external_url=url)
    assert refused.value.field == "external_url"


def test_external_document_is_published_without_a_file(staff_user):
    document = _document(staff_user, external_url=" https://publications.iom.int/idm-26 ")
    assert document.external_url == "https://publications.iom.int/idm-26"
    document = services.document_publish(actor=staff_user, document=document)
    assert document.status == Document.Status.PUBLISHED
    assert document.published_at is not None


def test_external_document_takes_no_file(staff_user):
    document = _document(staff_user, external_url="https://example.org/report")
    with pytest.raises(DomainError) as refused:
        _upload(staff_user, document, make_pdf(), "report.pdf")
    assert refused.value.field == "file"


def test_document_with_files_cannot_also_point_elsewhere(staff_user):
    document = _document(staff_user)
    _upload(staff_user, document, make_pdf(), "report.pdf")
    with pytest.raises(DomainError) as refused:
        services.document_save(
            actor=staff_user, document=document, data={"external_url": "https://example.org/"}
        )
    assert refused.value.field == "external_url"


def test_public_document_needs_a_published_language_version(staff_user):
    document = _document(staff_user, visibility="public")
    with pytest.raises(DomainError) as refused:
        services.document_publish(actor=staff_user, document=document)
    assert refused.value.code == "no_published_version"
    version = _upload(staff_user, document, make_pdf(), "report.pdf")
    with pytest.raises(DomainError):
        services.document_publish(actor=staff_user, document=document)
    services.version_publish(actor=staff_user, version=version)
    document = services.document_publish(actor=staff_user, document=document)
    assert document.status == Document.Status.PUBLISHED
    assert document.published_at is not None


def test_published_document_cannot_lose_its_content(staff_user):
    document = _document(staff_user, external_url="https://example.org/report")
    services.document_publish(actor=staff_user, document=document)
    with pytest.raises(DomainError):
        services.document_save(actor=staff_user, document=document, data={"external_url": ""})
    document.refresh_from_db()
    assert document.external_url == "https://example.org/report"


def test_only_a_draft_is_published_and_only_a_published_document_withdrawn(staff_user):
    document = _document(staff_user, external_url="https://example.org/report")
    with pytest.raises(DomainError):
        services.document_withdraw(actor=staff_user, document=document)
    services.document_publish(actor=staff_user, document=document)
    with pytest.raises(DomainError):
        services.document_publish(actor=staff_user, document=document)
    document = services.document_withdraw(actor=staff_user, document=document, note="superseded")
    assert document.status == Document.Status.WITHDRAWN
    with pytest.raises(DomainError):
        services.document_publish(actor=staff_user, document=document)


def test_upload_stores_size_checksum_type_and_text(staff_user):
    document = _document(staff_user)
    content = make_pdf()
    version = _upload(staff_user, document, content, "../../Rapport final.pdf", language="fr")
    assert version.size == len(content)
    assert version.checksum == hashlib.sha256(content).hexdigest()
    assert version.content_type == "application/pdf"
    assert version.original_name == "Rapport final.pdf"
    assert version.status == LanguageVersion.Status.DRAFT
    assert version.uploaded_by == staff_user
    assert PDF_WORD in version.text
    assert "Rapport" not in version.file.name
    assert ".." not in version.file.name
    with version.file.open("rb") as stored:
        assert stored.read() == content


def test_upload_extracts_the_text_of_a_docx(staff_user):
    document = _document(staff_user)
    version = _upload(staff_user, document, make_docx(), "note.docx")
    assert version.content_type.endswith("wordprocessingml.document")
    assert DOCX_WORD in version.text


def test_upload_replaces_the_language_version_and_its_file(
    staff_user, django_capture_on_commit_callbacks
):
    document = _document(staff_user)
    first = _upload(staff_user, document, make_pdf("First edition"), "report.pdf")
    services.version_publish(actor=staff_user, version=first)
    storage, old_name = first.file.storage, first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = _upload(staff_user, document, make_docx("Second edition"), "report.docx")
    assert second.pk == first.pk
    assert LanguageVersion.objects.filter(document=document).count() == 1
    assert second.status == LanguageVersion.Status.PUBLISHED
    assert "Second edition" in second.text
    assert not storage.exists(old_name)
    assert storage.exists(second.file.name)
    assert AuditEntry.objects.filter(
        object_type="documents.languageversion", action="update", note="file replaced"
    ).exists()


def test_upload_must_be_a_language_of_the_platform(staff_user):
    document = _document(staff_user)
    with pytest.raises(DomainError) as refused:
        _upload(staff_user, document, make_pdf(), "report.pdf", language="de")
    assert refused.value.field == "language"


def test_only_staff_upload(staff_user, delegate):
    document = _document(staff_user)
    with pytest.raises(NotPermitted):
        _upload(delegate.user, document, make_pdf(), "report.pdf")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "report.pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "report.pdf"),
        (b"%PDF-1.7\n", "report.docx"),
        (b"Some text\x00with a NUL", "notes.txt"),
        (b"", "report.pdf"),
    ],
)
def test_refused_upload_stores_nothing(staff_user, content, name):
    document = _document(staff_user)
    with pytest.raises(FileRefused) as refused:
        _upload(staff_user, document, content, name)
    assert refused.value.field == "file"
    assert not LanguageVersion.objects.exists()


def test_zip_bomb_named_docx_is_refused_on_upload(staff_user):
    document = _document(staff_user)
    with pytest.raises(FileRefused, match="uncompressed"):
        _upload(staff_user, document, make_zip_bomb(), "report.docx")
    assert not LanguageVersion.objects.exists()


def test_file_one_byte_over_the_limit_is_refused(staff_user, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    document = _document(staff_user)
    with pytest.raises(FileRefused, match="too large") as refused:
        _upload(staff_user, document, b"a" * 101, "notes.txt")
    assert refused.value.code == "file_too_large"
    version = _upload(staff_user, document, b"a" * 100, "notes.txt")
    assert version.size == 100


def test_limit_holds_when_the_declared_size_is_wrong(staff_user, settings):
    settings.DOCUMENT_MAX_BYTES = 100

    class Unsized(io.BytesIO):
        name = "notes.txt"
        size = None

    document = _document(staff_user)
    with pytest.raises(FileRefused, match="too large"):
        services.version_upload(
            actor=staff_user, document=document, language="en", uploaded_file=Unsized(b"a" * 500)
        )


def test_version_publish_is_audited_and_not_repeated(staff_user):
    document = _document(staff_user)
    version = _upload(staff_user, document, b"Plain notes", "notes.txt")
    version = services.version_publish(actor=staff_user, version=version)
    assert version.status == LanguageVersion.Status.PUBLISHED
    with pytest.raises(DomainError):
        services.version_publish(actor=staff_user, version=version)


def test_series_numbers_are_unique_and_never_reused(staff_user):
    series = services.series_create(actor=staff_user, name_en="IDM Series")
    first, second, third = (_document(staff_user, title_en=f"Report {i}") for i in range(3))
    first = services.document_assign_next_number(actor=staff_user, document=first, series=series)
    second = services.document_assign_next_number(actor=staff_user, document=second, series=series)
    assert (first.series_number, second.series_number) == (1, 2)

    services.document_save(
        actor=staff_user, document=second, data={"external_url": "https://example.org/"}
    )
    services.document_publish(actor=staff_user, document=second)
    services.document_withdraw(actor=staff_user, document=second)
    third = services.document_assign_next_number(actor=staff_user, document=third, series=series)
    assert third.series_number == 3
    second.refresh_from_db()
    assert second.series_number == 2
    series.refresh_from_db()
    assert series.next_number == 4


def test_a_document_is_numbered_once(staff_user):
    series = services.series_create(actor=staff_user, name_en="IDM Series", next_number=27)
    document = _document(staff_user)
    document = services.document_assign_next_number(
        actor=staff_user, document=document, series=series
    )
    assert document.series_number == 27
    with pytest.raises(DomainError) as refused:
        services.document_assign_next_number(actor=staff_user, document=document, series=series)
    assert refused.value.field == "series"
    series.refresh_from_db()
    assert series.next_number == 28


def test_withdrawn_document_is_not_numbered(staff_user):
    series = services.series_create(actor=staff_user, name_en="IDM Series")
    document = _document(staff_user, external_url="https://example.org/")
    services.document_publish(actor=staff_user, document=document)
    services.document_withdraw(actor=staff_user, document=document)
    with pytest.raises(DomainError):
        services.document_assign_next_number(actor=staff_user, document=document, series=series)
    series.refresh_from_db()
    assert series.next_number == 1


def test_series_names_are_unique_and_numbers_start_at_one(staff_user):
    services.series_create(actor=staff_user, name_en="IDM Series")
    with pytest.raises(DomainError) as refused:
        services.series_create(actor=staff_user, name_en="idm series")
    assert refused.value.field == "name_en"
    with pytest.raises(DomainError) as refused:
        services.series_create(actor=staff_user, name_en="Other", next_number=0)
    assert refused.value.field == "next_number"
    assert PublicationSeries.objects.count() == 1


def test_the_platform_itself_may_number_documents(staff_user):
    series = services.series_create(actor=SYSTEM, name_en="IDM Series")
    document = services.document_assign_next_number(
        actor=SYSTEM, document=_document(staff_user), series=series
    )
    assert document.series_number == 1


def test_publication_may_record_an_earlier_date(staff_user):
    document = _document(staff_user, external_url="https://example.org/report")
    earlier = datetime.datetime(2007, 6, 22, 10, tzinfo=datetime.UTC)
    document = services.document_publish(actor=staff_user, document=document, published_at=earlier)
    assert document.published_at == earlier


@pytest.mark.parametrize(
    "when",
    [
        datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2007, 6, 22, 10),  # no time zone: ambiguous
    ],
)
def test_publication_date_in_the_future_or_without_zone_is_refused(staff_user, when):
    document = _document(staff_user, external_url="https://example.org/report")
    with pytest.raises(DomainError) as refused:
        services.document_publish(actor=staff_user, document=document, published_at=when)
    assert refused.value.field == "published_at"
    document.refresh_from_db()
    assert document.status == Document.Status.DRAFT and document.published_at is None
