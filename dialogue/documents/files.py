"""What an uploaded document file is, judged by its content and never by its name.

Accepted: PDF, the Office formats DOCX, XLSX and PPTX, OpenDocument text (ODT) and
plain UTF-8 text. Everything else is refused, and so is a file whose name claims
another type than its content has (an HTML page or an SVG renamed `.pdf`, a PDF
renamed `.docx`).

The Office and OpenDocument formats are zip archives, so an archive is checked
before anything reads from it: a limited number of entries, a limited total size
once uncompressed (a zip bomb is a small file that expands to gigabytes), and no
entry named with an absolute path or `..`. Nothing here writes to disk; the
uploaded name is only ever looked at for its extension, and `clean_name` gives the
form of it that may be stored and shown.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialogue.core.errors import DomainError

MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_NAME_CHARS = 255
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Text that a browser could take for a page or a script, whatever it is named.
ACTIVE_MARKUP = re.compile(
    rb"<\s*/?\s*(?:script|html|svg|body|iframe|object|embed|meta|head|style|xml)\b|<!doctype|<\?xml",
    re.IGNORECASE,
)
# C0 controls other than tab, line feed, form feed and carriage return.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
DRIVE_NAME = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class FileType:
    """A kind of file the platform accepts: its code, MIME type and allowed extensions."""

    code: str
    content_type: str
    extensions: tuple[str, ...]
    label: object


PDF = FileType("pdf", "application/pdf", (".pdf",), gettext_lazy("PDF"))
DOCX = FileType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
    gettext_lazy("Word (DOCX)"),
)
XLSX = FileType(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
    gettext_lazy("Excel (XLSX)"),
)
PPTX = FileType(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
    gettext_lazy("PowerPoint (PPTX)"),
)
ODT = FileType(
    "odt", "application/vnd.oasis.opendocument.text", (".odt",), gettext_lazy("OpenDocument (ODT)")
)
TEXT = FileType("text", "text/plain", (".txt",), gettext_lazy("plain text"))
FILE_TYPES = (PDF, DOCX, XLSX, PPTX, ODT, TEXT)
# The folder of each Office format's parts, as named in the archive.
OFFICE_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))


class FileRefused(DomainError):
    """An uploaded file that is not accepted; the message says why."""

    def __init__(self, message: str, *, code: str = "file_refused"):
        super().__init__(message, field="file", code=code)


def accepted_extensions() -> tuple[str, ...]:
    """Every extension an uploaded file may have, for forms and help texts."""
    return tuple(extension for kind in FILE_TYPES for extension in kind.extensions)


def clean_name(name: str) -> str:
    """The uploaded name as it may be stored and shown: no folders, no control or
    direction-changing characters, at most 255 characters with its extension kept, and
    never empty, `.` or `..`.

    The result is only a label; it is never used to build a path.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    # Dots and blanks together: stripping one and then the other leaves "." of ". . .".
    name = re.sub(r"^[\s.]+|[\s.]+$", "", name)
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_CHARS]
    return name or "file"


def extension_of(name: str) -> str:
    """The lower-case extension of the uploaded name (".pdf"), or "" without one."""
    base = clean_name(name)
    stem, dot, extension = base.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def identify(content: bytes) -> FileType:
    """The type of a file by its content, or FileRefused for anything not accepted."""
    if not content:
        raise FileRefused(_("The file is empty."), code="file_empty")
    if content.startswith(PDF_MAGIC):
        return PDF
    if content.startswith(ZIP_MAGIC):
        return _identify_archive(content)
    return _identify_text(content)


def check_upload(content: bytes, name: str) -> FileType:
    """The type of an uploaded file, refused unless its name's extension matches its content."""
    kind = identify(content)
    extension = extension_of(name)
    if extension not in kind.extensions:
        raise FileRefused(
            _(
                "The file is named as “%(extension)s” but its content is %(kind)s; "
                "upload it with the extension %(expected)s."
            )
            % {
                "extension": extension or _("(no extension)"),
                "kind": kind.label,
                "expected": ", ".join(kind.extensions),
            },
            code="file_type_mismatch",
        )
    return kind


def _unsafe_entry_name(name: str) -> bool:
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or DRIVE_NAME.match(name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _identify_archive(content: bytes) -> FileType:
    not_a_document = FileRefused(
        _("The file is a zip archive but not a Word, Excel, PowerPoint or OpenDocument text file.")
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise FileRefused(
                    _("The archive has too many parts (more than %(limit)d).")
                    % {"limit": MAX_ZIP_ENTRIES},
                    code="file_too_large",
                )
            if sum(entry.file_size for entry in entries) > MAX_ZIP_UNCOMPRESSED_BYTES:
                raise FileRefused(
                    _("The file is too large once uncompressed; the limit is %(limit)d MB.")
                    % {"limit": MAX_ZIP_UNCOMPRESSED_BYTES // (1024 * 1024)},
                    code="file_too_large",
                )
            names = [entry.filename for entry in entries]
            if any(_unsafe_entry_name(name) for name in names):
                raise FileRefused(_("The archive names a part outside itself; it is refused."))
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise FileRefused(_("The file contains macros; save it without them."))
            if names and names[0] == "mimetype":
                entry = entries[0]
                if entry.file_size <= len(ODT_MIMETYPE) and (
                    archive.read(entry).strip() == ODT_MIMETYPE
                ):
                    return ODT
                raise not_a_document
            if "[Content_Types].xml" not in names:
                raise not_a_document
            found = {
                kind for prefix, kind in OFFICE_PARTS if any(n.startswith(prefix) for n in names)
            }
            if len(found) != 1:
                raise not_a_document
            return found.pop()
    except FileRefused:
        raise
    except Exception as error:
        # zipfile and zlib raise many kinds of exception on a damaged archive; to
        # whoever uploaded the file they all mean the same.
        raise not_a_document from error


def _identify_text(content: bytes) -> FileType:
    refused = FileRefused(
        _("The file is not of an accepted type (PDF, DOCX, XLSX, PPTX, ODT or plain UTF-8 text).")
    )
    if b"\x00" in content or CONTROL_BYTES.search(content):
        raise refused
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise refused from error
    if ACTIVE_MARKUP.search(content) or content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#!"):
        raise FileRefused(
            _("The file is a web page, image or script, not a document; it is refused.")
        )
    return TEXT
