"""Drafting, editing and issuing the Discussion Note through its services."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory
from dialogue.documents import note_services
from dialogue.documents.models import Document, LanguageVersion, NoteDraft
from dialogue.documents.tests.test_notes import note_world
from dialogue.members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    return note_world()


def _entries(draft: NoteDraft):
    return AuditEntry.objects.filter(object_type="documents.notedraft", object_id=str(draft.pk))


def test_drafting_stores_the_text_drafted_from_the_data_and_audits_it(world, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    assert draft.status == NoteDraft.Status.DRAFT and draft.version == 1
    assert "since the last informal consultations on 2 March 2007" in draft.text
    assert draft.updated_by == staff_user
    assert _entries(draft).filter(action="create").count() == 1


def test_drafting_again_replaces_the_text_and_keeps_the_previous_one_in_the_audit(
    world, staff_user
):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    edited = draft.text + "\nA paragraph added by staff.\n"
    note_services.note_save(actor=staff_user, draft=draft, text=edited)
    again = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    assert again.pk == draft.pk and again.version == 3
    assert "A paragraph added by staff." not in again.text
    last = _entries(draft).order_by("-pk").first()
    assert last.note == "drafted again"
    assert last.changes["text"][0].endswith("A paragraph added by staff.\n")


@pytest.mark.parametrize("actor", [None, "anonymous", "user"])
def test_only_the_secretariat_drafts_saves_or_issues(world, staff_user, actor):
    actor = {"anonymous": AnonymousUser(), "user": UserFactory(), None: None}[actor]
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    with pytest.raises(NotPermitted):
        note_services.note_draft(actor=actor, consultation=world.june, language="fr")
    with pytest.raises(NotPermitted):
        note_services.note_save(actor=actor, draft=draft, text="Changed.")
    with pytest.raises(NotPermitted):
        note_services.note_issue(actor=actor, consultation=world.june, languages=["en"])
    assert NoteDraft.objects.count() == 1
    assert NoteDraft.objects.get().text == draft.text
    assert not Document.objects.exists()


def test_a_consultation_with_nothing_to_report_gets_no_draft(staff_user):
    lonely = ConsultationFactory(cycle=CycleFactory(year=2031), held_on=datetime.date(2031, 1, 9))
    with pytest.raises(DomainError) as caught:
        note_services.note_draft(actor=staff_user, consultation=lonely, language="en")
    assert caught.value.code == "nothing_to_report"
    assert not NoteDraft.objects.exists()


def test_drafting_in_an_unknown_language_is_refused(world, staff_user):
    with pytest.raises(DomainError) as caught:
        note_services.note_draft(actor=staff_user, consultation=world.june, language="de")
    assert caught.value.field == "language"
    assert not NoteDraft.objects.exists()


def test_saving_stores_the_edited_text_with_a_new_version(world, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    saved = note_services.note_save(
        actor=staff_user, draft=draft, text="# Heading\r\n\r\nOne paragraph.", expected_version=1
    )
    assert saved.text == "# Heading\n\nOne paragraph.\n"
    assert saved.version == 2


def test_saving_an_unparseable_text_saves_nothing(world, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    before = _entries(draft).count()
    with pytest.raises(DomainError) as caught:
        note_services.note_save(
            actor=staff_user, draft=draft, text="Fine.\n\nSee [this](javascript:alert(1))."
        )
    assert caught.value.message.startswith("Line 3:")
    draft.refresh_from_db()
    assert draft.version == 1 and "javascript" not in draft.text
    assert _entries(draft).count() == before


def test_saving_over_a_newer_version_is_refused(world, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    note_services.note_save(actor=staff_user, draft=draft, text="First edit.", expected_version=1)
    with pytest.raises(DomainError) as caught:
        note_services.note_save(
            actor=staff_user, draft=draft, text="Second edit.", expected_version=1
        )
    assert caught.value.code == "stale"
    draft.refresh_from_db()
    assert draft.text == "First edit.\n"


def test_saving_the_same_text_writes_nothing(world, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    before = _entries(draft).count()
    same = note_services.note_save(actor=staff_user, draft=draft, text=draft.text)
    assert same.version == 1
    assert _entries(draft).count() == before


def test_issuing_publishes_one_document_with_a_pdf_per_language(world, staff_user):
    for language in ("en", "fr"):
        note_services.note_draft(actor=staff_user, consultation=world.june, language=language)
    document = note_services.note_issue(
        actor=staff_user, consultation=world.june, languages=["fr", "en"], visibility="members"
    )
    assert document.kind == Document.Kind.DISCUSSION_NOTE
    assert document.status == Document.Status.PUBLISHED
    assert document.visibility == Document.Visibility.MEMBERS
    assert document.cycle == world.june.cycle
    assert "21 June 2007" in document.title_en
    versions = {v.language: v for v in document.versions.all()}
    assert sorted(versions) == ["en", "fr"]
    for version in versions.values():
        assert version.status == LanguageVersion.Status.PUBLISHED
        assert version.content_type == "application/pdf"
        assert version.file.read().startswith(b"%PDF-")
    assert "2 March 2007" in " ".join(versions["en"].text.split())
    assert "2 mars 2007" in " ".join(versions["fr"].text.split())
    drafts = NoteDraft.objects.filter(consultation=world.june)
    assert {(d.status, d.document_id) for d in drafts} == {("issued", document.pk)}


def test_an_issued_note_stays_as_issued_until_drafted_again_then_updates_its_document(
    world, staff_user
):
    draft = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    document = note_services.note_issue(actor=staff_user, consultation=world.june, languages=["en"])
    with pytest.raises(DomainError) as caught:
        note_services.note_save(actor=staff_user, draft=draft, text="Rewritten.")
    assert caught.value.code == "issued"
    again = note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    assert again.status == NoteDraft.Status.DRAFT
    note_services.note_save(actor=staff_user, draft=again, text=again.text + "\nAdded later.\n")
    reissued = note_services.note_issue(actor=staff_user, consultation=world.june, languages=["en"])
    assert reissued.pk == document.pk
    assert Document.objects.count() == 1
    assert "Added later." in " ".join(reissued.versions.get(language="en").text.split())


@pytest.mark.parametrize(
    ("languages", "visibility", "field"),
    [
        (["en", "es"], "public", "languages"),
        ([], "public", "languages"),
        (["de"], "public", "languages"),
        (["en"], "everyone", "visibility"),
    ],
)
def test_issuing_with_bad_input_changes_nothing(world, staff_user, languages, visibility, field):
    note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    with pytest.raises(DomainError) as caught:
        note_services.note_issue(
            actor=staff_user, consultation=world.june, languages=languages, visibility=visibility
        )
    assert caught.value.field == field
    assert not Document.objects.exists()
    assert NoteDraft.objects.get().status == NoteDraft.Status.DRAFT


def test_a_note_may_be_issued_with_an_earlier_date_but_not_a_future_one(world, staff_user):
    note_services.note_draft(actor=staff_user, consultation=world.june, language="en")
    with pytest.raises(DomainError) as caught:
        note_services.note_issue(
            actor=staff_user,
            consultation=world.june,
            languages=["en"],
            issued_on=datetime.date(2999, 1, 1),
        )
    assert caught.value.field == "issued_on"
    assert not Document.objects.exists()
    document = note_services.note_issue(
        actor=staff_user,
        consultation=world.june,
        languages=["en"],
        issued_on=datetime.date(2007, 6, 8),
    )
    assert document.published_at.date() == datetime.date(2007, 6, 8)
    assert NoteDraft.objects.get(consultation=world.june).issued_at == document.published_at
    assert "8 June 2007" in " ".join(document.versions.get(language="en").text.split())
