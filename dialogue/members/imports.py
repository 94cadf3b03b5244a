"""The member file: the CSV and XLSX format of `import-members` and `export-members`.

This module only handles the format: bytes in, rows with their line numbers out,
and cell escaping for the way back. It does not touch the database; the membership
rules are applied by `services.members_import`.

The format: a header row naming the columns (any order; `kind` and `code` are
required), then one row per member. Dates are `YYYY-MM-DD` (or date cells in
XLSX). A cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage
return is written with a leading `'` so that spreadsheets do not run it as a
formula; reading removes exactly that quote again.

Hostile files are refused before they cost much: a size limit, an XLSX that
would expand to more than 50 MB or has too many entries, a file that only
pretends to be XLSX, control characters, overlong cells and too many rows.
Only the first sheet of a workbook, and its first 64 columns, are read.
"""

import csv
import datetime
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue.core.errors import DomainError
from dialogue.members.models import Member, Region

COLUMNS = (
    "kind",
    "code",
    "name_en",
    "name_fr",
    "name_es",
    "official_name_en",
    "official_name_fr",
    "official_name_es",
    "region",
    "joined",
    "status",
    "status_since",
    "mission_address",
    "mission_phone",
    "mission_email",
    "mission_website",
)
REQUIRED_COLUMNS = ("kind", "code")
DATE_COLUMNS = ("joined", "status_since")

MAX_ROWS = 5000
# Blank rows are skipped, but only so many: an XLSX sheet can declare a row far
# down the sheet and have every row before it produced as empty.
MAX_BLANK_ROWS = 1000
MAX_COLUMNS = 64
# Limit for a cell without a model limit of its own (the mission address).
MAX_TEXT_CHARS = 2000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 1000
# A full member file has about 80,000 cells; formatted empty cells add some.
MAX_XLSX_CELLS = 200_000
MAX_XLSX_ROW_CELLS = 1024
SHEET_PATH = re.compile(r"^xl/worksheets/[^/]+\.xml$")
SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ImportIssue(NamedTuple):
    """One problem in a member file: its line (None for the whole file), column and message."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.line is not None and self.field:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.field,
                "message": self.message,
            }
        if self.line is not None:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class ImportErrors(DomainError):
    """A member file that cannot be imported; `issues` lists every problem found."""

    def __init__(self, issues: Iterable[ImportIssue]):
        self.issues = list(issues)
        count = len(self.issues)
        super().__init__(
            ngettext(
                "The file has %(count)d problem; nothing was imported.",
                "The file has %(count)d problems; nothing was imported.",
                count,
            )
            % {"count": count},
            code="import_invalid",
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    created: int
    updated: int
    unchanged: int
    dry_run: bool = False


@dataclass
class MemberRow:
    """One data row: the values of its valid cells, by column, and the columns refused."""

    line: int
    data: dict[str, Any]
    invalid: set[str] = field(default_factory=set)


@dataclass
class MemberFile:
    """A member file read into rows; `issues` are the cell problems found while reading."""

    file_format: str
    columns: tuple[str, ...]
    rows: list[MemberRow]
    issues: list[ImportIssue]


class _Formula:
    """Marks an XLSX cell that holds a formula instead of a value."""


FORMULA = _Formula()


def escape_cell(value: str) -> str:
    """`value` with a leading `'` if a spreadsheet could take it for a formula."""
    if value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo `escape_cell`: drop exactly the one quote it adds, and nothing else."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _fail(message: str, line: int | None = None, column: str = "") -> ImportErrors:
    return ImportErrors([ImportIssue(line, column, message)])


def read_member_file(content: bytes, filename: str = "") -> MemberFile:
    """Read a member file (CSV or XLSX, told apart by content) into rows.

    Raises ImportErrors for a file that cannot be read at all (too big, not
    UTF-8, broken header, too many rows); problems in single cells are
    collected in `MemberFile.issues` so that every one can be reported.
    """
    limit = getattr(settings, "MEMBER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(content) > limit:
        raise _fail(
            _("The file is too large (%(size)d bytes); the limit is %(limit)d bytes.")
            % {"size": len(content), "limit": limit}
        )
    if not content.strip():
        raise _fail(_("The file is empty."))
    if content.startswith(ZIP_MAGIC):
        return _records_to_file("xlsx", _xlsx_records(content))
    if content.startswith(OLE_MAGIC):
        raise _fail(_("Old Excel files (.xls) are not supported; save the file as .xlsx or CSV."))
    if filename.lower().endswith(XLSX_EXTENSIONS):
        raise _fail(_("The file is named like an Excel workbook but is not one."))
    return _records_to_file("csv", _csv_records(content))


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise _fail(
            _("The file is not UTF-8 text; save it as “CSV UTF-8” and try again."), line=line
        ) from error


def _csv_records(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(content)
    header_line = text.split("\n", 1)[0][:4096]
    try:
        delimiter = csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _fail(
                _("The file is not valid CSV (%(reason)s).") % {"reason": error},
                line=reader.line_num,
            ) from error
        yield previous + 1, record
        previous = reader.line_num


def _xlsx_records(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    too_large = _fail(
        _("The workbook is too large once uncompressed; the limit is %(limit)d MB.")
        % {"limit": MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)}
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if (
                len(entries) > MAX_XLSX_ENTRIES
                or sum(entry.file_size for entry in entries) > MAX_XLSX_UNCOMPRESSED_BYTES
            ):
                raise too_large
            if not _xlsx_cell_count_acceptable(archive, entries):
                raise _fail(_("The workbook has far more cells than a member file can have."))
    except ImportErrors:
        raise
    except Exception as error:
        # zipfile and zlib raise many kinds of exception on a damaged archive
        # (and openpyxl below on a damaged workbook); to whoever uploaded the
        # file they all mean the same.
        raise _fail(_("The file is not a valid Excel workbook (.xlsx).")) from error
    try:
        records = list(_xlsx_cells(content))
    except ImportErrors:
        raise
    except Exception as error:
        raise _fail(_("The file is not a valid Excel workbook (.xlsx).")) from error
    yield from records


def _xlsx_cell_count_acceptable(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> bool:
    """False when the sheets hold far more cells than a member file can.

    openpyxl builds each row, and the shared strings, in memory, so a small
    compressed file with millions of cells would cost gigabytes; counting the
    XML tags first is cheap (the entries are already known to be small enough).
    """
    cells = strings = 0
    for entry in entries:
        name = entry.filename.lower()
        if name == "xl/sharedstrings.xml":
            strings += len(SHARED_STRING_TAG.findall(archive.read(entry)))
            if strings > MAX_XLSX_CELLS:
                return False
        elif SHEET_PATH.match(name):
            in_row = 0
            for match in SHEET_TAG.finditer(archive.read(entry)):
                if match.group(1) == b"row":
                    in_row = 0
                    continue
                cells += 1
                in_row += 1
                if in_row > MAX_XLSX_ROW_CELLS or cells > MAX_XLSX_CELLS:
                    return False
    return True


def _xlsx_cells(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        if not workbook.worksheets:
            raise _fail(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        for line, row in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
            if line > 1 + MAX_ROWS + MAX_BLANK_ROWS:
                raise _too_many_rows()
            yield line, [_xlsx_value(cell) for cell in row]
    finally:
        workbook.close()


def _xlsx_value(cell) -> Any:
    value = cell.value
    if cell.data_type == "f":
        return FORMULA
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _too_many_rows() -> ImportErrors:
    return _fail(
        _("The file has more than %(limit)d rows; split it into smaller files.")
        % {"limit": MAX_ROWS}
    )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(line: int, cells: list[Any]) -> tuple[str, ...]:
    names = tuple(
        "" if _is_blank(cell) or cell is FORMULA else str(cell).strip().lower() for cell in cells
    )
    issues = []
    seen: set[str] = set()
    for name in names:
        if not name:
            continue
        if name in seen:
            issues.append(ImportIssue(line, name, _("This column appears more than once.")))
        elif name not in COLUMNS:
            issues.append(
                ImportIssue(
                    line,
                    name,
                    _("'%(column)s' is not a column of the member file (use: %(columns)s).")
                    % {"column": name, "columns": ", ".join(COLUMNS)},
                )
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            issues.append(ImportIssue(line, name, _("The required column is missing.")))
    if issues:
        raise ImportErrors(issues)
    return names


def _records_to_file(file_format: str, records: Iterator[tuple[int, list[Any]]]) -> MemberFile:
    first = next(records, None)
    if first is None or all(_is_blank(cell) for cell in first[1]):
        raise _fail(_("The first line must be the header row naming the columns."), line=1)
    header = _header(*first)
    rows: list[MemberRow] = []
    issues: list[ImportIssue] = []
    scanned = 0
    for line, cells in records:
        scanned += 1
        if scanned > MAX_ROWS + MAX_BLANK_ROWS:
            raise _too_many_rows()
        if all(_is_blank(cell) for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows()
        row = MemberRow(line=line, data={})
        for position, cell in enumerate(cells):
            column = header[position] if position < len(header) else ""
            if not column:
                if not _is_blank(cell):
                    issues.append(
                        ImportIssue(
                            line,
                            "",
                            _("Column %(number)d has a value but no name in the header row.")
                            % {"number": position + 1},
                        )
                    )
                continue
            try:
                row.data[column] = _cell(column, cell)
            except DomainError as error:
                issues.append(ImportIssue(line, column, error.message))
                row.invalid.add(column)
        for column in header:
            if column and column not in row.data and column not in row.invalid:
                row.data[column] = None if column in DATE_COLUMNS else ""
        rows.append(row)
    return MemberFile(file_format=file_format, columns=header, rows=rows, issues=issues)


def _max_length(column: str) -> int:
    return Member._meta.get_field(column).max_length or MAX_TEXT_CHARS


def _cell(column: str, value: Any) -> Any:
    """The value of one cell, converted for `column`; a DomainError if it cannot be."""
    if value is FORMULA:
        raise DomainError(_("Formulas are not accepted; enter the value itself."))
    if isinstance(value, datetime.date):
        if column in DATE_COLUMNS:
            return value
        value = value.isoformat()
    value = str(value)
    control = CONTROL_CHARACTERS.search(value)
    if control:
        if control.group() == "\x00":
            raise DomainError(_("The cell contains a NUL character, which is not allowed."))
        raise DomainError(
            _("The cell contains a control character (U+%(code)04X), which is not allowed.")
            % {"code": ord(control.group())}
        )
    value = unescape_cell(value.strip())
    limit = _max_length(column)
    if len(value) > limit:
        raise DomainError(
            _("The cell is too long: %(length)d characters where at most %(limit)d are allowed.")
            % {"length": len(value), "limit": limit}
        )
    if column in DATE_COLUMNS:
        return _date(value)
    if column == "code":
        return value.upper()
    if column in ("kind", "status", "region"):
        return _choice(value, column)
    return value


def _date(value: str) -> datetime.date | None:
    if not value:
        return None
    try:
        if DATE_PATTERN.match(value):
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    raise DomainError(
        _("'%(value)s' is not a date in the form YYYY-MM-DD.") % {"value": value[:40]}
    )


def _choice(value: str, column: str) -> str:
    """A choice's stored value from its value or English label, ignoring case."""
    return _choice_names(column).get(value.casefold(), value)


@cache
def _choice_names(column: str) -> dict[str, str]:
    choices = {"kind": Member.Kind, "status": Member.Status, "region": Region}[column].choices
    names = {}
    with translation.override("en"):
        for stored, label in choices:
            names[stored.casefold()] = stored
            names[str(label).casefold()] = stored
    return names
