"""Writing the member file (CSV or XLSX) that `imports.read_member_file` reads back unchanged."""

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any

from dialogue.members.imports import COLUMNS, escape_cell
from dialogue.members.models import Member

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)


@dataclass(frozen=True)
class ExportFile:
    """A member file ready to be saved or sent."""

    filename: str
    content_type: str
    content: bytes
    rows: int


def members_export_rows() -> list[dict[str, Any]]:
    """Every member, including those who left, as the member file's columns, ordered by code."""
    return list(Member.objects.order_by("code").values(*COLUMNS))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return escape_cell(str(value))


def _xlsx_text(value: Any) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # XLSX cannot hold control characters; they are dropped before escaping.
    return escape_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def write_csv(rows: list[dict[str, Any]], *, bom: bool = True) -> bytes:
    """The rows as UTF-8 CSV with a header row; the byte order mark helps Excel read accents."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_text(row.get(column)) for column in COLUMNS])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def write_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a one-sheet Excel workbook with a header row; dates are date cells."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            elif value in (None, ""):
                cells.append(None)
            else:
                cells.append(_xlsx_text(value))
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
