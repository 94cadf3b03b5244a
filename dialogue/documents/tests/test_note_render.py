"""The Discussion Note rendered as HTML, PDF and DOCX from its structure."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from docx import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from lxml import etree
from pypdf import PdfReader

from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory
from dialogue.documents import note_render, note_services, notes
from dialogue.documents.models import NoteDraft
from dialogue.documents.tests.test_notes import note_world

TEXT = """\
This note reports the year <script>alert(1)</script> & more.

# IDM 2007: Migration Management

## Migration and the Environment: Expert Seminar

The seminar was held in Bangkok. Its materials are [online](https://www.iom.int/seminar?a=1&b=2).

+ A part of paragraph two that has no number.

### (a) Mainstreaming Gender

- How do gender roles matter?
  - In countries of origin
- What about law?

The last paragraph.
"""


@pytest.fixture
def note():
    return notes.parse(TEXT)


@pytest.fixture
def meta():
    return notes.Meta(
        organization="International Organization for Migration",
        dialogue="International Dialogue on Migration",
        title="International Dialogue on Migration 2007",
        subtitle="Discussion Note: informal consultations of 21 June 2007",
        issued_on=datetime.date(2007, 6, 1),
        issued_on_text="1 June 2007",
        language="en",
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def test_html_is_a_standalone_document_with_numbers_headings_bullets_and_footnotes(note, meta):
    html = note_render.render_html(note, meta)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert '<span class="num">1.</span>' in html and '<span class="num">3.</span>' in html
    assert "<h2>IDM 2007: Migration Management</h2>" in html
    assert "<h4>(a) Mainstreaming Gender</h4>" in html
    assert "<li>In countries of origin</li>" in html
    assert 'href="https://www.iom.int/seminar?a=1&amp;b=2"' in html
    assert 'id="fn-1"' in html and 'href="#fn-1"' in html
    assert "International Organization for Migration" in html and "1 June 2007" in html


def test_html_shows_what_staff_write_as_text_never_as_markup(note, meta):
    html = note_render.render_html(note, meta)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in html


def test_fragment_is_a_part_of_a_page_with_its_own_ids(note, meta):
    html = note_render.render_fragment(note, meta)
    assert "<html" not in html and "<style" not in html
    assert 'id="preview-fn-1"' in html and 'href="#preview-fn-1"' in html


def test_pdf_reads_back_with_numbers_headings_bullets_footnote_header_and_page_numbers(note, meta):
    content = note_render.render_pdf(note, meta)
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    for expected in (
        "IDM 2007: Migration Management",
        "(a) Mainstreaming Gender",
        "1.",
        "2.",
        "3.",
        "How do gender roles matter?",
        "In countries of origin",
        "online: https://www.iom.int/seminar?a=1&b=2",
        "<script>alert(1)</script> & more.",
        "International Organization for Migration",
        "1 June 2007",
        f"1 / {len(reader.pages)}",
    ):
        assert expected in text, expected
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)


def _docx(content: bytes):
    return WordDocument(io.BytesIO(content))


def test_docx_has_headings_numbered_paragraphs_and_bullets(note, meta):
    document = _docx(note_render.render_docx(note, meta))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "IDM 2007: Migration Management") in paragraphs
    assert ("Heading 2", "Migration and the Environment: Expert Seminar") in paragraphs
    assert ("Heading 3", "(a) Mainstreaming Gender") in paragraphs
    numbered = [text for _style, text in paragraphs if text[:1].isdigit() and ".\t" in text]
    assert [text.split("\t")[0] for text in numbered] == ["1.", "2.", "3."]
    assert numbered[0].startswith("1.\tThis note reports the year <script>alert(1)</script>")
    assert ("Normal", "A part of paragraph two that has no number.") in paragraphs
    assert ("List Bullet", "How do gender roles matter?") in paragraphs
    assert ("List Bullet 2", "In countries of origin") in paragraphs
    header = document.sections[0].header.paragraphs[0].text
    assert "International Organization for Migration" in header and "1 June 2007" in header


def test_docx_links_are_real_word_footnotes(note, meta):
    document = _docx(note_render.render_docx(note, meta))
    part = next(
        rel.target_part
        for rel in document.part.rels.values()
        if rel.reltype == RELATIONSHIP_TYPE.FOOTNOTES
    )
    root = etree.fromstring(part.blob)
    footnotes = {
        element.get(qn("w:id")): "".join(element.itertext())
        for element in root.iter(qn("w:footnote"))
    }
    assert footnotes["1"].strip() == "online: https://www.iom.int/seminar?a=1&b=2"
    references = document.element.body.findall(".//" + qn("w:footnoteReference"))
    assert [ref.get(qn("w:id")) for ref in references] == ["1"]


def test_docx_without_links_has_no_footnotes_part(meta):
    document = _docx(note_render.render_docx(notes.parse("Just one paragraph."), meta))
    assert not any(
        rel.reltype == RELATIONSHIP_TYPE.FOOTNOTES for rel in document.part.rels.values()
    )
    assert document.paragraphs[-1].text == "1.\tJust one paragraph."


def test_render_names_each_format(note, meta):
    assert note_render.render(note, meta, "html").startswith(b"<!DOCTYPE html>")
    assert note_render.render(note, meta, "docx")[:2] == b"PK"
    with pytest.raises(ValueError):
        note_render.render(note, meta, "odt")


# --- the draft-note command ---------------------------------------------------------------


@pytest.fixture
def june(db):
    return note_world().june


@pytest.mark.parametrize("file_format", ["html", "pdf", "docx"])
def test_command_writes_the_note_drafted_from_the_data(june, tmp_path, file_format):
    output = tmp_path / f"note.{file_format}"
    call_command(
        "draft_note",
        consultation=str(june.pk),
        file_format=file_format,
        lang="fr",
        output=str(output),
        verbosity=0,
    )
    content = output.read_bytes()
    magic = {"html": b"<!DOCTYPE html>", "pdf": b"%PDF-", "docx": b"PK"}[file_format]
    assert content.startswith(magic)
    if file_format == "html":
        assert "DIM 2008" in content.decode()
    assert not NoteDraft.objects.exists()
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_command_uses_the_saved_text_when_asked(june, tmp_path, staff_user):
    draft = note_services.note_draft(actor=staff_user, consultation=june, language="en")
    note_services.note_save(actor=staff_user, draft=draft, text="Saved by staff.")
    output = tmp_path / "note.html"
    call_command(
        "draft_note",
        consultation=str(june.pk),
        file_format="html",
        output=str(output),
        saved=True,
        verbosity=0,
    )
    assert "Saved by staff." in output.read_text()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"consultation": "999999"}, "There is no consultation with id 999999."),
        ({"consultation": "abc"}, "There is no consultation with id abc."),
        ({"file_format": "odt"}, "Unknown format “odt”: use pdf, docx or html."),
        ({"lang": "de"}, "Unknown language “de”: use en, fr or es."),
        ({"saved": True}, "No text has been saved for this consultation in English."),
        ({"output": "missing-folder/note.html"}, "Cannot write"),
    ],
)
def test_command_errors_are_clear_and_leave_no_file(june, tmp_path, options, message):
    values = {
        "consultation": str(june.pk),
        "file_format": "html",
        "lang": "en",
        "output": "note.html",
        **options,
    }
    values["output"] = str(tmp_path / values["output"])
    with pytest.raises(CommandError) as caught:
        call_command("draft_note", verbosity=0, **values)
    assert message in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_command_refuses_a_consultation_with_nothing_to_report(db, tmp_path):
    lonely = ConsultationFactory(cycle=CycleFactory(year=2050), held_on=datetime.date(2050, 1, 1))
    with pytest.raises(CommandError) as caught:
        call_command(
            "draft_note",
            consultation=str(lonely.pk),
            file_format="pdf",
            output=str(tmp_path / "n.pdf"),
            verbosity=0,
        )
    assert "nothing to report" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_command_failing_to_write_leaves_the_existing_file_untouched(june, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("kept")
    with pytest.raises(CommandError) as caught:
        call_command(
            "draft_note",
            consultation=str(june.pk),
            file_format="html",
            output=str(target),
            verbosity=0,
        )
    assert f"Cannot write {target}" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_the_preview_fragment_fits_under_the_pages_own_h1():
    note = notes.parse(
        "# Section\n\nFirst paragraph.\n\n## Sub\n\nSecond [link](https://a.example)."
    )
    meta = notes.Meta(
        organization="Org",
        dialogue="Dialogue",
        title="TITLE",
        subtitle="Sub",
        issued_on=datetime.date(2007, 6, 8),
        issued_on_text="8 June 2007",
        language="en",
    )
    fragment = note_render.render_fragment(note, meta)
    assert "<h1" not in fragment
    assert '<h2 class="note-title">TITLE</h2>' in fragment
    assert "<h3>Section</h3>" in fragment and "<h4>Sub</h4>" in fragment
    standalone = note_render.render_html(note, meta)
    assert '<h1 class="note-title">TITLE</h1>' in standalone and "<h2>Section</h2>" in standalone
