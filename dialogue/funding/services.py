"""Writes of the funding app: donors, budget lines, pledges and exchange rates."""

import datetime
import decimal
from typing import Any

import pycountry
from django.db import transaction
from django.utils.translation import gettext as _

from dialogue.core import audit
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.services import save_audited
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge

LINE_FIELDS = ("event", "kind", "language", "description", "amount", "currency")
PLEDGE_FIELDS = (
    "donor",
    "event",
    "budget_line",
    "amount",
    "currency",
    "status",
    "pledged_on",
    "received_on",
    "note",
)
MAX_AMOUNT = decimal.Decimal("999999999999.99")


def clean_currency(code: Any) -> str:
    """An ISO 4217 currency code in capitals, or a DomainError naming the currency field."""
    code = str(code or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or pycountry.currencies.get(alpha_3=code) is None:
        raise DomainError(
            _("'%(code)s' is not an ISO 4217 currency code.") % {"code": code[:10]},
            field="currency",
        )
    return code


def clean_amount(value: Any) -> decimal.Decimal:
    """A positive amount with at most two decimals, or a DomainError naming the amount."""
    try:
        amount = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError(_("An amount is a number greater than zero."), field="amount")
    if amount != amount.quantize(decimal.Decimal("0.01")):
        raise DomainError(_("An amount has at most two decimals."), field="amount")
    return amount.quantize(decimal.Decimal("0.01"))


@transaction.atomic
def donor_for(*, actor, member=None, organization=None) -> Donor:
    """The donor record of a Member or an organization, created the first time."""
    require_staff(actor)
    if (member is None) == (organization is None):
        raise DomainError(_("A donor is a member or an organization."), field="donor")
    existing = Donor.objects.filter(member=member, organization=organization).first()
    if existing:
        return existing
    return save_audited(
        Donor(member=member, organization=organization),
        actor=actor,
        fields=("member", "organization"),
    )


@transaction.atomic
def budget_line_save(*, actor, data: dict[str, Any], line: BudgetLine | None = None) -> BudgetLine:
    """Add or change a line of an activity's budget; interpretation lines name a language."""
    require_staff(actor)
    before = audit.snapshot(line, LINE_FIELDS) if line else None
    line = line or BudgetLine()
    for name in LINE_FIELDS:
        if name in data:
            setattr(line, name, data[name])
    if not line.event_id:
        raise DomainError(_("Say which activity the budget line is for."), field="event")
    line.amount = clean_amount(line.amount)
    line.currency = clean_currency(line.currency)
    if line.kind == BudgetLine.Kind.INTERPRETATION:
        if line.language not in ("en", "fr", "es"):
            raise DomainError(_("Say into which language the interpretation is."), field="language")
        duplicate = BudgetLine.objects.filter(
            event=line.event, kind=BudgetLine.Kind.INTERPRETATION, language=line.language
        ).exclude(pk=line.pk)
        if duplicate.exists():
            raise DomainError(
                _("This event already has a line for that interpretation."), field="language"
            )
    else:
        line.language = ""
    return save_audited(line, actor=actor, fields=LINE_FIELDS, before=before)


@transaction.atomic
def pledge_record(
    *,
    actor,
    donor: Donor,
    event,
    amount: Any,
    currency: str,
    pledged_on: datetime.date,
    budget_line: BudgetLine | None = None,
    note: str = "",
) -> Pledge:
    """Record a donor's pledge to an activity, earmarked for one of its lines or not."""
    require_staff(actor)
    if budget_line is not None and budget_line.event_id != event.pk:
        raise DomainError(_("The earmarked line belongs to another activity."), field="budget_line")
    pledge = Pledge(
        donor=donor,
        event=event,
        budget_line=budget_line,
        amount=clean_amount(amount),
        currency=clean_currency(currency),
        pledged_on=pledged_on,
        note=note,
    )
    return save_audited(pledge, actor=actor, fields=PLEDGE_FIELDS)


@transaction.atomic
def pledge_mark_received(*, actor, pledge: Pledge, received_on: datetime.date) -> Pledge:
    """Record that a pledged contribution was received."""
    require_staff(actor)
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.status != Pledge.Status.PLEDGED:
        raise DomainError(_("Only a pledge not yet received can be marked received."))
    before = audit.snapshot(pledge, PLEDGE_FIELDS)
    pledge.status = Pledge.Status.RECEIVED
    pledge.received_on = received_on
    return save_audited(pledge, actor=actor, fields=PLEDGE_FIELDS, before=before)


@transaction.atomic
def pledge_withdraw(*, actor, pledge: Pledge, note: str = "") -> Pledge:
    """Record that a donor withdrew a pledge; it stays on record but covers nothing."""
    require_staff(actor)
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.status != Pledge.Status.PLEDGED:
        raise DomainError(_("Only a pledge not yet received can be withdrawn."))
    before = audit.snapshot(pledge, PLEDGE_FIELDS)
    pledge.status = Pledge.Status.WITHDRAWN
    pledge.note = note or pledge.note
    return save_audited(pledge, actor=actor, fields=PLEDGE_FIELDS, before=before)


@transaction.atomic
def exchange_rate_set(
    *, actor, currency: str, rate: Any, valid_from: datetime.date, source: str = ""
) -> ExchangeRate:
    """State the rate of a currency to the reporting currency from a date on."""
    require_staff(actor)
    currency = clean_currency(currency)
    try:
        value = decimal.Decimal(str(rate))
    except (decimal.InvalidOperation, ValueError, TypeError):
        value = None
    if value is not None and value.is_finite():
        value = value.quantize(decimal.Decimal("0.00000001"))
    if value is None or not value.is_finite() or value <= 0 or value > 10**9:
        raise DomainError(_("A rate is a number greater than zero."), field="rate")
    row = ExchangeRate.objects.filter(currency=currency, valid_from=valid_from).first()
    before = audit.snapshot(row, ("currency", "rate", "valid_from", "source")) if row else None
    row = row or ExchangeRate(currency=currency, valid_from=valid_from)
    row.rate = value.quantize(decimal.Decimal("0.00000001"))
    row.source = source
    return save_audited(
        row, actor=actor, fields=("currency", "rate", "valid_from", "source"), before=before
    )
