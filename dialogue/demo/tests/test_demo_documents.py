"""The demo documents and publications, as the 2007 Discussion Note reports them."""

import datetime
import hashlib
import io
import re

import docx
import pytest
from django.contrib.auth.models import AnonymousUser
from pypdf import PdfReader

from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.demo import document_loader
from dialogue.demo.cycle_loader import GENEVA
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.documents.selectors import documents_visible_to
from dialogue.events.models import Event
from dialogue.members.models import User
from dialogue.surveys.models import Survey
from dialogue.surveys.selectors import survey_results

STAFF = "staff@dialogue.example.org"
DELEGATE = "delegate@mission-mex.example.org"
# Footnote 1 of the note, one piece per printed line: the line breaks are not part of it.
FOOTNOTE_URL = (
    "http://www.iom.int/jahia/Jahia/eventGLOBAL/cache/offonce?entryId=13112&titleHolder=Migration%20an"
    "d%20the%20Environment:%20Expert%20Workshop%20-%20International%20Dialogue"
    "%20on%20Migration"
)
SEMINAR = (Event.Kind.EXPERT_SEMINAR, "Migration and the Environment")
FREE_MOVEMENT = (Event.Kind.WORKSHOP, "Free Movement of Persons in Regional Integration Processes")
TRAINING = (Event.Kind.TRAINING, "International Migration Law")
PUBLIC = Document.Visibility.PUBLIC
MEMBERS = Document.Visibility.MEMBERS
STAFF_ONLY = Document.Visibility.STAFF
PUBLISHED = Document.Status.PUBLISHED
DRAFT = Document.Status.DRAFT
# English title: kind, cycle, event, visibility, status, number in the IDM Series, files.
EXPECTED = {
    "Mainstreaming Migration into Development Policy Agendas": (
        "report",
        2005,
        None,
        PUBLIC,
        PUBLISHED,
        7,
        ["en"],
    ),
    "Migration and Human Resources for Health: From Awareness to Action": (
        "report",
        2006,
        None,
        PUBLIC,
        PUBLISHED,
        8,
        ["en"],
    ),
    "Migrants and the Host Society: Partnerships for Success": (
        "report",
        2006,
        None,
        PUBLIC,
        PUBLISHED,
        9,
        ["en"],
    ),
    "Migration and the Environment: materials of the expert seminar": (
        "presentation",
        2007,
        SEMINAR,
        PUBLIC,
        PUBLISHED,
        None,
        [],
    ),
    "Expert Seminar: Migration and the Environment": (
        "report",
        2007,
        SEMINAR,
        PUBLIC,
        DRAFT,
        None,
        ["en"],
    ),
    "Free Movement of Persons in Regional Integration Processes: background paper": (
        "background_paper",
        2007,
        FREE_MOVEMENT,
        PUBLIC,
        PUBLISHED,
        None,
        ["en", "es", "fr"],
    ),
    "The Essentials of Migration Management: Guide for Policy Makers and Practitioners": (
        "training_material",
        2007,
        TRAINING,
        PUBLIC,
        PUBLISHED,
        None,
        [],
    ),
    "International Migration Law: course outline": (
        "training_material",
        2007,
        TRAINING,
        MEMBERS,
        PUBLISHED,
        None,
        ["en"],
    ),
    "World Migration Report 2007: Managing Labour Mobility in the Evolving Global Economy": (
        "background_paper",
        2007,
        None,
        PUBLIC,
        PUBLISHED,
        None,
        [],
    ),
    "Selection of the 2007 workshop topics: results of the survey of October/November 2006": (
        "other",
        2007,
        None,
        MEMBERS,
        PUBLISHED,
        None,
        ["en"],
    ),
    "Interpretation at the training of 6 July 2007: note for the file": (
        "other",
        2007,
        TRAINING,
        STAFF_ONLY,
        PUBLISHED,
        None,
        ["en"],
    ),
}
# Words that occur in running text of one language only.
FUNCTION_WORDS = {
    "en": {"the", "and", "of", "to", "with", "which", "will", "be"},
    "fr": {"les", "des", "et", "du", "aux", "une", "qui", "sur"},
    "es": {"los", "las", "del", "y", "el", "una", "que", "con"},
}


def _document(title: str) -> Document:
    return Document.objects.select_related("cycle", "event", "series").get(title_en=title)


def _words(text: str) -> str:
    return " ".join(text.split())


def _language_of(text: str) -> str:
    """The language whose function words are the most frequent in the text."""
    words = re.findall(r"\w+", text.lower())
    return max(
        FUNCTION_WORDS, key=lambda language: sum(w in FUNCTION_WORDS[language] for w in words)
    )


def _row_counts() -> dict[str, int]:
    return {
        "series": PublicationSeries.objects.count(),
        "documents": Document.objects.count(),
        "versions": LanguageVersion.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_first_run_creates_the_series_documents_files_and_publications(first_run, db):
    assert first_run["series"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert first_run["documents"] == {"created": 11, "updated": 0, "unchanged": 0}
    assert first_run["document_files"] == {"created": 10, "updated": 0, "unchanged": 0}
    # every document is published or numbered except the draft report of the seminar
    assert first_run["publications"] == {"created": 10, "updated": 0, "unchanged": 1}


def test_every_document_of_the_note_exists_as_recorded(first_run, db):
    assert Document.objects.exclude(kind="discussion_note").count() == len(EXPECTED)
    for title, (kind, year, event, visibility, status, number, languages) in EXPECTED.items():
        document = _document(title)
        assert document.kind == kind, title
        assert document.cycle.year == year, title
        found_event = (document.event.kind, document.event.title_en) if document.event else None
        assert found_event == event, title
        if event is not None:
            assert document.event.cycle.year == year, title
        assert (document.visibility, document.status) == (visibility, status), title
        assert document.series_number == number, title
        assert (document.series is not None) == (number is not None), title
        versions = sorted(document.versions.values_list("language", flat=True))
        assert versions == languages, title
        assert bool(document.external_url) == (not languages), title
        if status == PUBLISHED:
            assert document.published_at is not None, title
            assert not document.versions.exclude(status=LanguageVersion.Status.PUBLISHED).exists()


def test_seminar_materials_are_published_at_the_exact_address_of_footnote_1(first_run, db):
    materials = _document("Migration and the Environment: materials of the expert seminar")
    assert materials.external_url == FOOTNOTE_URL
    assert not materials.versions.exists()


def test_the_idm_series_continues_after_the_earlier_reports(first_run, db):
    series = PublicationSeries.objects.get(name_en="IDM Series")
    assert series.name_fr.startswith("Série") and series.name_es.startswith("Serie")
    numbered = series.documents.order_by("series_number")
    assert [(d.series_number, d.cycle.year) for d in numbered] == [(7, 2005), (8, 2006), (9, 2006)]
    # the seminar's report, still being finalized, will take the next number
    assert series.next_number == 10
    report = _document("Expert Seminar: Migration and the Environment")
    assert (report.status, report.series, report.published_at) == (DRAFT, None, None)
    version = report.versions.get()
    assert version.status == LanguageVersion.Status.DRAFT
    assert version.content_type == "application/pdf"
    assert "published as part of the IDM Series" in _words(report.summary_en)


def test_background_paper_versions_are_each_in_their_own_language(first_run, db):
    paper = _document(
        "Free Movement of Persons in Regional Integration Processes: background paper"
    )
    texts = {version.language: _words(version.text) for version in paper.versions.all()}
    for language, text in texts.items():
        assert _language_of(text) == language, text[:200]
    assert "after the issuance of this background paper" in texts["en"]
    assert "freedom of movement of persons" in texts["en"]
    french, spanish = texts["fr"], texts["es"]
    assert "La libre circulation des personnes dans les processus d'intégration régionale" in french
    assert "la CEDEAO" in french and "ALENA" in french
    assert "La libre circulación de personas en los procesos de integración regional" in spanish
    assert "TLCAN" in spanish and "movilidad intrarregional" in spanish
    assert {v.content_type for v in paper.versions.all()} == {"application/pdf"}


def test_course_outline_is_a_word_file_listing_the_topics_of_paragraph_10(first_run, db):
    outline = _document("International Migration Law: course outline").versions.get()
    assert outline.original_name.endswith(".docx")
    assert outline.content_type.endswith("wordprocessingml.document")
    text = _words(outline.text)
    for topic in (
        "Migration actors, context and terminology",
        "admission, detention and expulsion",
        "The principal international instruments related to migration",
        "migration and security",
    ):
        assert topic in text


def test_survey_summary_gives_the_counts_of_the_demo_survey(first_run, db):
    summary = _document(
        "Selection of the 2007 workshop topics: results of the survey of October/November 2006"
    )
    text = _words(summary.versions.get().text)
    results = survey_results(
        Survey.objects.get(title_en="IDM 2007: Selection of the workshop topics")
    )
    question = results.questions[0]
    scores = {question.labels[o]: int(s) for o, s in question.counted.unweighted.scores.items()}
    assert scores == {
        "Making Global Labour Mobility a Catalyst for Development": 46,
        "Free Movement of Persons in Regional Integration Processes": 40,
        "Migration and the Environment": 27,
    }
    assert "Making Global Labour Mobility a Catalyst for Development was chosen by 46" in text
    assert "Regional Integration Processes by 40 and Migration and the Environment by 27" in text
    member_states, _eligible = results.turnout.by_kind["member_state"]
    observers = results.turnout.responded - member_states
    assert (member_states, observers) == (60, 4)
    assert "Sixty Member States responded" in text and "Four observers also responded" in text


def test_visibility_public_members_only_and_staff_only_can_be_seen(first_run, db):
    seen_by = {
        "public": AnonymousUser(),
        "delegate": User.objects.get(email=DELEGATE),
        "staff": User.objects.get(email=STAFF),
    }
    titles = {
        viewer: set(
            documents_visible_to(user)
            .exclude(kind=Document.Kind.DISCUSSION_NOTE)
            .values_list("title_en", flat=True)
        )
        for viewer, user in seen_by.items()
    }
    public = {t for t, spec in EXPECTED.items() if spec[3] == PUBLIC and spec[4] == PUBLISHED}
    members = {t for t, spec in EXPECTED.items() if spec[3] == MEMBERS}
    assert titles["public"] == public
    assert titles["delegate"] == public | members
    assert titles["staff"] == set(EXPECTED)


def test_stored_files_match_their_checksums_and_the_data_gives_the_same_bytes(
    first_run, db, demo_media
):
    rows = {
        (row["document"]["title_en"], row["language"]): row for row in document_loader.file_rows()
    }
    versions = LanguageVersion.objects.select_related("document").exclude(
        document__kind=Document.Kind.DISCUSSION_NOTE
    )
    assert versions.count() == len(rows)
    for version in versions:
        with version.file.open("rb") as handle:
            stored = handle.read()
        assert hashlib.sha256(stored).hexdigest() == version.checksum
        assert len(stored) == version.size
        row = rows[(version.document.title_en, version.language)]
        assert document_loader.file_content(row["document"], row) == stored


def test_generated_pdf_carries_the_date_of_the_data(first_run, db, demo_media):
    version = _document("Mainstreaming Migration into Development Policy Agendas").versions.get()
    with version.file.open("rb") as handle:
        info = PdfReader(io.BytesIO(handle.read())).metadata
    assert info["/CreationDate"].startswith("D:20051215")
    assert info["/Title"] == "Mainstreaming Migration into Development Policy Agendas"


def test_generated_word_file_carries_the_date_of_the_data(first_run, db, demo_media):
    version = _document("International Migration Law: course outline").versions.get()
    with version.file.open("rb") as handle:
        properties = docx.Document(handle).core_properties
    assert properties.created.date().isoformat() == "2007-06-22"
    assert properties.modified == properties.created


def test_a_second_run_creates_nothing_and_writes_no_audit_entry(first_run, db, demo_media):
    before = _row_counts()
    files = sorted(path for path in demo_media.rglob("*") if path.is_file())
    counts = document_loader.load_documents()
    assert _row_counts() == before
    assert all(c["created"] == c["updated"] == 0 for c in counts.values()), counts
    assert sorted(path for path in demo_media.rglob("*") if path.is_file()) == files


def test_every_document_write_is_done_by_the_staff_login(first_run, db):
    entries = AuditEntry.objects.filter(object_type__startswith="documents.")
    assert set(entries.values_list("actor__email", flat=True)) == {STAFF}
    created = entries.filter(action="create")
    # the documents of the data files, and the Discussion Note the note loader issues
    assert created.filter(object_type="documents.document").count() == len(EXPECTED) + 1
    assert created.filter(object_type="documents.languageversion").count() == 10 + 3


def test_a_changed_description_is_put_back_with_an_audit_entry(first_run, db, demo_media):
    report = _document("Expert Seminar: Migration and the Environment")
    Document.objects.filter(pk=report.pk).update(visibility=MEMBERS, summary_fr="")
    entries = AuditEntry.objects.count()
    counts = document_loader.load_documents()
    assert counts["documents"]["updated"] == 1
    report.refresh_from_db()
    assert report.visibility == PUBLIC
    assert report.summary_fr.startswith("Un rapport complet du séminaire")
    assert AuditEntry.objects.count() == entries + 1


def test_a_number_the_series_cannot_give_stops_the_load_and_changes_nothing(first_run, db):
    report = _document("Migrants and the Host Society: Partnerships for Success")
    Document.objects.filter(pk=report.pk).update(series=None, series_number=None)
    before = _row_counts()
    with pytest.raises(DomainError, match="next number of IDM Series is 10, not 9") as error:
        document_loader.load_documents()
    assert error.value.field == "series_number"
    assert "report-2006-host-society" in error.value.message
    assert _row_counts() == before
    assert PublicationSeries.objects.get().next_number == 10


def test_published_documents_carry_the_date_of_the_data_not_the_day_of_loading(first_run, db):
    published = Document.objects.filter(status=PUBLISHED).exclude(kind="discussion_note")
    dates = {d.title_en: d.published_at.astimezone(GENEVA).date() for d in published}
    assert dates
    assert all(day.year in (2005, 2006, 2007) for day in dates.values()), dates
    wmr = next(title for title in dates if "World Migration Report" in title)
    assert dates[wmr] == datetime.date(2007, 6, 1)
