import datetime
import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.events.tests.factories import EventFactory
from dialogue.funding import services
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.funding.tests.factories import (
    BudgetLineFactory,
    DonorFactory,
    ExchangeRateFactory,
    InterpretationLineFactory,
    PledgeFactory,
)
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory

D = decimal.Decimal
MARCH_1 = datetime.date(2007, 3, 1)


def _entries(obj):
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("id")


# clean_currency


@pytest.mark.parametrize(
    "given_code, expected",
    [("USD", "USD"), ("usd", "USD"), (" chf ", "CHF"), ("Eur", "EUR"), ("XOF", "XOF")],
)
def test_an_iso_4217_code_is_accepted_in_capitals(given_code, expected):
    assert services.clean_currency(given_code) == expected


@pytest.mark.parametrize(
    "code", ["XYZ", "", None, "  ", "US", "USDD", "840", 840, "U$D", "€", "dollars", "CH F"]
)
def test_anything_but_an_iso_4217_code_is_refused(code):
    with pytest.raises(DomainError) as error:
        services.clean_currency(code)
    assert error.value.field == "currency"


def test_a_refused_currency_is_quoted_short_in_the_message():
    with pytest.raises(DomainError) as error:
        services.clean_currency("X" * 5000)
    assert len(error.value.message) < 100


# clean_amount


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12.50", D("12.50")),
        (" 12.5 ", D("12.5")),
        ("0.01", D("0.01")),
        (1, D("1")),
        (D("1500"), D("1500")),
        ("999999999999.99", D("999999999999.99")),
    ],
)
def test_a_positive_amount_with_at_most_two_decimals_is_accepted(value, expected):
    amount = services.clean_amount(value)
    assert amount == expected
    assert isinstance(amount, D)


@pytest.mark.parametrize(
    "value",
    [
        "-1",
        -0.01,
        "-0",
        0,
        "0.00",
        "NaN",
        float("nan"),
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e309",
        float("inf"),
        "1000000000000",
        "1e12",
        "",
        None,
        "abc",
        "1,000.00",
        "12 000",
        [],
        {},
    ],
)
def test_anything_but_a_positive_amount_within_bounds_is_refused(value):
    with pytest.raises(DomainError) as error:
        services.clean_amount(value)
    assert error.value.field == "amount"


@pytest.mark.parametrize("value", ["12.345", "0.001", "1500.005", 0.125])
def test_an_amount_with_three_decimals_is_refused(value):
    with pytest.raises(DomainError) as error:
        services.clean_amount(value)
    assert error.value.field == "amount"
    assert "two decimals" in error.value.message


def test_an_amount_written_with_trailing_zeros_is_kept_to_the_cent():
    amount = services.clean_amount("12.500")
    assert amount == Decimal("12.50")
    assert amount.as_tuple().exponent == -2


@given(st.one_of(st.text(max_size=30), st.decimals(), st.floats(), st.integers()))
def test_any_amount_is_either_a_positive_number_to_the_cent_or_refused(value):
    try:
        amount = services.clean_amount(value)
    except DomainError as error:
        assert error.field == "amount"
        return
    assert D(0) < amount <= services.MAX_AMOUNT
    assert amount == amount.quantize(D("0.01"))


# donor_for


@pytest.mark.django_db
def test_a_member_becomes_a_donor_once(staff_user):
    switzerland = MemberFactory(code="CHE")
    donor = services.donor_for(actor=staff_user, member=switzerland)
    assert donor.member == switzerland
    assert donor.organization is None
    assert services.donor_for(actor=staff_user, member=switzerland) == donor
    assert Donor.objects.count() == 1
    assert _entries(donor).get().action == AuditEntry.Action.CREATE


@pytest.mark.django_db
def test_an_organization_becomes_a_donor_once(staff_user):
    foundation = OrganizationFactory(name_en="MacArthur Foundation")
    donor = services.donor_for(actor=staff_user, organization=foundation)
    assert donor.organization == foundation
    assert services.donor_for(actor=staff_user, organization=foundation) == donor
    assert Donor.objects.count() == 1


@pytest.mark.django_db
def test_a_donor_is_a_member_or_an_organization_not_both_nor_neither(staff_user):
    member = MemberFactory(code="CHE")
    organization = OrganizationFactory()
    with pytest.raises(DomainError) as both:
        services.donor_for(actor=staff_user, member=member, organization=organization)
    with pytest.raises(DomainError) as neither:
        services.donor_for(actor=staff_user)
    assert both.value.field == neither.value.field == "donor"
    assert not Donor.objects.exists()


@pytest.mark.django_db
def test_only_the_secretariat_records_donors(delegate):
    with pytest.raises(NotPermitted):
        services.donor_for(actor=delegate.user, member=delegate.delegation)
    assert not Donor.objects.exists()


# budget_line_save


@pytest.mark.django_db
def test_a_budget_line_is_stored_in_its_own_currency_and_audited(staff_user):
    event = EventFactory()
    line = services.budget_line_save(
        actor=staff_user,
        data={
            "event": event,
            "kind": BudgetLine.Kind.VENUE,
            "description": "Conference room, two days",
            "amount": "12345.67",
            "currency": "chf",
        },
    )
    line.refresh_from_db()
    assert (line.amount, line.currency) == (D("12345.67"), "CHF")
    entry = _entries(line).get()
    assert entry.actor == staff_user
    assert entry.changes["amount"] == "12345.67"


@pytest.mark.django_db
def test_changing_a_budget_line_audits_the_change(staff_user):
    line = BudgetLineFactory(amount=D("1000.00"))
    services.budget_line_save(actor=staff_user, line=line, data={"amount": "1250.00"})
    line.refresh_from_db()
    assert line.amount == D("1250.00")
    assert _entries(line).get().changes == {"amount": ["1000.00", "1250.00"]}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "de", None])
def test_an_interpretation_line_needs_a_language(staff_user, language):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.budget_line_save(
            actor=staff_user,
            data={
                "event": event,
                "kind": BudgetLine.Kind.INTERPRETATION,
                "language": language,
                "amount": "8000",
                "currency": "CHF",
            },
        )
    assert error.value.field == "language"
    assert not BudgetLine.objects.exists()


@pytest.mark.django_db
def test_an_event_has_one_interpretation_line_per_language(staff_user):
    french = InterpretationLineFactory(language="fr")
    data = {
        "event": french.event,
        "kind": BudgetLine.Kind.INTERPRETATION,
        "amount": "500",
        "currency": "USD",
    }
    with pytest.raises(DomainError) as error:
        services.budget_line_save(actor=staff_user, data={**data, "language": "fr"})
    assert error.value.field == "language"
    spanish = services.budget_line_save(actor=staff_user, data={**data, "language": "es"})
    assert spanish.language == "es"
    services.budget_line_save(actor=staff_user, line=french, data={"amount": "9000"})
    french.refresh_from_db()
    assert french.amount == D("9000")
    assert BudgetLine.objects.filter(event=french.event).count() == 2


@pytest.mark.django_db
def test_other_lines_than_interpretation_name_no_language(staff_user):
    event = EventFactory()
    line = services.budget_line_save(
        actor=staff_user,
        data={"event": event, "kind": "travel", "language": "fr", "amount": "1", "currency": "USD"},
    )
    assert line.language == ""
    interpretation = InterpretationLineFactory(language="es")
    services.budget_line_save(actor=staff_user, line=interpretation, data={"kind": "publication"})
    interpretation.refresh_from_db()
    assert (interpretation.kind, interpretation.language) == ("publication", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": "-100"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"kind": "catering"}, "kind"),
    ],
)
def test_a_budget_line_with_a_bad_value_is_refused_and_nothing_is_stored(staff_user, change, field):
    event = EventFactory()
    data = {"event": event, "kind": "venue", "amount": "100", "currency": "USD", **change}
    with pytest.raises(DomainError) as error:
        services.budget_line_save(actor=staff_user, data=data)
    assert error.value.field == field
    assert not BudgetLine.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_an_interpretation_line_without_an_activity_is_refused(staff_user):
    with pytest.raises(DomainError):
        services.budget_line_save(
            actor=staff_user,
            data={"kind": "interpretation", "language": "fr", "amount": "1", "currency": "USD"},
        )


@pytest.mark.django_db
def test_only_the_secretariat_writes_budgets(delegate):
    event = EventFactory()
    with pytest.raises(NotPermitted):
        services.budget_line_save(
            actor=delegate.user,
            data={"event": event, "kind": "venue", "amount": "1", "currency": "USD"},
        )
    assert not BudgetLine.objects.exists()


# pledge_record


@pytest.mark.django_db
def test_a_pledge_is_recorded_as_pledged_and_audited(staff_user):
    line = InterpretationLineFactory(language="fr", currency="CHF")
    donor = DonorFactory()
    pledge = services.pledge_record(
        actor=staff_user,
        donor=donor,
        event=line.event,
        amount="8000.00",
        currency="chf",
        pledged_on=MARCH_1,
        budget_line=line,
        note="For French interpretation",
    )
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PLEDGED
    assert (pledge.amount, pledge.currency, pledge.budget_line) == (D("8000.00"), "CHF", line)
    assert pledge.received_on is None
    assert _entries(pledge).get().changes["amount"] == "8000.00"


@pytest.mark.django_db
def test_a_pledge_earmarked_for_a_line_of_another_activity_is_refused(staff_user):
    line = InterpretationLineFactory()
    other_event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.pledge_record(
            actor=staff_user,
            donor=DonorFactory(),
            event=other_event,
            amount="100",
            currency="USD",
            pledged_on=MARCH_1,
            budget_line=line,
        )
    assert error.value.field == "budget_line"
    assert not Pledge.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, currency, field",
    [
        ("-500", "USD", "amount"),
        ("0", "USD", "amount"),
        ("NaN", "USD", "amount"),
        ("1e309", "USD", "amount"),
        ("12.345", "USD", "amount"),
        ("500", "XYZ", "currency"),
        ("500", "", "currency"),
    ],
)
def test_a_pledge_with_a_bad_amount_or_currency_is_refused(staff_user, amount, currency, field):
    event = EventFactory()
    with pytest.raises(DomainError) as error:
        services.pledge_record(
            actor=staff_user,
            donor=DonorFactory(),
            event=event,
            amount=amount,
            currency=currency,
            pledged_on=MARCH_1,
        )
    assert error.value.field == field
    assert not Pledge.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_only_the_secretariat_records_pledges(delegate):
    event = EventFactory()
    with pytest.raises(NotPermitted):
        services.pledge_record(
            actor=delegate.user,
            donor=DonorFactory(),
            event=event,
            amount="1",
            currency="USD",
            pledged_on=MARCH_1,
        )
    assert not Pledge.objects.exists()


# pledge_mark_received and pledge_withdraw


@pytest.mark.django_db
def test_a_pledge_received_keeps_the_day_it_arrived(staff_user):
    pledge = PledgeFactory()
    services.pledge_mark_received(
        actor=staff_user, pledge=pledge, received_on=datetime.date(2007, 5, 2)
    )
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.RECEIVED
    assert pledge.received_on == datetime.date(2007, 5, 2)
    assert _entries(pledge).get().changes == {
        "status": ["pledged", "received"],
        "received_on": [None, "2007-05-02"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Pledge.Status.RECEIVED, Pledge.Status.WITHDRAWN])
def test_only_a_pledge_not_yet_received_can_be_marked_received(staff_user, status):
    pledge = PledgeFactory(status=status, received_on=MARCH_1 if status == "received" else None)
    with pytest.raises(DomainError):
        services.pledge_mark_received(
            actor=staff_user, pledge=pledge, received_on=datetime.date(2007, 6, 1)
        )
    pledge.refresh_from_db()
    assert pledge.status == status
    assert not _entries(pledge).exists()


@pytest.mark.django_db
def test_a_withdrawn_pledge_stays_on_record_with_its_note(staff_user):
    pledge = PledgeFactory(note="Announced at the consultation")
    services.pledge_withdraw(actor=staff_user, pledge=pledge, note="Budget cut by the donor")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.WITHDRAWN
    assert pledge.note == "Budget cut by the donor"
    assert _entries(pledge).get().changes["status"] == ["pledged", "withdrawn"]


@pytest.mark.django_db
def test_withdrawing_without_a_note_keeps_the_earlier_note(staff_user):
    pledge = PledgeFactory(note="Announced at the consultation")
    services.pledge_withdraw(actor=staff_user, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.note == "Announced at the consultation"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Pledge.Status.RECEIVED, Pledge.Status.WITHDRAWN])
def test_only_a_pledge_not_yet_received_can_be_withdrawn(staff_user, status):
    pledge = PledgeFactory(status=status, received_on=MARCH_1 if status == "received" else None)
    with pytest.raises(DomainError):
        services.pledge_withdraw(actor=staff_user, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.status == status


@pytest.mark.django_db
def test_only_the_secretariat_marks_pledges_received_or_withdrawn(delegate):
    pledge = PledgeFactory()
    with pytest.raises(NotPermitted):
        services.pledge_mark_received(actor=delegate.user, pledge=pledge, received_on=MARCH_1)
    with pytest.raises(NotPermitted):
        services.pledge_withdraw(actor=delegate.user, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PLEDGED


# exchange_rate_set


@pytest.mark.django_db
def test_a_rate_is_stated_from_a_date_to_eight_decimals(staff_user):
    row = services.exchange_rate_set(
        actor=staff_user,
        currency="chf",
        rate="0.823456789",
        valid_from=datetime.date(2007, 6, 1),
        source="UN operational rates",
    )
    row.refresh_from_db()
    assert (row.currency, row.rate, row.valid_from) == (
        "CHF",
        D("0.82345679"),
        datetime.date(2007, 6, 1),
    )
    assert _entries(row).get().actor == staff_user


@pytest.mark.django_db
@pytest.mark.parametrize("rate", ["0", 0, "-0.8", "NaN", "Infinity", "abc", "", None, "1e10"])
def test_a_rate_that_is_not_a_positive_number_is_refused(staff_user, rate):
    with pytest.raises(DomainError) as error:
        services.exchange_rate_set(
            actor=staff_user, currency="CHF", rate=rate, valid_from=datetime.date(2007, 6, 1)
        )
    assert error.value.field == "rate"
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_a_rate_too_small_to_be_stored_is_refused_as_a_rate(staff_user):
    with pytest.raises(DomainError) as error:
        services.exchange_rate_set(
            actor=staff_user, currency="CHF", rate="0.000000001", valid_from=MARCH_1
        )
    assert error.value.field == "rate"


@pytest.mark.django_db
def test_a_rate_for_an_unknown_currency_is_refused(staff_user):
    with pytest.raises(DomainError) as error:
        services.exchange_rate_set(actor=staff_user, currency="XYZ", rate="1", valid_from=MARCH_1)
    assert error.value.field == "currency"
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_a_second_rate_for_the_same_day_replaces_the_first(staff_user):
    first = ExchangeRateFactory(currency="CHF", rate=D("0.80"), valid_from=MARCH_1)
    services.exchange_rate_set(
        actor=staff_user, currency="CHF", rate="0.81", valid_from=MARCH_1, source="Corrected"
    )
    row = ExchangeRate.objects.get()
    assert row.pk == first.pk
    assert (row.rate, row.source) == (D("0.81"), "Corrected")
    assert _entries(row).get().changes["rate"] == ["0.80000000", "0.81000000"]


@pytest.mark.django_db
def test_a_rate_from_another_day_is_kept_beside_the_earlier_one(staff_user):
    ExchangeRateFactory(currency="CHF", rate=D("0.80"), valid_from=MARCH_1)
    services.exchange_rate_set(
        actor=staff_user, currency="CHF", rate="0.82", valid_from=datetime.date(2007, 6, 1)
    )
    assert list(ExchangeRate.objects.values_list("valid_from", "rate")) == [
        (datetime.date(2007, 6, 1), D("0.82")),
        (MARCH_1, D("0.80")),
    ]


@pytest.mark.django_db
def test_only_the_secretariat_states_rates(delegate):
    with pytest.raises(NotPermitted):
        services.exchange_rate_set(
            actor=delegate.user, currency="CHF", rate="1", valid_from=MARCH_1
        )
    assert not ExchangeRate.objects.exists()
