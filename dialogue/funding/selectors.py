"""Reads of the funding app: what each activity needs, has and lacks."""

import datetime
import decimal
from dataclasses import dataclass, field

from django.conf import settings

from dialogue.core import clock
from dialogue.funding.models import BudgetLine, ExchangeRate, Pledge

CENT = decimal.Decimal("0.01")


class MissingRate(Exception):
    """No exchange rate is stated for a currency on a date."""

    def __init__(self, currency: str, on: datetime.date):
        super().__init__(f"No exchange rate for {currency} on {on}.")
        self.currency = currency
        self.on = on


def reporting_currency() -> str:
    """The one currency in which coverage is reported."""
    return settings.FUNDING_REPORTING_CURRENCY


def rate(currency: str, on: datetime.date, rates: list[ExchangeRate] | None = None):
    """The rate of `currency` to the reporting currency valid on `on` (1 for itself)."""
    if currency == reporting_currency():
        return decimal.Decimal(1)
    candidates = rates if rates is not None else ExchangeRate.objects.filter(currency=currency)
    valid = [r for r in candidates if r.currency == currency and r.valid_from <= on]
    if not valid:
        raise MissingRate(currency, on)
    return max(valid, key=lambda r: r.valid_from).rate


def convert(amount, currency: str, on: datetime.date, rates=None) -> decimal.Decimal:
    """`amount` in the reporting currency at the rate valid on `on`, to the cent."""
    return (decimal.Decimal(amount) * rate(currency, on, rates)).quantize(
        CENT, rounding=decimal.ROUND_HALF_EVEN
    )


@dataclass
class LineCoverage:
    line: BudgetLine
    need: decimal.Decimal
    earmarked: decimal.Decimal
    rate_missing: bool = False

    @property
    def covered(self) -> bool:
        return not self.rate_missing and self.earmarked >= self.need

    @property
    def gap(self) -> decimal.Decimal:
        return max(self.need - self.earmarked, decimal.Decimal(0))


@dataclass
class Coverage:
    """An activity's budget, pledges and gap in the reporting currency."""

    event_id: int
    currency: str
    lines: list[LineCoverage] = field(default_factory=list)
    budget: decimal.Decimal = decimal.Decimal(0)
    pledged: decimal.Decimal = decimal.Decimal(0)
    received: decimal.Decimal = decimal.Decimal(0)
    rates_used: dict[str, decimal.Decimal] = field(default_factory=dict)
    missing_rates: list[str] = field(default_factory=list)

    @property
    def gap(self) -> decimal.Decimal:
        return max(self.budget - self.pledged, decimal.Decimal(0))

    @property
    def covered(self) -> bool:
        return (
            not self.missing_rates
            and self.budget > 0
            and self.pledged >= self.budget
            and all(line.covered for line in self.lines if line.line.kind == "interpretation")
        )

    def interpretation_covered(self, language: str) -> bool:
        if self.missing_rates:
            return False
        return any(
            line.covered
            for line in self.lines
            if line.line.kind == "interpretation" and line.line.language == language
        )


def coverage(event, on: datetime.date | None = None) -> Coverage:
    """How far an activity's budget is covered by pledges (withdrawn ones count for nothing).

    Pledges earmarked for a line cover that line; every pledge counts toward the
    total. Amounts are converted at the rates valid on `on` (default today).
    """
    on = on or clock.today()
    currency = reporting_currency()
    lines = list(BudgetLine.objects.filter(event=event))
    pledges = list(Pledge.objects.filter(event=event).exclude(status=Pledge.Status.WITHDRAWN))
    needed = {line.currency for line in lines} | {p.currency for p in pledges}
    rates = list(ExchangeRate.objects.filter(currency__in=needed))
    result = Coverage(event_id=event.pk, currency=currency)

    def to_reporting(amount, code):
        try:
            value = convert(amount, code, on, rates)
        except MissingRate:
            if code not in result.missing_rates:
                result.missing_rates.append(code)
            return decimal.Decimal(0)
        result.rates_used[code] = rate(code, on, rates)
        return value

    earmarked: dict[int, decimal.Decimal] = {}
    for pledge in pledges:
        value = to_reporting(pledge.amount, pledge.currency)
        result.pledged += value
        if pledge.status == Pledge.Status.RECEIVED:
            result.received += value
        if pledge.budget_line_id:
            earmarked[pledge.budget_line_id] = earmarked.get(pledge.budget_line_id, 0) + value
    for line in lines:
        need = to_reporting(line.amount, line.currency)
        result.budget += need
        result.lines.append(
            LineCoverage(
                line=line,
                need=need,
                earmarked=earmarked.get(line.pk, decimal.Decimal(0)),
                rate_missing=line.currency in result.missing_rates,
            )
        )
    return result


def interpretation_offered(event, on: datetime.date | None = None) -> list[str]:
    """The requested interpretation languages whose earmarked budget line is covered."""
    result = coverage(event, on)
    return [lang for lang in event.interpretation_languages if result.interpretation_covered(lang)]


def funding_overview(events, on: datetime.date | None = None) -> list[tuple[object, Coverage]]:
    """Every activity with its coverage, largest gap first."""
    rows = [(event, coverage(event, on)) for event in events]
    return sorted(rows, key=lambda row: (not row[1].missing_rates, row[1].gap), reverse=True)
