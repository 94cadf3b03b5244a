"""The funding export: coverage, budget lines and pledges as CSV, or all three as XLSX."""

import csv
import datetime
import decimal
import io
from types import SimpleNamespace

import openpyxl
import pytest

from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.funding import exports
from dialogue.funding.models import Pledge
from dialogue.funding.tests.factories import (
    BudgetLineFactory,
    DonorFactory,
    ExchangeRateFactory,
    InterpretationLineFactory,
    PledgeFactory,
)
from dialogue.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

D = decimal.Decimal
ON = datetime.date(2008, 1, 15)
TITLE = "=cmd|' /C calc'!A0"


@pytest.fixture
def funded(settings):
    """A workshop of 2008 with a venue line of 10,000 USD and French interpretation at
    3,000 CHF (1 CHF = 0.80 USD): Côte d'Ivoire gave 2,000 CHF for the interpretation,
    Türkiye pledged 5,000 USD, a withdrawn pledge of 1,000 USD and 500 EUR without a rate."""
    settings.FUNDING_REPORTING_CURRENCY = "USD"
    cycle = CycleFactory(year=2008)
    event = EventFactory(cycle=cycle, title_en=TITLE, contingent_on_funding=True)
    venue = BudgetLineFactory(event=event, amount=D("10000.00"), currency="USD")
    interpretation = InterpretationLineFactory(event=event, amount=D("3000.00"), currency="CHF")
    ExchangeRateFactory(currency="CHF", rate=D("0.8"), valid_from=datetime.date(2007, 1, 1))
    civ = DonorFactory(member=MemberFactory(code="CIV"), organization=None)
    tur = DonorFactory(member=MemberFactory(code="TUR"), organization=None)
    PledgeFactory(
        event=event,
        donor=civ,
        budget_line=interpretation,
        amount=D("2000.00"),
        currency="CHF",
        received=True,
    )
    PledgeFactory(event=event, donor=tur, amount=D("5000.00"), currency="USD")
    PledgeFactory(
        event=event, donor=tur, amount=D("1000.00"), currency="USD", status=Pledge.Status.WITHDRAWN
    )
    PledgeFactory(event=event, amount=D("500.00"), currency="EUR")
    return SimpleNamespace(cycle=cycle, event=event, venue=venue, interpretation=interpretation)


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _csv(table: str, **kwargs) -> list[dict[str, str]]:
    export = exports.funding_file(actor=SYSTEM, file_format="csv", table=table, on=ON, **kwargs)
    assert export.content_type == "text/csv; charset=utf-8"
    return read_csv(export.content)


def test_coverage_csv_gives_budget_pledged_received_and_gap_in_the_reporting_currency(funded):
    [row] = _csv("coverage")
    assert row["Activity"] == "'" + TITLE
    assert row["Budget (USD)"] == "12400.00"
    assert row["Pledged (USD)"] == "6600.00"
    assert row["Received (USD)"] == "1600.00"
    assert row["Gap (USD)"] == "5800.00"
    assert row["Covered"] == "No"
    assert row["Missing exchange rates"] == "EUR"


def test_pledges_csv_lists_donor_currency_amount_converted_amount_and_status(funded):
    rows = _csv("pledges")
    assert [(r["Donor"], r["Status"], r["Amount"], r["Currency"]) for r in rows] == [
        ("Côte d'Ivoire", "Received", "2000.00", "CHF"),
        ("Türkiye", "Pledged", "5000.00", "USD"),
        ("Türkiye", "Withdrawn", "1000.00", "USD"),
        (rows[3]["Donor"], "Pledged", "500.00", "EUR"),
    ]
    assert rows[0]["Amount (USD)"] == "1600.00"
    assert rows[0]["Earmarked for"] == "Interpretation (French)"
    assert rows[0]["Received on"] == "2007-03-31"
    assert rows[0]["Kind of donor"] == "Member State"
    assert rows[3]["Amount (USD)"] == ""
    assert rows[3]["Conversion"] == "no rate for EUR"


def test_budget_csv_gives_each_line_in_its_currency_converted_with_earmarked_pledges(funded):
    rows = {row["Kind"]: row for row in _csv("budget")}
    interpretation = rows["Interpretation"]
    assert interpretation["Interpretation into"] == "French"
    assert (interpretation["Amount"], interpretation["Currency"]) == ("3000.00", "CHF")
    assert interpretation["Amount (USD)"] == "2400.00"
    assert interpretation["Earmarked pledges (USD)"] == "1600.00"
    assert interpretation["Gap (USD)"] == "800.00"
    assert rows["Venue"]["Gap (USD)"] == "10000.00"


def test_xlsx_has_one_sheet_per_table_with_number_cells(funded):
    export = exports.funding_file(actor=SYSTEM, file_format="xlsx", on=ON)
    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    assert workbook.sheetnames == ["Coverage", "Budget lines", "Pledges and contributions"]
    coverage = list(workbook["Coverage"].iter_rows(values_only=True))
    header, row = coverage[0], coverage[1]
    assert row[header.index("Activity")] == "'" + TITLE
    assert row[header.index("Budget (USD)")] == 12400
    assert workbook["Pledges and contributions"].max_row == 1 + 4
    assert workbook["Pledges and contributions"]["K2"].value == datetime.datetime(2007, 3, 1)
    assert export.rows == 1 + 2 + 4


def test_export_narrows_to_one_cycle_and_leaves_out_cancelled_activities(funded):
    other = EventFactory(cycle=CycleFactory(year=2009), title_en="Seminar of 2009")
    BudgetLineFactory(event=other)
    cancelled = EventFactory(
        cycle=funded.cycle,
        title_en="Cancelled seminar",
        status=Event.Status.CANCELLED,
        cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
    )
    assert {r["Activity"] for r in _csv("coverage")} == {"'" + TITLE, "Seminar of 2009"}
    assert [r["Activity"] for r in _csv("coverage", cycle=funded.cycle)] == ["'" + TITLE]
    with_cancelled = _csv("coverage", cycle=funded.cycle, include_cancelled=True)
    assert {r["Activity id"] for r in with_cancelled} == {str(funded.event.pk), str(cancelled.pk)}


def test_funding_export_is_noted_in_the_audit_trail(funded, staff_user):
    export = exports.funding_file(actor=staff_user, file_format="csv", table="pledges", on=ON)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == staff_user
    assert export.filename == "funding-pledges-2008-01-15.csv"
    assert "4 rows" in entry.note


def test_only_staff_may_export_funding(funded, delegate):
    with pytest.raises(NotPermitted):
        exports.funding_file(actor=delegate.user, file_format="xlsx")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"file_format": "ods"}, "format"), ({"file_format": "csv", "table": "../etc"}, "table")],
)
def test_unknown_format_or_table_is_refused_by_name(funded, arguments, field):
    with pytest.raises(DomainError) as refused:
        exports.funding_file(actor=SYSTEM, **arguments)
    assert refused.value.field == field
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
