"""The staff pages of documents: list, description, files, publication, numbering and series."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation

from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.documents import services
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.documents.tests.test_files import make_docx, make_zip, make_zip_bomb
from dialogue.events import services as event_services
from dialogue.events.models import Event
from dialogue.staff import document_urls

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a small PDF for the tests\n%%EOF\n"

# Every page, and the object whose id its URL takes.
PAGES = {
    "document_list": None,
    "document_create": None,
    "document_detail": "document",
    "document_edit": "document",
    "version_upload": "document",
    "document_publish": "document",
    "document_withdraw": "document",
    "document_number": "document",
    "version_publish": "version",
    "version_download": "version",
    "series_list": None,
    "series_create": None,
}


def url(name: str, obj=None) -> str:
    return reverse(f"staff:{name}", args=[obj.pk] if obj is not None else [])


def page_url(name: str, world) -> str:
    attribute = PAGES[name]
    return url(name, getattr(world, attribute) if attribute else None)


@pytest.fixture(autouse=True)
def _english():
    """Pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _document(**data) -> Document:
    values = {"kind": Document.Kind.REPORT, "title_en": "Report of the workshop", **data}
    return services.document_save(actor=SYSTEM, data=values)


def _upload(document, content=PDF, name="report.pdf", language="en") -> LanguageVersion:
    return services.version_upload(
        actor=SYSTEM,
        document=document,
        language=language,
        uploaded_file=SimpleUploadedFile(name, content),
    )


@pytest.fixture
def world():
    """IDM 2008, a seminar, a draft report with an English PDF, and the IDM Series."""
    cycle = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})
    event = event_services.event_save(
        actor=SYSTEM,
        data={
            "kind": Event.Kind.EXPERT_SEMINAR,
            "cycle": cycle,
            "title_en": "Expert seminar on migration and the environment",
            "precision": Event.Precision.MONTH,
            "year": 2008,
            "month": 10,
        },
    )
    document = _document(
        title_en="Migration and the environment", cycle=cycle, event=event, summary_en="Summary."
    )
    version = _upload(document)
    series = services.series_create(actor=SYSTEM, name_en="International Dialogue on Migration")
    return SimpleNamespace(
        cycle=cycle, event=event, document=document, version=version, series=series
    )


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


def _stored(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _state() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        _writes(),
        Document.objects.count(),
        LanguageVersion.objects.count(),
        PublicationSeries.objects.count(),
        list(Document.objects.order_by("pk").values_list("status", "series", "series_number")),
        list(LanguageVersion.objects.order_by("pk").values_list("status", "checksum")),
        list(PublicationSeries.objects.order_by("pk").values_list("name_en", "next_number")),
    )


def _form(**overrides) -> dict:
    """A complete document form as the browser posts it."""
    data = {
        "kind": "background_paper",
        "title_en": "Migration and development",
        "title_fr": "Migration et développement",
        "title_es": "",
        "summary_en": "A background paper for the workshop.",
        "summary_fr": "",
        "summary_es": "",
        "cycle": "",
        "event": "",
        "visibility": "members",
        "external_url": "",
    }
    data.update(overrides)
    return data


# --- access ---------------------------------------------------------------------------


def test_every_page_of_the_document_urls_is_covered_here():
    assert {p.name for p in document_urls.urlpatterns} == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name, media):
    before, stored = _state(), _stored(media)

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _state() == before
    assert _stored(media) == stored


@pytest.mark.parametrize("name", PAGES)
def test_delegate_has_no_access(client, delegate, world, name, media):
    client.force_login(delegate.user)
    before, stored = _state(), _stored(media)

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _state() == before
    assert _stored(media) == stored


@pytest.mark.parametrize("name", PAGES)
def test_staff_can_open_every_page(staff_client, world, name):
    assert staff_client.get(page_url(name, world)).status_code == 200


@pytest.mark.parametrize("name", [n for n, attribute in PAGES.items() if attribute])
def test_unknown_ids_are_not_found(staff_client, world, name):
    before = _state()

    assert staff_client.get(reverse(f"staff:{name}", args=[9999])).status_code == 404
    assert staff_client.post(reverse(f"staff:{name}", args=[9999])).status_code in (404, 405)
    assert _state() == before


def test_actions_are_refused_without_the_csrf_token(staff_user, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    before = _state()

    response = client.post(url("version_publish", world.version))

    assert response.status_code == 403
    assert _state() == before


def test_staff_start_page_links_to_documents_series_and_notes(staff_client):
    page = staff_client.get(reverse("staff:home")).content.decode()

    assert "Documents and publications" in page
    assert reverse("staff:document_list") in page
    assert reverse("staff:document_create") in page
    assert reverse("staff:series_list") in page
    try:
        notes = reverse("staff:note_list")
    except NoReverseMatch:
        assert "Discussion Notes" not in page
    else:
        assert notes in page


# --- list -----------------------------------------------------------------------------


def test_list_shows_each_document_with_its_languages_status_and_number(staff_client, world):
    _upload(world.document, b"Rapport sur la migration\n", "rapport.txt", language="fr")
    services.version_publish(actor=SYSTEM, version=world.version)
    services.document_publish(actor=SYSTEM, document=world.document)
    services.document_assign_next_number(actor=SYSTEM, document=world.document, series=world.series)

    response = staff_client.get(url("document_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Migration and the environment" in page
    assert "Seminar or workshop report" in page
    assert "English: Published" in page
    assert "French: Draft" in page
    assert "International Dialogue on Migration 1" in page
    assert reverse("staff:document_create") in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"kind": "background_paper"}, {"Paper on remittances"}),
        ({"status": "published"}, {"Published elsewhere"}),
        ({"visibility": "staff"}, {"Paper on remittances"}),
        ({"q": "ENVIRONMENT"}, {"Migration and the environment"}),
        ({"q": "envois"}, {"Paper on remittances"}),
    ],
)
def test_list_filters_by_kind_status_visibility_and_title(staff_client, world, query, shown):
    _document(
        kind="background_paper",
        title_en="Paper on remittances",
        title_fr="Les envois de fonds",
        visibility="staff",
    )
    external = _document(title_en="Published elsewhere", external_url="https://example.org/r")
    services.document_publish(actor=SYSTEM, document=external)
    titles = {"Paper on remittances", "Published elsewhere", "Migration and the environment"}

    page = staff_client.get(url("document_list"), query).content.decode()

    assert {title for title in titles if title in page} == shown


def test_list_filters_by_cycle_event_and_series(staff_client, world):
    other = _document(title_en="Unrelated note")
    services.document_assign_next_number(actor=SYSTEM, document=world.document, series=world.series)

    for query in (
        {"cycle": world.cycle.pk},
        {"event": world.event.pk},
        {"series": world.series.pk},
    ):
        page = staff_client.get(url("document_list"), query).content.decode()
        assert "Migration and the environment" in page
        assert other.title_en not in page


def test_list_is_paginated_and_keeps_the_filters(staff_client, world):
    for number in range(30):
        _document(title_en=f"Workshop paper {number:02d}", kind="background_paper")

    first = staff_client.get(url("document_list"), {"kind": "background_paper"})
    second = staff_client.get(url("document_list"), {"kind": "background_paper", "page": 2})

    first_page, second_page = first.content.decode(), second.content.decode()
    assert first_page.count("Workshop paper") == 25
    assert second_page.count("Workshop paper") == 5
    assert "Page 1 of 2" in first_page
    assert "?kind=background_paper&amp;page=2" in first_page
    assert "Migration and the environment" not in first_page + second_page


def test_list_refuses_an_unknown_filter_value(staff_client, world):
    response = staff_client.get(url("document_list"), {"cycle": "abc", "status": "lost"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert "Migration and the environment" not in response.content.decode()


# --- add and change -------------------------------------------------------------------


def test_staff_add_a_document_as_an_audited_draft(staff_client, staff_user, world):
    response = staff_client.post(
        url("document_create"),
        _form(cycle=str(world.cycle.pk), event=str(world.event.pk)),
        follow=True,
    )

    document = Document.objects.get(title_en="Migration and development")
    assert response.redirect_chain[-1][0] == url("document_detail", document)
    assert "“Migration and development” saved." in response.content.decode()
    assert document.status == Document.Status.DRAFT
    assert document.kind == Document.Kind.BACKGROUND_PAPER
    assert document.visibility == Document.Visibility.MEMBERS
    assert document.title_fr == "Migration et développement"
    assert document.cycle == world.cycle
    assert document.event == world.event
    assert AuditEntry.objects.filter(
        object_type="documents.document",
        object_id=str(document.pk),
        action="create",
        actor=staff_user,
    ).exists()


def test_staff_change_a_document(staff_client, world):
    response = staff_client.post(
        url("document_edit", world.document),
        _form(title_en="Migration, environment and climate change", visibility="public"),
    )

    assert response.status_code == 302
    world.document.refresh_from_db()
    assert world.document.title_en == "Migration, environment and climate change"
    assert world.document.cycle is None
    entry = AuditEntry.objects.filter(object_id=str(world.document.pk), action="update").get()
    assert entry.changes["title_en"][1] == "Migration, environment and climate change"


def test_edit_form_starts_from_the_stored_document(staff_client, world):
    page = staff_client.get(url("document_edit", world.document)).content.decode()

    assert 'value="Migration and the environment"' in page
    assert f'<option value="{world.cycle.pk}" selected>' in page


def test_a_title_with_markup_is_stored_as_text_and_shown_escaped(staff_client, world):
    title = "<script>alert(1)</script> report"

    staff_client.post(url("document_create"), _form(title_en=title))

    document = Document.objects.get(title_en=title)
    for page in (
        staff_client.get(url("document_detail", document)).content.decode(),
        staff_client.get(url("document_list")).content.decode(),
    ):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; report" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"external_url": "javascript:alert(1)"}, "external_url", "must start with http"),
        ({"external_url": "ftp://example.org/x"}, "external_url", "must start with http"),
        ({"title_en": "   "}, "title_en", "This field is required"),
        ({"kind": "poem"}, "kind", "Select a valid choice"),
        ({"cycle": "9999"}, "cycle", "Select a valid choice"),
    ],
)
def test_bad_document_input_is_refused_on_its_field(staff_client, world, overrides, field, message):
    before = _state()

    response = staff_client.post(url("document_create"), _form(**overrides))

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert _state() == before


def test_a_document_with_files_cannot_point_elsewhere(staff_client, world):
    before = _state()

    response = staff_client.post(
        url("document_edit", world.document),
        _form(title_en=world.document.title_en, external_url="https://example.org/report"),
    )

    assert response.status_code == 400
    assert "has files of its own" in str(response.context["form"].errors["external_url"])
    assert _state() == before


# --- the document's page --------------------------------------------------------------


def test_document_page_shows_its_versions_actions_and_history(staff_client, staff_user, world):
    version = services.version_upload(
        actor=staff_user,
        document=world.document,
        language="fr",
        uploaded_file=SimpleUploadedFile("rapport.docx", make_docx()),
    )

    page = staff_client.get(url("document_detail", world.document)).content.decode()

    assert "rapport.docx" in page
    assert "application/vnd.openxmlformats-officedocument.wordprocessingml.document" in page
    assert version.checksum[:12] in page
    assert staff_user.get_username() in page
    assert url("version_download", version) in page
    assert url("version_publish", version) in page
    assert url("document_publish", world.document) in page
    assert url("document_number", world.document) in page
    assert 'enctype="multipart/form-data"' in page
    assert url("version_upload", world.document) in page
    assert "Summary." in page
    assert "Expert seminar on migration and the environment" in page
    assert "Migration and the environment (fr)" in page
    assert "Created" in page


def test_document_page_queries_do_not_grow_with_its_files(staff_client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url("document_detail", world.document)).status_code == 200
        return len(captured)

    one_file = queries()
    _upload(world.document, b"Rapport\n", "rapport.txt", language="fr")
    _upload(world.document, b"Informe\n", "informe.txt", language="es")

    assert queries() == one_file


def test_history_shows_what_changed_and_the_withdrawal_note(staff_client, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    services.document_publish(actor=SYSTEM, document=world.document)
    services.document_withdraw(actor=SYSTEM, document=world.document, note="Superseded edition")

    page = staff_client.get(url("document_detail", world.document)).content.decode()

    assert "Superseded edition" in page
    assert "status: published → withdrawn" in page
    assert url("document_withdraw", world.document) not in page
    assert url("document_publish", world.document) not in page


# --- uploading a language version -----------------------------------------------------


def _post_file(client, document, content, name, language="en"):
    return client.post(
        url("version_upload", document),
        {"language": language, "file": SimpleUploadedFile(name, content)},
    )


def test_staff_upload_a_language_version(staff_client, staff_user, world, media):
    response = _post_file(staff_client, world.document, PDF, "rapport.pdf", language="fr")

    assert response.status_code == 302
    assert response["Location"] == url("document_detail", world.document)
    version = LanguageVersion.objects.get(document=world.document, language="fr")
    assert version.status == LanguageVersion.Status.DRAFT
    assert version.original_name == "rapport.pdf"
    assert version.content_type == "application/pdf"
    assert version.uploaded_by == staff_user
    assert (media / version.file.name).read_bytes() == PDF
    assert AuditEntry.objects.filter(
        object_type="documents.languageversion", object_id=str(version.pk), actor=staff_user
    ).exists()


def test_upload_in_a_language_already_given_replaces_its_file(
    staff_client, world, media, django_capture_on_commit_callbacks
):
    old_name = world.version.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(staff_client, world.document, make_docx(), "report.docx")

    assert response.status_code == 302
    version = LanguageVersion.objects.get(pk=world.version.pk)
    assert version.original_name == "report.docx"
    assert LanguageVersion.objects.filter(document=world.document).count() == 1
    assert _stored(media) == [version.file.name]
    assert version.file.name != old_name


def _macro_docx() -> bytes:
    return make_zip(
        {"[Content_Types].xml": b"<Types/>", "word/vbaProject.bin": b"macro", "word/d.xml": b""}
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "report.pdf", "The file is empty."),
        (b"MZ\x90\x00\x03\x00\x00\x00program", "report.pdf", "not of an accepted type"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "report.pdf", "web page"),
        (make_docx(), "report.pdf", "is named as"),
        (make_zip_bomb(), "report.docx", "too large once uncompressed"),
        (_macro_docx(), "report.docx", "contains macros"),
    ],
)
def test_refused_file_changes_nothing(staff_client, world, media, content, name, message):
    before, stored = _state(), _stored(media)

    response = _post_file(staff_client, world.document, content, name, language="es")

    assert response.status_code == 400
    assert message in str(response.context["form"].errors["file"])
    assert _state() == before
    assert _stored(media) == stored


def test_file_over_the_limit_is_refused(staff_client, world, media, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF) - 1
    before, stored = _state(), _stored(media)

    response = _post_file(staff_client, world.document, PDF, "report.pdf", language="es")

    assert response.status_code == 400
    assert f"the limit is {len(PDF) - 1} bytes" in str(response.context["form"].errors["file"])
    assert _state() == before
    assert _stored(media) == stored


def test_upload_needs_a_language_and_a_file(staff_client, world, media):
    before, stored = _state(), _stored(media)

    response = staff_client.post(url("version_upload", world.document), {"language": "de"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"language", "file"}
    assert _state() == before
    assert _stored(media) == stored


def test_document_published_elsewhere_takes_no_file(staff_client, world, media):
    external = _document(title_en="Elsewhere", external_url="https://example.org/report")
    before, stored = _state(), _stored(media)

    response = _post_file(staff_client, external, PDF, "report.pdf")

    assert response.status_code == 400
    assert "published elsewhere" in str(response.context["form"].errors["file"])
    assert _state() == before
    assert _stored(media) == stored


# --- downloading ----------------------------------------------------------------------


def test_staff_download_a_draft_version_as_an_inert_attachment(staff_client, world):
    response = staff_client.get(url("version_download", world.version))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-cache" in response["Cache-Control"]


def test_download_of_a_file_missing_from_storage_is_not_found(staff_client, world):
    world.version.file.storage.delete(world.version.file.name)

    assert staff_client.get(url("version_download", world.version)).status_code == 404


# --- publishing a language version ----------------------------------------------------


def test_publishing_a_version_asks_for_confirmation_then_publishes(staff_client, staff_user, world):
    confirmation = staff_client.get(url("version_publish", world.version))
    assert "cannot be unpublished" in confirmation.content.decode()
    assert LanguageVersion.objects.get(pk=world.version.pk).status == "draft"

    response = staff_client.post(url("version_publish", world.version), follow=True)

    assert "The English version is published." in response.content.decode()
    assert LanguageVersion.objects.get(pk=world.version.pk).status == "published"
    entry = AuditEntry.objects.filter(
        object_type="documents.languageversion", object_id=str(world.version.pk), action="update"
    ).get()
    assert entry.actor == staff_user
    assert entry.changes["status"] == ["draft", "published"]


def test_a_published_version_is_not_published_again(staff_client, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    before = _state()

    response = staff_client.post(url("version_publish", world.version))

    assert response.status_code == 400
    assert "already published" in str(response.context["form"].non_field_errors())
    assert _state() == before


# --- publishing and withdrawing the document ------------------------------------------


def test_document_without_a_published_version_is_not_published(staff_client, world):
    before = _state()

    response = staff_client.post(url("document_publish", world.document))

    assert response.status_code == 400
    assert "Publish at least one language version" in response.content.decode()
    assert _state() == before


def test_staff_publish_a_document(staff_client, staff_user, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    assert "cannot return to draft" in (
        staff_client.get(url("document_publish", world.document)).content.decode()
    )

    response = staff_client.post(url("document_publish", world.document), follow=True)

    assert "“Migration and the environment” is published." in response.content.decode()
    world.document.refresh_from_db()
    assert world.document.status == Document.Status.PUBLISHED
    assert world.document.published_at is not None
    assert AuditEntry.objects.filter(
        object_id=str(world.document.pk), action="update", actor=staff_user
    ).exists()


def test_staff_withdraw_a_published_document_with_a_note(staff_client, staff_user, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    services.document_publish(actor=SYSTEM, document=world.document)

    response = staff_client.post(
        url("document_withdraw", world.document), {"note": "Replaced by the second edition."}
    )

    assert response.status_code == 302
    world.document.refresh_from_db()
    assert world.document.status == Document.Status.WITHDRAWN
    entry = AuditEntry.objects.filter(object_id=str(world.document.pk), action="update").first()
    assert entry.note == "Replaced by the second edition."
    assert entry.actor == staff_user


def test_withdrawal_needs_a_note(staff_client, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    services.document_publish(actor=SYSTEM, document=world.document)
    before = _state()

    response = staff_client.post(url("document_withdraw", world.document), {"note": "  "})

    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert _state() == before


def test_a_draft_is_not_withdrawn(staff_client, world):
    before = _state()

    response = staff_client.post(url("document_withdraw", world.document), {"note": "Mistake"})

    assert response.status_code == 400
    assert "Only a published document can be withdrawn." in response.content.decode()
    assert _state() == before


# --- numbering ------------------------------------------------------------------------


def test_numbering_page_preselects_the_series_chosen(staff_client, world):
    page = staff_client.get(
        url("document_number", world.document), {"series": world.series.pk}
    ).content.decode()

    assert f'<option value="{world.series.pk}" selected>' in page
    assert "cannot be undone" in page


def test_staff_number_a_document_in_a_series(staff_client, staff_user, world):
    response = staff_client.post(
        url("document_number", world.document), {"series": world.series.pk}, follow=True
    )

    assert "is numbered in its series" in response.content.decode()
    world.document.refresh_from_db()
    world.series.refresh_from_db()
    assert (world.document.series, world.document.series_number) == (world.series, 1)
    assert world.series.next_number == 2
    assert AuditEntry.objects.filter(
        object_type="documents.document", object_id=str(world.document.pk), actor=staff_user
    ).exists()


def test_a_numbered_document_is_not_numbered_again(staff_client, world):
    services.document_assign_next_number(actor=SYSTEM, document=world.document, series=world.series)
    other = services.series_create(actor=SYSTEM, name_en="Training materials")
    before = _state()

    response = staff_client.post(url("document_number", world.document), {"series": other.pk})

    assert response.status_code == 400
    assert "already has number 1" in str(response.context["form"].errors["series"])
    assert _state() == before


def test_numbering_needs_an_existing_series(staff_client, world):
    before = _state()

    response = staff_client.post(url("document_number", world.document), {"series": "9999"})

    assert response.status_code == 400
    assert "series" in response.context["form"].errors
    assert _state() == before


# --- publication series ---------------------------------------------------------------


def test_series_list_shows_next_number_and_numbered_documents(staff_client, world):
    second = _document(title_en="Labour migration in the Mediterranean")
    services.document_assign_next_number(actor=SYSTEM, document=world.document, series=world.series)
    services.document_assign_next_number(actor=SYSTEM, document=second, series=world.series)

    page = staff_client.get(url("series_list")).content.decode()

    assert "International Dialogue on Migration" in page
    assert "Next number: 3." in page
    assert page.index("Migration and the environment") < page.index("Labour migration")
    assert url("series_create") in page


def test_staff_add_a_series_that_continues_its_numbering(staff_client, staff_user, world):
    response = staff_client.post(
        url("series_create"),
        {"name_en": "Migration Research Series", "name_fr": "", "name_es": "", "next_number": 12},
        follow=True,
    )

    assert "The series “Migration Research Series” was created." in response.content.decode()
    series = PublicationSeries.objects.get(name_en="Migration Research Series")
    assert series.next_number == 12
    assert AuditEntry.objects.filter(
        object_type="documents.publicationseries", object_id=str(series.pk), actor=staff_user
    ).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name_en": "international dialogue on migration"}, "name_en", "already exists"),
        ({"name_en": ""}, "name_en", "This field is required"),
        ({"name_en": "New series", "next_number": 0}, "next_number", "greater than or equal"),
    ],
)
def test_bad_series_input_is_refused(staff_client, world, data, field, message):
    before = _state()

    response = staff_client.post(
        url("series_create"), {"name_fr": "", "name_es": "", "next_number": 1, **data}
    )

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert _state() == before


def test_list_shows_the_publication_date(staff_client, world):
    services.version_publish(actor=SYSTEM, version=world.version)
    services.document_publish(actor=SYSTEM, document=world.document)
    published = Document.objects.get(pk=world.document.pk).published_at

    page = staff_client.get(url("document_list")).content.decode()

    assert formats.date_format(timezone.localtime(published)) in page
