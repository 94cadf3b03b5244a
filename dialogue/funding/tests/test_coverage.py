"""Coverage of an activity's budget, in the reporting currency, at the rates of a given day.

The expected figures are worked out by hand from the rates below; each conversion is
rounded to the cent (half to even) before summing:

    CHF: 0.80 from 1 Jan 2007, 0.82 from 1 Jun 2007, 0.85 from 1 Sep 2007
    EUR: 1.30 from 1 Jan 2007, 1.35 from 1 Jul 2007

On 15 July 2007 (CHF 0.82, EUR 1.35):
    budget   venue           12,345.67 CHF -> 10,123.45 USD   (10,123.4494)
             travel          20,000.00 USD -> 20,000.00 USD
             interpr. fr      8,000.00 CHF ->  6,560.00 USD
             interpr. es      3,333.33 CHF ->  2,733.33 USD   (2,733.3306)
                                              39,416.78 USD
    pledged  fr earmark       8,000.00 CHF ->  6,560.00 USD   (received)
             es earmark       2,000.00 EUR ->  2,700.00 USD
             unearmarked     15,000.00 USD -> 15,000.00 USD   (received)
             unearmarked      7,777.77 EUR -> 10,499.99 USD   (10,499.9895)
             withdrawn       50,000.00 USD -> nothing
                                              34,759.99 USD
    gap                                        4,656.79 USD
    received                                  21,560.00 USD
"""

import datetime
import decimal

import pytest

from dialogue.events.tests.factories import EventFactory
from dialogue.funding import selectors
from dialogue.funding.models import BudgetLine, Pledge
from dialogue.funding.tests.factories import (
    BudgetLineFactory,
    ExchangeRateFactory,
    InterpretationLineFactory,
    PledgeFactory,
)

pytestmark = pytest.mark.django_db

D = decimal.Decimal
JULY_15 = datetime.date(2007, 7, 15)


@pytest.fixture(autouse=True)
def _reporting_in_us_dollars(settings):
    settings.FUNDING_REPORTING_CURRENCY = "USD"


@pytest.fixture
def rates(db):
    for currency, rate, valid_from in [
        ("CHF", "0.80", datetime.date(2007, 1, 1)),
        ("CHF", "0.82", datetime.date(2007, 6, 1)),
        ("CHF", "0.85", datetime.date(2007, 9, 1)),
        ("EUR", "1.30", datetime.date(2007, 1, 1)),
        ("EUR", "1.35", datetime.date(2007, 7, 1)),
    ]:
        ExchangeRateFactory(currency=currency, rate=D(rate), valid_from=valid_from)


@pytest.fixture
def seminar(rates):
    """The activity of the module docstring, with interpretation asked into French and Spanish."""
    event = EventFactory(contingent_on_funding=True, interpretation_languages=["fr", "es"])
    BudgetLineFactory(event=event, kind="venue", amount=D("12345.67"), currency="CHF")
    BudgetLineFactory(event=event, kind="travel", amount=D("20000.00"), currency="USD")
    french = InterpretationLineFactory(
        event=event, language="fr", amount=D("8000.00"), currency="CHF"
    )
    spanish = InterpretationLineFactory(
        event=event, language="es", amount=D("3333.33"), currency="CHF"
    )
    PledgeFactory(
        event=event, budget_line=french, amount=D("8000.00"), currency="CHF", received=True
    )
    PledgeFactory(event=event, budget_line=spanish, amount=D("2000.00"), currency="EUR")
    PledgeFactory(event=event, amount=D("15000.00"), currency="USD", received=True)
    PledgeFactory(event=event, amount=D("7777.77"), currency="EUR")
    PledgeFactory(event=event, amount=D("50000.00"), currency="USD", status="withdrawn")
    return event


def _line(result, kind, language=""):
    (line,) = [c for c in result.lines if c.line.kind == kind and c.line.language == language]
    return line


def test_budget_and_pledges_in_several_currencies_are_totalled_to_the_cent(seminar):
    result = selectors.coverage(seminar, on=JULY_15)
    assert result.currency == "USD"
    assert result.budget == D("39416.78")
    assert result.pledged == D("34759.99")
    assert result.gap == D("4656.79")
    assert result.missing_rates == []
    assert not result.covered


def test_received_contributions_are_counted_apart_from_pledges(seminar):
    result = selectors.coverage(seminar, on=JULY_15)
    assert result.received == D("21560.00")


def test_each_budget_line_is_converted_and_covered_by_its_earmarked_pledges(seminar):
    result = selectors.coverage(seminar, on=JULY_15)
    venue = _line(result, "venue")
    assert (venue.need, venue.earmarked) == (D("10123.45"), D("0"))
    french = _line(result, "interpretation", "fr")
    assert (french.need, french.earmarked, french.covered) == (D("6560.00"), D("6560.00"), True)
    spanish = _line(result, "interpretation", "es")
    assert (spanish.need, spanish.earmarked) == (D("2733.33"), D("2700.00"))
    assert spanish.gap == D("33.33")
    assert not spanish.covered


def test_the_rate_valid_on_the_given_day_is_used_not_a_later_one(seminar):
    result = selectors.coverage(seminar, on=JULY_15)
    assert result.rates_used["CHF"] == D("0.82")
    assert result.rates_used["EUR"] == D("1.35")


def test_a_rate_applies_from_the_day_it_is_valid(seminar):
    before = selectors.coverage(seminar, on=datetime.date(2007, 8, 31))
    on_the_day = selectors.coverage(seminar, on=datetime.date(2007, 9, 1))
    assert before.rates_used["CHF"] == D("0.82")
    assert on_the_day.rates_used["CHF"] == D("0.85")
    # 12,345.67 x 0.85 = 10,493.8195; 8,000 x 0.85 = 6,800; 3,333.33 x 0.85 = 2,833.3305
    assert on_the_day.budget == D("10493.82") + D("20000.00") + D("6800.00") + D("2833.33")
    assert on_the_day.budget == D("40127.15")
    assert on_the_day.pledged == D("34999.99")
    assert on_the_day.gap == D("5127.16")


def test_the_earliest_rates_apply_in_spring(seminar):
    result = selectors.coverage(seminar, on=datetime.date(2007, 3, 1))
    # CHF 0.80, EUR 1.30: 9,876.536 -> 9,876.54; 2,666.664 -> 2,666.66; 10,111.101 -> 10,111.10
    assert result.budget == D("9876.54") + D("20000.00") + D("6400.00") + D("2666.66")
    assert result.pledged == D("6400.00") + D("2600.00") + D("15000.00") + D("10111.10")


def test_a_withdrawn_pledge_covers_nothing(rates):
    event = EventFactory(contingent_on_funding=True)
    BudgetLineFactory(event=event, amount=D("1000.00"), currency="USD")
    PledgeFactory(event=event, amount=D("1000.00"), currency="USD", status="withdrawn")
    result = selectors.coverage(event, on=JULY_15)
    assert (result.pledged, result.received, result.gap) == (D("0"), D("0"), D("1000.00"))
    assert not result.covered


def test_a_budget_covered_in_every_line_it_must_be_is_covered(rates):
    event = EventFactory(contingent_on_funding=True, interpretation_languages=["fr"])
    BudgetLineFactory(event=event, amount=D("1000.00"), currency="USD")
    french = InterpretationLineFactory(event=event, amount=D("500.00"), currency="CHF")
    PledgeFactory(event=event, amount=D("600.00"), currency="EUR")  # 810.00 USD
    PledgeFactory(event=event, budget_line=french, amount=D("500.00"), currency="CHF")  # 410.00
    result = selectors.coverage(event, on=JULY_15)
    assert (result.budget, result.pledged) == (D("1410.00"), D("1220.00"))
    assert not result.covered
    PledgeFactory(event=event, amount=D("190.00"), currency="USD")
    result = selectors.coverage(event, on=JULY_15)
    assert result.pledged == result.budget == D("1410.00")
    assert result.gap == D("0")
    assert result.covered


def test_a_budget_covered_in_total_but_not_in_its_interpretation_line_is_not_covered(rates):
    event = EventFactory(contingent_on_funding=True, interpretation_languages=["fr"])
    InterpretationLineFactory(event=event, amount=D("500.00"), currency="USD")
    PledgeFactory(event=event, amount=D("5000.00"), currency="USD")
    result = selectors.coverage(event, on=JULY_15)
    assert result.gap == D("0")
    assert not result.covered


def test_an_activity_without_a_budget_is_not_covered(rates):
    event = EventFactory(contingent_on_funding=True)
    PledgeFactory(event=event, amount=D("100.00"), currency="USD")
    result = selectors.coverage(event, on=JULY_15)
    assert result.budget == D("0")
    assert not result.covered


def test_a_missing_rate_is_reported_and_the_activity_is_not_covered(rates):
    event = EventFactory(contingent_on_funding=True)
    BudgetLineFactory(event=event, amount=D("1000.00"), currency="USD")
    PledgeFactory(event=event, amount=D("2000.00"), currency="USD")
    PledgeFactory(event=event, amount=D("500.00"), currency="GBP")
    PledgeFactory(event=event, amount=D("700.00"), currency="GBP")
    result = selectors.coverage(event, on=JULY_15)
    assert result.missing_rates == ["GBP"]
    assert result.pledged == D("2000.00")
    assert "GBP" not in result.rates_used
    assert not result.covered


def test_a_rate_not_yet_valid_on_the_day_counts_as_missing(rates):
    event = EventFactory(contingent_on_funding=True)
    BudgetLineFactory(event=event, amount=D("1000.00"), currency="CHF")
    PledgeFactory(event=event, amount=D("5000.00"), currency="USD")
    result = selectors.coverage(event, on=datetime.date(2006, 12, 31))
    assert result.missing_rates == ["CHF"]
    assert not result.covered


def test_the_default_day_is_today(rates):
    event = EventFactory(contingent_on_funding=True)
    BudgetLineFactory(event=event, amount=D("1000.00"), currency="CHF")
    result = selectors.coverage(event)
    assert result.rates_used["CHF"] == D("0.85")
    assert result.budget == D("850.00")


# Interpretation


def test_interpretation_is_offered_only_into_languages_whose_earmarked_line_is_covered(seminar):
    assert selectors.interpretation_offered(seminar, on=JULY_15) == ["fr"]
    spanish = BudgetLine.objects.get(event=seminar, language="es")
    PledgeFactory(event=seminar, budget_line=spanish, amount=D("50.00"), currency="EUR")
    assert selectors.interpretation_offered(seminar, on=JULY_15) == ["fr", "es"]


def test_interpretation_is_offered_only_into_languages_asked_for(rates):
    event = EventFactory(interpretation_languages=["fr"])
    english = InterpretationLineFactory(
        event=event, language="en", amount=D("100.00"), currency="USD"
    )
    PledgeFactory(event=event, budget_line=english, amount=D("100.00"), currency="USD")
    assert selectors.interpretation_offered(event, on=JULY_15) == []


def test_interpretation_is_not_offered_without_a_line_earmarked_for_it(rates):
    event = EventFactory(interpretation_languages=["es"])
    PledgeFactory(event=event, amount=D("100000.00"), currency="USD")
    assert selectors.interpretation_offered(event, on=JULY_15) == []


def test_a_withdrawn_earmarked_pledge_no_longer_pays_for_interpretation(rates):
    event = EventFactory(interpretation_languages=["fr"])
    french = InterpretationLineFactory(event=event, amount=D("100.00"), currency="USD")
    PledgeFactory(
        event=event,
        budget_line=french,
        amount=D("100.00"),
        currency="USD",
        status=Pledge.Status.WITHDRAWN,
    )
    assert selectors.interpretation_offered(event, on=JULY_15) == []


def test_interpretation_is_not_offered_when_its_line_has_no_rate(rates):
    event = EventFactory(interpretation_languages=["fr"])
    InterpretationLineFactory(event=event, amount=D("8000.00"), currency="GBP")
    assert selectors.interpretation_offered(event, on=JULY_15) == []


# Overview


def test_the_funding_overview_lists_the_largest_gap_first(rates):
    covered = EventFactory(title_en="Covered")
    BudgetLineFactory(event=covered, amount=D("100.00"), currency="USD")
    PledgeFactory(event=covered, amount=D("100.00"), currency="USD")
    small = EventFactory(title_en="Small gap")
    BudgetLineFactory(event=small, amount=D("1000.00"), currency="CHF")  # 820.00 USD
    PledgeFactory(event=small, amount=D("800.00"), currency="USD")
    large = EventFactory(title_en="Large gap")
    BudgetLineFactory(event=large, amount=D("1000.00"), currency="EUR")  # 1,350.00 USD
    PledgeFactory(event=large, amount=D("1000.00"), currency="CHF")  # 820.00 USD
    rows = selectors.funding_overview([small, covered, large], on=JULY_15)
    assert [(event.title_en, result.gap) for event, result in rows] == [
        ("Large gap", D("530.00")),
        ("Small gap", D("20.00")),
        ("Covered", D("0")),
    ]
