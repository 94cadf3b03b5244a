"""The demo's Discussion Note for the consultations of 21 June 2007 reports every fact of
the 2007 note, read back from its PDF and its Word file."""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from docx import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from lxml import etree
from pypdf import PdfReader

from dialogue.cycles.models import GuidingQuestion
from dialogue.demo import note_loader
from dialogue.documents import note_render, notes
from dialogue.documents.models import Document, NoteDraft

FACTS = [
    # places
    "Bangkok",
    "Geneva",
    "IOM Headquarters",
    # dates
    "2 March 2007",
    "22–23 February 2007",
    "18–19 June 2007",
    "21 June 2007",
    "8–9 October 2007",
    "6 July 2007",
    "March 2006",
    "October 2005",
    "October 2006",
    "October/November 2006",
    "summer or autumn 2007",
    # numbers
    "25 experts",
    "two weeks",
    "two possible overarching themes",
    # titles
    "IDM 2007: Migration Management in the Evolving Global Economy",
    "Migration and the Environment: Expert Seminar",
    "Free Movement of Persons in Regional Integration Processes",
    "Making Global Labour Mobility a Catalyst for Development",
    "International Migration Law",
    "Labour Migration",
    "IDM 2008",
    "(a) Mainstreaming Gender into Migration Management",
    "(b) Return Migration: Challenges and Opportunities",
    # partners, donors, languages, reasons
    "Graduate Institute of International Studies (HEI)",
    "Refugee Policy Group",
    "the Government of Switzerland",
    "interpretation into English, French and Spanish",
    "due to insufficient funding",
    "only available in English",
    "all Member States and all observer States and organizations",
    "based on the survey results",
    # who issues it
    "International Organization for Migration",
    "INTERNATIONAL DIALOGUE ON MIGRATION 2007",
]


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(reader: PdfReader) -> str:
    """The text of a PDF on one line, with words broken after a hyphen at a line end
    joined again ("socio-" at the end of a line, "economic" on the next)."""
    text = "\n".join(page.extract_text() for page in reader.pages)
    return flat(re.sub(r"(\w-)\n(\w)", r"\1\2", text))


def _docx_text(content: bytes) -> str:
    document = WordDocument(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [p.text for p in document.sections[0].header.paragraphs]
    for rel in document.part.rels.values():
        if rel.reltype == RELATIONSHIP_TYPE.FOOTNOTES:
            parts.append(" ".join(etree.fromstring(rel.target_part.blob).itertext()))
    return flat(" ".join(parts))


@pytest.fixture(scope="module")
def rendered(first_run, django_db_blocker):
    """The demo's English note rendered once for the module, as PDF and DOCX text."""
    with django_db_blocker.unblock():
        consultation = note_loader.note_consultation()
        draft = NoteDraft.objects.get(consultation=consultation, language="en")
        note = notes.parse(draft.text)
        meta = notes.note_meta(consultation, "en", datetime.date(2007, 6, 1))
        pdf = note_render.render_pdf(note, meta)
        docx = note_render.render_docx(note, meta)
        questions = list(
            GuidingQuestion.objects.filter(proposal__in=consultation.proposals.all())
            .order_by("proposal__position", "position")
            .values_list("text_en", flat=True)
        )
    reader = PdfReader(io.BytesIO(pdf))
    return SimpleNamespace(
        note=note,
        pdf=pdf_text(reader),
        docx=_docx_text(docx),
        questions=questions,
    )


def test_the_demo_drafts_the_june_note_in_three_languages(first_run, db):
    consultation = note_loader.note_consultation()
    drafts = NoteDraft.objects.filter(consultation=consultation)
    assert sorted(d.language for d in drafts) == ["en", "es", "fr"]
    assert {d.status for d in drafts} == {NoteDraft.Status.ISSUED}
    assert first_run["note"]["created"] == 3


def test_the_demo_issues_the_june_note_as_a_public_document_in_three_languages(first_run, db):
    consultation = note_loader.note_consultation()
    document = NoteDraft.objects.filter(consultation=consultation).first().document
    assert document.kind == Document.Kind.DISCUSSION_NOTE
    assert (document.status, document.visibility) == ("published", "public")
    assert document.published_at.date() == note_loader.NOTE_ISSUED_ON
    versions = {v.language: v for v in document.versions.all()}
    assert sorted(versions) == ["en", "es", "fr"]
    english = flat(versions["en"].text)
    assert "8 June 2007" in english
    assert "Return Migration: Challenges and Opportunities" in english


def test_loading_the_note_again_changes_nothing(first_run, db):
    assert note_loader.load_note() == {
        "note": {"created": 0, "updated": 0, "unchanged": 3},
        "note_issued": {"created": 0, "updated": 0, "unchanged": 1},
    }


@pytest.mark.parametrize("fact", FACTS)
def test_the_pdf_reports_every_fact_of_the_2007_note(rendered, fact):
    assert fact in rendered.pdf


@pytest.mark.parametrize("fact", FACTS)
def test_the_docx_reports_every_fact_of_the_2007_note(rendered, fact):
    assert fact.replace("INTERNATIONAL DIALOGUE ON MIGRATION", "International Dialogue") in (
        rendered.docx.replace("INTERNATIONAL DIALOGUE ON MIGRATION", "International Dialogue")
    )


def test_both_formats_list_every_guiding_question_of_both_2008_themes(rendered):
    assert len(rendered.questions) == 20
    for question in rendered.questions:
        assert flat(question) in rendered.pdf
        assert flat(question) in rendered.docx


def test_the_seminar_materials_are_a_footnote_with_the_address_of_the_2007_note(rendered):
    urls = [footnote.url for footnote in rendered.note.footnotes]
    assert any("entryId=13112" in url for url in urls)
    assert "entryId=13112" in rendered.pdf.replace(" ", "")
    assert "entryId=13112" in rendered.docx
