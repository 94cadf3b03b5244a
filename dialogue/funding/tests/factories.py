"""Factories for donors, budgets, pledges and rates; they write directly, for set-up only."""

import datetime
import decimal

import factory

from dialogue.events.tests.factories import EventFactory
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members.tests.factories import OrganizationFactory


class DonorFactory(factory.django.DjangoModelFactory):
    """A donor that is an organization; pass `member=...` and `organization=None` for a State."""

    class Meta:
        model = Donor

    member = None
    organization = factory.SubFactory(OrganizationFactory)


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    event = factory.SubFactory(EventFactory, contingent_on_funding=True)
    kind = BudgetLine.Kind.VENUE
    language = ""
    amount = decimal.Decimal("10000.00")
    currency = "USD"


class InterpretationLineFactory(BudgetLineFactory):
    kind = BudgetLine.Kind.INTERPRETATION
    language = "fr"


class PledgeFactory(factory.django.DjangoModelFactory):
    """A pledge not yet received; `received=True` marks it received a month later."""

    class Meta:
        model = Pledge

    class Params:
        received = factory.Trait(
            status=Pledge.Status.RECEIVED,
            received_on=factory.LazyAttribute(lambda o: o.pledged_on + datetime.timedelta(days=30)),
        )

    donor = factory.SubFactory(DonorFactory)
    event = factory.SubFactory(EventFactory, contingent_on_funding=True)
    budget_line = None
    amount = decimal.Decimal("1000.00")
    currency = "USD"
    status = Pledge.Status.PLEDGED
    pledged_on = datetime.date(2007, 3, 1)


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    currency = "CHF"
    rate = decimal.Decimal("0.80000000")
    valid_from = datetime.date(2007, 1, 1)
    source = "IOM treasury"
