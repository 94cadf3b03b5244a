"""The text of a document file, for search: from PDF, DOCX and plain text.

Extraction never fails an upload: a file whose text cannot be read (damaged,
encrypted, or of another type) simply has none. The text is capped, and NUL
characters are removed because PostgreSQL refuses them in a text column.
"""

import io
import logging
import warnings
import zipfile

MAX_TEXT_CHARS = 2_000_000
MAX_PDF_PAGES = 2_000
# python-docx parses the main part into memory at once; a larger one is not read.
MAX_DOCX_PART_BYTES = 50 * 1024 * 1024

logger = logging.getLogger(__name__)


def extract(content: bytes, file_type: str) -> str:
    """The searchable text of a file of the given type code ("pdf", "docx", "text"), or ""."""
    readers = {"pdf": _pdf_text, "docx": _docx_text, "text": _plain_text}
    reader = readers.get(file_type)
    if reader is None:
        return ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = reader(content)
    except Exception:
        # A damaged or hostile file has no searchable text; the upload itself stands.
        logger.warning("Text could not be extracted from a %s file.", file_type, exc_info=True)
        return ""
    return _tidy(text)


def _tidy(text: str) -> str:
    return text.replace("\x00", "")[:MAX_TEXT_CHARS].strip()


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted:
        return ""
    parts: list[str] = []
    length = 0
    for index, page in enumerate(reader.pages):
        if index >= MAX_PDF_PAGES or length >= MAX_TEXT_CHARS:
            break
        try:
            text = page.extract_text() or ""
        except Exception:
            # One unreadable page does not hide the text of the others.
            logger.info("A PDF page's text could not be extracted.", exc_info=True)
            continue
        parts.append(text)
        length += len(text) + 1
    return "\n".join(parts)


def _docx_text(content: bytes) -> str:
    import docx

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if any(
            entry.filename.startswith("word/") and entry.file_size > MAX_DOCX_PART_BYTES
            for entry in archive.infolist()
        ):
            return ""
    document = docx.Document(io.BytesIO(content))
    parts: list[str] = []
    length = 0
    for paragraph in document.paragraphs:
        parts.append(paragraph.text)
        length += len(paragraph.text) + 1
        if length >= MAX_TEXT_CHARS:
            return "\n".join(parts)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
                length += len(cell.text) + 1
                if length >= MAX_TEXT_CHARS:
                    return "\n".join(parts)
    return "\n".join(parts)


def _plain_text(content: bytes) -> str:
    return content[: MAX_TEXT_CHARS * 4].decode("utf-8-sig", errors="ignore")
