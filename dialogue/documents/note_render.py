"""The Discussion Note rendered from its structure (`notes.Note`) as HTML, PDF and DOCX.

Everything staff write is text: the HTML is escaped by the template engine, the PDF is
made from that same escaped HTML, and the DOCX receives plain runs. Links become
footnotes in every format: a numbered note with a back link in HTML, a `float: footnote`
in the PDF (WeasyPrint puts it at the foot of its page) and a real Word footnote, in the
document's footnotes part, in the DOCX.
"""

import io
from pathlib import Path

from django.template.loader import render_to_string
from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from lxml import etree

from dialogue.documents.notes import Bullets, Heading, Inline, Link, Meta, Note, Paragraph

FOOTNOTES_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
)
FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
}


# One stylesheet for the note: linked by the staff pages, embedded in the standalone note.
NOTE_STYLES = Path(__file__).resolve().parent / "static" / "documents" / "note.css"


def _context(
    note: Note, meta: Meta, *, print_: bool = False, prefix: str = "", top: int = 1
) -> dict:
    """What the templates need; `top` is the heading level of the note's title (2 when the
    note is shown inside a page that has its own h1), its headings following below it."""
    levels = {"title": top, "section": top + 1, "sub": top + 2, "minor": top + 3}
    return {
        "note": note,
        "meta": meta,
        "print": print_,
        "prefix": prefix,
        "h": levels,
        "styles": NOTE_STYLES.read_text(encoding="utf-8"),
    }


def render_html(note: Note, meta: Meta) -> str:
    """The note as a complete, standalone HTML document (styles included)."""
    return render_to_string("documents/note/document.html", _context(note, meta))


def render_fragment(note: Note, meta: Meta, *, prefix: str = "preview-") -> str:
    """The note as an HTML fragment for a page (the staff preview), its title an h2 under
    the page's own h1; ids start with `prefix`."""
    return render_to_string("documents/note/body.html", _context(note, meta, prefix=prefix, top=2))


def render_pdf(note: Note, meta: Meta) -> bytes:
    """The note as an A4 PDF: numbers in the margin, footnotes at the foot of their page,
    the organization and the date of issue in the page header, page numbers below."""
    from weasyprint import HTML

    html = render_to_string("documents/note/document.html", _context(note, meta, print_=True))
    return HTML(string=html, base_url=None).write_pdf()


# --- DOCX --------------------------------------------------------------------------------


class _Footnotes:
    """The footnotes part of a Word document, created on first use."""

    def __init__(self, document) -> None:
        self.document = document
        self.root = None

    def _ensure(self):
        if self.root is not None:
            return self.root
        self.root = parse_xml(
            f"<w:footnotes {nsdecls('w')}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            "</w:footnote>"
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            "<w:continuationSeparator/></w:r></w:p></w:footnote>"
            "</w:footnotes>"
        )
        return self.root

    def add(self, number: int, text: str) -> None:
        root = self._ensure()
        footnote = parse_xml(
            f'<w:footnote {nsdecls("w")} w:id="{number}"><w:p>'
            '<w:pPr><w:spacing w:after="0"/></w:pPr>'
            '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
            "</w:p></w:footnote>"
        )
        run = OxmlElement("w:r")
        properties = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "18")
        properties.append(size)
        run.append(properties)
        text_element = OxmlElement("w:t")
        text_element.set(qn("xml:space"), "preserve")
        text_element.text = " " + text
        run.append(text_element)
        footnote.find(qn("w:p")).append(run)
        root.append(footnote)

    def attach(self) -> None:
        if self.root is None:
            return
        document_part = self.document.part
        blob = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
        part = Part(
            PackURI("/word/footnotes.xml"), FOOTNOTES_CONTENT_TYPE, blob, document_part.package
        )
        document_part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)


def _reference(paragraph, number: int) -> None:
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    align = OxmlElement("w:vertAlign")
    align.set(qn("w:val"), "superscript")
    properties.append(align)
    run.append(properties)
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(number))
    run.append(reference)
    paragraph._p.append(run)


def _runs(paragraph, parts: list[Inline], footnotes: _Footnotes) -> None:
    for part in parts:
        if isinstance(part, Link):
            paragraph.add_run(part.label)
            footnotes.add(part.number, f"{part.label}: {part.url}")
            _reference(paragraph, part.number)
        else:
            paragraph.add_run(part.text)


def _page_number(paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def render_docx(note: Note, meta: Meta) -> bytes:
    """The note as a Word document: title block, headings, numbered paragraphs with a
    hanging number, bullets (two levels), real footnotes, organization and date in the
    page header and the page number in the footer."""
    document = WordDocument()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(2.5)
    normal = document.styles["Normal"]
    normal.font.name = "DejaVu Serif"
    normal.font.size = Pt(10.5)
    header = section.header.paragraphs[0]
    header.text = f"{meta.organization}\t\t{meta.issued_on_text}"
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)

    for text, style in (
        (meta.organization, None),
        (meta.title.upper(), "Title"),
        (meta.subtitle, "Subtitle"),
        (meta.issued_on_text, None),
    ):
        paragraph = document.add_paragraph(text, style=style)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    footnotes = _Footnotes(document)
    for block in note.blocks:
        if isinstance(block, Heading):
            paragraph = document.add_heading("", level=block.level)
            _runs(paragraph, block.parts, footnotes)
        elif isinstance(block, Paragraph):
            paragraph = document.add_paragraph()
            layout = paragraph.paragraph_format
            layout.left_indent = Cm(1.2)
            layout.first_line_indent = Cm(-1.2) if block.number is not None else Cm(0)
            layout.tab_stops.add_tab_stop(Cm(1.2))
            if block.number is not None:
                paragraph.add_run(f"{block.number}.\t")
            _runs(paragraph, block.parts, footnotes)
        elif isinstance(block, Bullets):
            for item in block.items:
                paragraph = document.add_paragraph(style="List Bullet")
                _runs(paragraph, item.parts, footnotes)
                for child in item.children:
                    sub = document.add_paragraph(style="List Bullet 2")
                    _runs(sub, child, footnotes)
    footnotes.attach()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render(note: Note, meta: Meta, file_format: str) -> bytes:
    """The note in `file_format` ("html", "pdf" or "docx") as bytes."""
    if file_format == "html":
        return render_html(note, meta).encode("utf-8")
    if file_format == "pdf":
        return render_pdf(note, meta)
    if file_format == "docx":
        return render_docx(note, meta)
    raise ValueError(file_format)
