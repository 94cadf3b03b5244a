"""Funding, for the secretariat: each activity's budget, pledges, receipts and gap in the
reporting currency, as the staff funding overview shows them."""

import decimal

from django.http import HttpRequest
from ninja import Query, Router

from dialogue.api.auth import SIGNED_IN
from dialogue.api.event_schemas import FundingOut
from dialogue.api.schemas import ErrorOut
from dialogue.core import clock
from dialogue.core.actors import require_staff
from dialogue.cycles import selectors as cycle_selectors
from dialogue.events.selectors import dates_text
from dialogue.funding import selectors
from dialogue.funding.exports import funding_events

router = Router(tags=["funding"], auth=SIGNED_IN)


def _amount(value: decimal.Decimal) -> str:
    return f"{value:.2f}"


def cycle_or_none(year: int | None):
    """The cycle of `year` (not found if there is none), or None for every cycle."""
    return cycle_selectors.cycle_get(year) if year is not None else None


@router.get(
    "/funding",
    response={200: FundingOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def funding_overview(
    request: HttpRequest,
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    cancelled: bool = Query(False, description="Include cancelled activities."),
):
    """For staff: every activity (of one cycle, or all; cancelled ones only if asked) with
    its budget, pledged, received and gap at today's rates, largest gap first."""
    require_staff(request.user)
    events = funding_events(cycle=cycle_or_none(cycle), include_cancelled=cancelled)
    rows = selectors.funding_overview(events)
    zero = decimal.Decimal(0)
    return {
        "currency": selectors.reporting_currency(),
        "rates_on": clock.today(),
        "totals": {
            name: _amount(sum((getattr(c, name) for _e, c in rows), zero))
            for name in ("budget", "pledged", "received", "gap")
        },
        "missing_rates": sorted({code for _e, c in rows for code in c.missing_rates}),
        "items": [
            {
                "event": event.pk,
                "title": event.title,
                "cycle": event.cycle.year,
                "status": event.status,
                "dates": dates_text(event),
                "contingent_on_funding": event.contingent_on_funding,
                "budget": _amount(c.budget),
                "pledged": _amount(c.pledged),
                "received": _amount(c.received),
                "gap": _amount(c.gap),
                "covered": c.covered,
                "missing_rates": list(c.missing_rates),
            }
            for event, c in rows
        ],
    }
