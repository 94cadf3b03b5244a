"""The staff pages of the Discussion Note: list, drafting, editor, downloads and issuing."""

import datetime
import io

import pytest
from django.urls import reverse
from docx import Document as WordDocument

from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory
from dialogue.documents import note_services
from dialogue.documents.models import Document, NoteDraft
from dialogue.documents.tests.test_notes import note_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world(staff_user):
    world = note_world()
    world.draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    return world


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


def _urls(world) -> dict[str, str]:
    return {
        "note_list": reverse("staff:note_list"),
        "note_draft": reverse("staff:note_draft", args=[world.june.pk]),
        "note_issue": reverse("staff:note_issue", args=[world.june.pk]),
        "note_edit": reverse("staff:note_edit", args=[world.draft.pk]),
        "note_download": reverse("staff:note_download", args=[world.draft.pk, "html"]),
    }


NAMES = ["note_list", "note_draft", "note_issue", "note_edit", "note_download"]


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name):
    before = _writes()
    url = _urls(world)[name]
    for response in (client.get(url), client.post(url, {"language": "fr", "text": "x"})):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", NAMES)
def test_delegate_has_no_access(client, delegate, world, name):
    client.force_login(delegate.user)
    before = _writes()
    url = _urls(world)[name]
    for response in (client.get(url), client.post(url, {"language": "fr", "text": "x"})):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


def test_list_shows_each_consultation_with_its_drafts_by_language(staff_client, world):
    response = staff_client.get(reverse("staff:note_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("staff:note_edit", args=[world.draft.pk]) in html
    assert reverse("staff:note_draft", args=[world.june.pk]) in html
    assert "draft, version 1" in html
    assert "Draft in French" in html


def test_drafting_from_the_list_opens_the_editor(staff_client, world):
    response = staff_client.post(
        reverse("staff:note_draft", args=[world.june.pk]), {"language": "fr"}
    )
    draft = NoteDraft.objects.get(consultation=world.june, language="fr")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:note_edit", args=[draft.pk])
    assert "DIM 2008" in draft.text


def test_drafting_with_nothing_to_report_shows_why(staff_client, world):
    lonely = ConsultationFactory(cycle=CycleFactory(year=2040), held_on=datetime.date(2040, 3, 1))
    response = staff_client.post(
        reverse("staff:note_draft", args=[lonely.pk]), {"language": "en"}, follow=True
    )
    assert "There is nothing to report for this consultation yet" in response.content.decode()
    assert not NoteDraft.objects.filter(consultation=lonely).exists()


def test_drafting_in_an_unknown_language_changes_nothing(staff_client, world):
    before = _writes()
    response = staff_client.post(
        reverse("staff:note_draft", args=[world.june.pk]), {"language": "de"}, follow=True
    )
    assert "Choose English, French or Spanish." in response.content.decode()
    assert _writes() == before


def test_editor_shows_the_text_its_format_and_the_preview(staff_client, world):
    response = staff_client.get(reverse("staff:note_edit", args=[world.draft.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How to write the note" in html
    assert 'name="text"' in html and 'name="version" value="1"' in html
    assert '<span class="num">1.</span>' in html
    assert 'name="languages" value="en"' in html


def test_saving_refreshes_the_preview(staff_client, world):
    response = staff_client.post(
        reverse("staff:note_edit", args=[world.draft.pk]),
        {"text": "# New heading\n\nA <b>new</b> paragraph.", "version": 1},
        follow=True,
    )
    html = response.content.decode()
    assert "The note has been saved." in html
    assert "<h3>New heading</h3>" in html
    assert "A &lt;b&gt;new&lt;/b&gt; paragraph." in html
    world.draft.refresh_from_db()
    assert world.draft.version == 2


def test_saving_an_unparseable_text_shows_the_line_and_saves_nothing(staff_client, world):
    before = _writes()
    response = staff_client.post(
        reverse("staff:note_edit", args=[world.draft.pk]),
        {"text": "Fine.\n\n[click](javascript:alert(1))", "version": 1},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 3: the address of a link must start with http:// or https://" in html
    assert _writes() == before
    world.draft.refresh_from_db()
    assert "javascript" not in world.draft.text


@pytest.mark.parametrize(
    ("file_format", "content_type", "magic"),
    [
        ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ("pdf", "application/pdf", b"%PDF-"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK",
        ),
    ],
)
def test_downloads_render_the_saved_draft(staff_client, world, file_format, content_type, magic):
    response = staff_client.get(reverse("staff:note_download", args=[world.draft.pk, file_format]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)
    assert f"discussion-note-2007-06-21-en.{file_format}" in response["Content-Disposition"]
    if file_format == "docx":
        document = WordDocument(io.BytesIO(response.content))
        assert any(p.text.startswith("1.\tThis Discussion Note") for p in document.paragraphs)


def test_download_in_an_unknown_format_is_not_found(staff_client, world):
    response = staff_client.get(reverse("staff:note_download", args=[world.draft.pk, "odt"]))
    assert response.status_code == 404


def test_issuing_publishes_the_note_and_locks_the_editor(staff_client, world):
    response = staff_client.post(
        reverse("staff:note_issue", args=[world.june.pk]),
        {"languages": ["en"], "visibility": "public", "draft": world.draft.pk},
        follow=True,
    )
    html = response.content.decode()
    document = Document.objects.get(kind=Document.Kind.DISCUSSION_NOTE)
    assert document.status == Document.Status.PUBLISHED
    assert "The note has been issued as" in html
    assert "An issued note cannot be edited." in html
    assert "readonly" in html.split('name="text"')[1].split(">")[0]
    locked = staff_client.post(
        reverse("staff:note_edit", args=[world.draft.pk]), {"text": "Changed.", "version": 1}
    )
    assert "draft it again to change it" in locked.content.decode()


def test_issuing_a_language_without_a_draft_changes_nothing(staff_client, world):
    before = _writes()
    response = staff_client.post(
        reverse("staff:note_issue", args=[world.june.pk]),
        {"languages": ["en", "fr"], "visibility": "public", "draft": world.draft.pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Document.objects.exists()
    assert _writes() == before
