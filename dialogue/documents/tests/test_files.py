import io
import zipfile

import docx
import openpyxl
import pytest

from dialogue.documents import files, text

PDF_WORD = "Remittances"
DOCX_WORD = "Circularity"


def make_pdf(words: str = f"{PDF_WORD} and labour mobility") -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{words}</p>").write_pdf()


def make_docx(words: str = f"{DOCX_WORD} of migration") -> bytes:
    document = docx.Document()
    document.add_paragraph(words)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Pledges"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_pptx() -> bytes:
    return make_zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})


def make_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), files.ODT_MIMETYPE, compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


def make_zip_bomb() -> bytes:
    """A small .docx-shaped archive that expands to more than 200 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(201):
                part.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [
        (make_pdf, "report.pdf", files.PDF),
        (make_docx, "note.docx", files.DOCX),
        (make_xlsx, "budget.xlsx", files.XLSX),
        (make_pptx, "slides.PPTX", files.PPTX),
        (make_odt, "paper.odt", files.ODT),
        (lambda: b"Dialogue sur la migration\n", "notes.txt", files.TEXT),
    ],
)
def test_accepted_files_are_identified_by_content(make, name, expected):
    assert files.check_upload(make(), name) == expected


def test_zip_bomb_is_small_but_refused_before_expanding():
    bomb = make_zip_bomb()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(files.FileRefused, match="too large once uncompressed") as refused:
        files.check_upload(bomb, "report.docx")
    assert refused.value.field == "file"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "report.pdf"),
        (b"<html><body onload=alert(1)>", "report.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "report.pdf"),
        (b'<?xml version="1.0"?><svg/>', "image.txt"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt"),
        (b"Some text\x00with a NUL", "notes.txt"),
        (b"text with an escape \x1b[31m", "notes.txt"),
        ("caf\u00e9".encode("latin-1"), "notes.txt"),
        ("UTF-16 text".encode("utf-16"), "notes.txt"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "report.pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old word file", "report.docx"),
    ],
)
def test_active_or_unknown_content_is_refused_whatever_its_name(content, name):
    with pytest.raises(files.FileRefused):
        files.check_upload(content, name)


def test_empty_file_is_refused():
    with pytest.raises(files.FileRefused, match="empty"):
        files.check_upload(b"", "report.pdf")


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (make_pdf, "report.docx"),
        (make_docx, "report.pdf"),
        (make_xlsx, "report.docx"),
        (make_docx, "report"),
        (make_pdf, "report.pdf.html"),
        (make_pdf, "report.pdf%00.html"),
        (lambda: b"plain words", "report.pdf"),
    ],
)
def test_name_must_claim_the_type_the_content_has(make, name):
    with pytest.raises(files.FileRefused, match="named as") as refused:
        files.check_upload(make(), name)
    assert refused.value.code == "file_type_mismatch"


@pytest.mark.parametrize(
    "entry", ["../x", "word/../../x", "/etc/passwd", "C:/windows/x", "..\\..\\settings.py"]
)
def test_archive_with_a_part_outside_itself_is_refused(entry):
    content = make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"", entry: b""})
    with pytest.raises(files.FileRefused, match="outside itself"):
        files.check_upload(content, "report.docx")


def test_archive_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_ZIP_ENTRIES", 5)
    parts = {f"word/part{i}.xml": b"" for i in range(6)}
    content = make_zip({"[Content_Types].xml": b"<Types/>", **parts})
    with pytest.raises(files.FileRefused, match="too many parts"):
        files.check_upload(content, "report.docx")


@pytest.mark.parametrize(
    "entries",
    [
        {"readme.txt": b"just a zip"},
        {"word/document.xml": b"<w/>"},
        {"[Content_Types].xml": b"<Types/>", "word/a.xml": b"", "xl/b.xml": b""},
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""},
    ],
)
def test_zip_that_is_not_an_accepted_document_is_refused(entries):
    with pytest.raises(files.FileRefused, match="zip archive"):
        files.identify(make_zip(entries))


def test_damaged_zip_is_refused():
    with pytest.raises(files.FileRefused, match="zip archive"):
        files.identify(make_docx()[:200])


def test_document_with_macros_is_refused():
    content = make_zip(
        {"[Content_Types].xml": b"<Types/>", "word/vbaProject.bin": b"macro", "word/d.xml": b""}
    )
    with pytest.raises(files.FileRefused, match="macros"):
        files.check_upload(content, "report.docx")


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../settings.py", "settings.py"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("a.pdf\x00.html", "a.pdf.html"),
        ("", "file"),
        ("..", "file"),
    ],
)
def test_clean_name_keeps_a_label_without_folders_or_hidden_characters(name, cleaned):
    assert files.clean_name(name) == cleaned


@pytest.mark.parametrize(
    ("name", "cleaned"), [(". . .", "file"), (". .. .", "file"), (". .x. .", "x")]
)
def test_clean_name_strips_dots_and_blanks_together_and_is_never_a_dot(name, cleaned):
    assert files.clean_name(name) == cleaned


def test_clean_name_shortens_a_long_name_and_keeps_its_extension():
    cleaned = files.clean_name("x" * 1000 + ".pdf")
    assert len(cleaned) == files.MAX_NAME_CHARS
    assert cleaned.endswith(".pdf")


def test_text_is_extracted_from_pdf_and_docx():
    assert PDF_WORD in text.extract(make_pdf(), "pdf")
    assert DOCX_WORD in text.extract(make_docx(), "docx")
    assert text.extract("Diálogo\x00".encode(), "text") == "Diálogo"


def test_text_extraction_of_a_damaged_file_gives_no_text():
    assert text.extract(b"%PDF-1.7 not really a pdf", "pdf") == ""
    assert text.extract(b"PK\x03\x04 not really a docx", "docx") == ""
    assert text.extract(make_xlsx(), "xlsx") == ""


def test_text_extraction_is_capped(monkeypatch):
    monkeypatch.setattr(text, "MAX_TEXT_CHARS", 10)
    assert text.extract(b"a" * 100, "text") == "a" * 10
