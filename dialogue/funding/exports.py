"""The funding of the activities as CSV or XLSX files for the secretariat.

Three tables, built from the same figures as the funding overview (`selectors.coverage`
at the rates valid on one date, in the reporting currency):

- "coverage": per activity, its budget, pledged, received, gap and whether it is covered;
- "budget": every budget line with its amount in its own currency and converted,
  the pledges earmarked for it and its gap;
- "pledges": every pledge or contribution with its donor, currency, amount, converted
  amount and status (pledged, received or withdrawn; withdrawn ones count for nothing).

A CSV file holds one table; an XLSX workbook holds the three, one sheet each. An
amount that cannot be converted for lack of an exchange rate is left empty and the
missing currency is named. Each export is noted in the audit trail.
"""

import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.core.tables import (
    CONTENT_TYPES,
    ExportFile,
    Table,
    check_format,
    table_csv,
    tables_xlsx,
)
from dialogue.events.models import Event
from dialogue.funding import selectors
from dialogue.funding.models import BudgetLine, ExchangeRate, Pledge

TABLES = ("coverage", "budget", "pledges")


def funding_events(*, cycle=None, include_cancelled: bool = False):
    """The activities the funding overview shows: of one cycle or all, cancelled ones
    only if asked, with their cycle and pledges loaded."""
    events = Event.objects.select_related("cycle").prefetch_related(
        Prefetch(
            "pledges",
            queryset=Pledge.objects.select_related(
                "donor__member", "donor__organization", "budget_line"
            ).order_by("pledged_on", "id"),
        ),
    )
    if cycle is not None:
        events = events.filter(cycle=cycle)
    if not include_cancelled:
        events = events.exclude(status=Event.Status.CANCELLED)
    return events


def _line_label(line: BudgetLine | None) -> str:
    if line is None:
        return ""
    label = line.get_kind_display()
    if line.language:
        label = f"{label} ({line.get_language_display()})"
    if line.description:
        label = f"{label}: {line.description}"
    return label


def _donor_kind(pledge: Pledge) -> str:
    donor = pledge.donor
    if donor.member_id:
        return donor.member.get_kind_display()
    return donor.organization.get_kind_display()


def funding_tables(events, on: datetime.date | None = None) -> list[Table]:
    """The coverage, budget-line and pledge tables of `events`, largest gap first, at the
    rates valid on `on` (default today); the converted figures add up to the coverage."""
    on = on or clock.today()
    currency = selectors.reporting_currency()
    rates = list(ExchangeRate.objects.all())
    overview = selectors.funding_overview(list(events), on)

    def converted(amount, code) -> Any:
        try:
            return selectors.convert(amount, code, on, rates)
        except selectors.MissingRate:
            return None

    coverage_rows, line_rows, pledge_rows = [], [], []
    for event, coverage in overview:
        title = event.title
        coverage_rows.append(
            [
                event.pk,
                title,
                event.cycle.name,
                event.get_status_display(),
                event.contingent_on_funding,
                coverage.budget,
                coverage.pledged,
                coverage.received,
                coverage.gap,
                coverage.covered,
                ", ".join(coverage.missing_rates),
            ]
        )
        for line_coverage in coverage.lines:
            line = line_coverage.line
            line_rows.append(
                [
                    event.pk,
                    title,
                    line.get_kind_display(),
                    line.get_language_display() if line.language else "",
                    line.description,
                    line.amount,
                    line.currency,
                    None if line_coverage.rate_missing else line_coverage.need,
                    line_coverage.earmarked,
                    None if line_coverage.rate_missing else line_coverage.gap,
                    line_coverage.covered,
                ]
            )
        for pledge in event.pledges.all():
            value = converted(pledge.amount, pledge.currency)
            pledge_rows.append(
                [
                    event.pk,
                    title,
                    str(pledge.donor),
                    _donor_kind(pledge),
                    _line_label(pledge.budget_line),
                    pledge.get_status_display(),
                    pledge.amount,
                    pledge.currency,
                    value,
                    ""
                    if value is not None
                    else _("no rate for %(currency)s") % {"currency": pledge.currency},
                    pledge.pledged_on,
                    pledge.received_on,
                    pledge.note,
                ]
            )
    in_currency = {"currency": currency}
    return [
        Table(
            title=_("Coverage"),
            header=[
                _("Activity id"),
                _("Activity"),
                _("Cycle"),
                _("Status"),
                _("Only if funded"),
                _("Budget (%(currency)s)") % in_currency,
                _("Pledged (%(currency)s)") % in_currency,
                _("Received (%(currency)s)") % in_currency,
                _("Gap (%(currency)s)") % in_currency,
                _("Covered"),
                _("Missing exchange rates"),
            ],
            rows=coverage_rows,
        ),
        Table(
            title=_("Budget lines"),
            header=[
                _("Activity id"),
                _("Activity"),
                _("Kind"),
                _("Interpretation into"),
                _("Description"),
                _("Amount"),
                _("Currency"),
                _("Amount (%(currency)s)") % in_currency,
                _("Earmarked pledges (%(currency)s)") % in_currency,
                _("Gap (%(currency)s)") % in_currency,
                _("Covered"),
            ],
            rows=line_rows,
        ),
        Table(
            title=_("Pledges and contributions"),
            header=[
                _("Activity id"),
                _("Activity"),
                _("Donor"),
                _("Kind of donor"),
                _("Earmarked for"),
                _("Status"),
                _("Amount"),
                _("Currency"),
                _("Amount (%(currency)s)") % in_currency,
                _("Conversion"),
                _("Pledged on"),
                _("Received on"),
                _("Note"),
            ],
            rows=pledge_rows,
        ),
    ]


def funding_file(
    *,
    actor,
    file_format: str,
    table: str = "coverage",
    cycle=None,
    include_cancelled: bool = False,
    on: datetime.date | None = None,
) -> ExportFile:
    """The funding of the activities (of one cycle, or all) for staff, noted in the audit
    trail: as XLSX, the three tables one sheet each; as CSV, the one table named by
    `table` ("coverage", "budget" or "pledges")."""
    require_staff(actor)
    check_format(file_format)
    if table not in TABLES:
        raise DomainError(
            _("'%(table)s' is not a funding table (use one of: %(choices)s).")
            % {"table": str(table)[:20], "choices": ", ".join(TABLES)},
            field="table",
        )
    on = on or clock.today()
    tables = funding_tables(funding_events(cycle=cycle, include_cancelled=include_cancelled), on)
    scope = f"-{cycle.year}" if cycle is not None else ""
    if file_format == "csv":
        chosen = tables[TABLES.index(table)]
        content = table_csv(chosen)
        rows = len(chosen.rows)
        filename = f"funding{scope}-{table}-{on.isoformat()}.csv"
    else:
        content = tables_xlsx(tables)
        rows = sum(len(t.rows) for t in tables)
        filename = f"funding{scope}-{on.isoformat()}.xlsx"
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="funding.pledge",
        object_repr=filename,
        note=f"funding exported as {file_format} ({table if file_format == 'csv' else 'all'}): "
        f"{rows} rows",
    )
    return ExportFile(
        filename=filename, content_type=CONTENT_TYPES[file_format], content=content, rows=rows
    )
