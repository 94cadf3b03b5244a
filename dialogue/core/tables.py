"""Tables written as CSV or XLSX files: the shared writer of the exports.

Every text cell a spreadsheet could take for a formula (starting with = + - @, a tab or
a carriage return) is written with a leading quote.
"""

import csv
import datetime
import decimal
import io
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from dialogue.core.errors import DomainError
from dialogue.members.imports import escape_cell

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": CSV, "xlsx": XLSX}
FORMATS = tuple(CONTENT_TYPES)
# Sheet names in a workbook are limited to 31 characters and may not hold these.
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


@dataclass(frozen=True)
class ExportFile:
    """A file ready to be saved or sent: its name, type, bytes and number of data rows."""

    filename: str
    content_type: str
    content: bytes
    rows: int


@dataclass(frozen=True)
class Table:
    """A titled table: a header row and data rows of text, numbers, dates or None."""

    title: str
    header: list[str]
    rows: list[list[Any]]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    return escape_cell(str(value))


def table_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with its header row, a byte order mark so that Excel reads
    accents, and every formula-like text cell escaped."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(label) for label in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique worksheet name for `title` (at most 31 characters)."""
    base = title.translate(SHEET_NAME_FORBIDDEN).strip().strip("'")[:31] or "sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one workbook, one sheet each, with a bold frozen header row.

    Numbers are number cells (amounts with two decimals), dates are date cells, and
    text is cleaned of characters a workbook cannot hold and escaped like the CSV.
    """
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        sheet.freeze_panes = "A2"
        header = []
        for label in table.header:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(label)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells: list[Any] = []
            for value in row:
                if value is None or value == "":
                    cells.append(None)
                elif isinstance(value, bool):
                    cells.append(_("Yes") if value else _("No"))
                elif isinstance(value, decimal.Decimal):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "#,##0.00"
                    cells.append(cell)
                elif isinstance(value, int | float):
                    cells.append(value)
                elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                else:
                    cells.append(escape_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
            sheet.append(cells)
    if not tables:
        workbook.create_sheet("sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check_format(file_format: str) -> None:
    """Refuse (DomainError on "format") anything but "csv" or "xlsx"."""
    if file_format not in FORMATS:
        raise DomainError(
            _("'%(format)s' is not an export format (use one of: %(choices)s).")
            % {"format": str(file_format)[:20], "choices": ", ".join(FORMATS)},
            field="format",
        )


def utc_text(value: datetime.datetime | None) -> str:
    """A moment as "YYYY-MM-DD HH:MM:SS" in UTC; "" for None."""
    if value is None:
        return ""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def geneva_text(value: datetime.datetime | None) -> str:
    """A moment as "YYYY-MM-DD HH:MM:SS" in Geneva time (where the meetings take place)."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M:%S")
