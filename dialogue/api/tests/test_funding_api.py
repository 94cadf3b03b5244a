import decimal

import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.events.models import Event
from dialogue.funding.tests.factories import BudgetLineFactory, PledgeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def funding(settings):
    """Two activities in USD: one of 10,000 with 4,000 pledged (1,000 received), one of
    2,000 fully pledged; and a cancelled one."""
    settings.FUNDING_REPORTING_CURRENCY = "USD"
    short = BudgetLineFactory(amount=decimal.Decimal("10000.00")).event
    PledgeFactory(event=short, amount=decimal.Decimal("3000.00"))
    PledgeFactory(event=short, amount=decimal.Decimal("1000.00"), received=True)
    covered = BudgetLineFactory(
        amount=decimal.Decimal("2000.00"), event__cycle=CycleFactory(year=2009)
    ).event
    PledgeFactory(event=covered, amount=decimal.Decimal("2000.00"))
    cancelled = BudgetLineFactory(
        event__status=Event.Status.CANCELLED,
        event__cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
    ).event
    return {"short": short, "covered": covered, "cancelled": cancelled}


def test_staff_see_each_activitys_budget_pledges_and_gap_largest_gap_first(
    client, staff_user, funding
):
    response = client.get("/api/v1/funding", **bearer(make_token(staff_user)))
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "USD"
    assert [row["event"] for row in body["items"]] == [
        funding["short"].pk,
        funding["covered"].pk,
    ]
    first = body["items"][0]
    assert (first["budget"], first["pledged"], first["received"], first["gap"]) == (
        "10000.00",
        "4000.00",
        "1000.00",
        "6000.00",
    )
    assert body["items"][1]["covered"] is True
    assert body["totals"]["gap"] == "6000.00"


def test_the_overview_is_narrowed_to_a_cycle_and_may_include_cancelled_ones(
    client, staff_user, funding
):
    headers = bearer(make_token(staff_user))
    one_cycle = client.get("/api/v1/funding?cycle=2009", **headers).json()
    assert [row["event"] for row in one_cycle["items"]] == [funding["covered"].pk]
    with_cancelled = client.get("/api/v1/funding?cancelled=true", **headers).json()
    assert funding["cancelled"].pk in [row["event"] for row in with_cancelled["items"]]
    assert client.get("/api/v1/funding?cycle=1999", **headers).status_code == 404
    assert client.get("/api/v1/funding?cycle=abc", **headers).status_code == 422


def test_the_funding_overview_is_for_staff_only(client, delegate, funding):
    assert client.get("/api/v1/funding").status_code == 401
    denied = client.get("/api/v1/funding", **bearer(make_token(delegate.user)))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
