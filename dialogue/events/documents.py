"""Files about an event's participants: the list as CSV or XLSX, the sign-in sheet and the
badges as PDF.

The PDFs are Django templates rendered to HTML, then laid out by WeasyPrint with the
fonts installed on the server; nothing is fetched from outside. Each download is noted
in the audit trail, since the files hold personal data.
"""

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.events import participants
from dialogue.events.models import Event
from dialogue.events.selectors import dates_text
from dialogue.members.imports import escape_cell

PDF = "application/pdf"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sign-in-sheet": PDF,
    "badges": PDF,
}
FORMATS = tuple(CONTENT_TYPES)
# Empty lines at the end of a sign-in sheet, for people who came without registering.
BLANK_SIGN_IN_LINES = 5


@dataclass(frozen=True)
class ParticipantsFile:
    """A participants' file ready to be sent."""

    filename: str
    content_type: str
    content: bytes
    rows: int


def _header() -> list[str]:
    return [str(label) for _key, label in participants.EXPORT_COLUMNS]


def write_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as UTF-8 CSV with a header row; cells a spreadsheet could run are escaped."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for row in rows:
        writer.writerow([escape_cell(str(row[key])) for key, _label in participants.EXPORT_COLUMNS])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a one-sheet workbook with a bold header row; every cell is text."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("participants")[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label in _header():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                escape_cell(ILLEGAL_CHARACTERS_RE.sub("", str(row[key]))) or None
                for key, _label in participants.EXPORT_COLUMNS
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"External resources are not loaded in participants' documents: {url}")


def render_pdf(html: str) -> bytes:
    """HTML laid out as PDF by WeasyPrint, with no resource fetched from anywhere."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _document_context(event: Event, registrations) -> dict[str, Any]:
    return {
        "event": event,
        "dates": dates_text(event),
        "registrations": registrations,
        "dialogue_name": settings.DIALOGUE_NAME,
        "organization_name": settings.ORGANIZATION_NAME,
    }


def sign_in_sheet_html(event: Event, registrations=None) -> str:
    """The sign-in sheet of the participants holding a place, as HTML ready for print."""
    if registrations is None:
        registrations = list(participants.participants_with_a_place(event))
    context = _document_context(event, registrations)
    context["blank_lines"] = range(BLANK_SIGN_IN_LINES)
    return render_to_string("events/pdf/sign_in_sheet.html", context)


def badges_html(event: Event, registrations=None) -> str:
    """One badge for each participant holding a place, as HTML ready for print."""
    if registrations is None:
        registrations = list(participants.participants_with_a_place(event))
    return render_to_string("events/pdf/badges.html", _document_context(event, registrations))


def participants_file(*, actor, event: Event, file_format: str) -> ParticipantsFile:
    """An event's participants as a file for the secretariat, noted in the audit trail.

    "csv" and "xlsx" list every registration with its status; "sign-in-sheet" and
    "badges" are PDFs of the participants holding a place.
    """
    require_staff(actor)
    if file_format not in FORMATS:
        raise DomainError(
            _("'%(format)s' is not a participants' file (use one of: %(choices)s).")
            % {"format": file_format[:20], "choices": ", ".join(FORMATS)},
            field="format",
        )
    today = clock.today().isoformat()
    if file_format in ("csv", "xlsx"):
        rows = participants.participants_export_rows(event)
        content = write_csv(rows) if file_format == "csv" else write_xlsx(rows)
        count = len(rows)
        filename = f"event-{event.pk}-participants-{today}.{file_format}"
    else:
        registrations = list(participants.participants_with_a_place(event))
        render = sign_in_sheet_html if file_format == "sign-in-sheet" else badges_html
        content = render_pdf(render(event, registrations))
        count = len(registrations)
        filename = f"event-{event.pk}-{file_format}-{today}.pdf"
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=event,
        note=f"participants exported as {file_format}: {count} rows",
    )
    return ParticipantsFile(
        filename=filename, content_type=CONTENT_TYPES[file_format], content=content, rows=count
    )
