"""The staff pages of funding: budget lines, pledges, exchange rates and the overview."""

import datetime
import decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.events import services as event_services
from dialogue.events.models import Event
from dialogue.funding import services
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

D = decimal.Decimal


def url(name: str, obj=None) -> str:
    return reverse(f"staff:{name}", args=[obj.pk] if obj is not None else [])


def _event(cycle, title: str, **data) -> Event:
    values = {
        "kind": Event.Kind.WORKSHOP,
        "cycle": cycle,
        "title_en": title,
        "precision": Event.Precision.SEASON,
        "year": cycle.year,
        "seasons": ["autumn"],
    }
    values.update(data)
    return event_services.event_save(actor=SYSTEM, data=values)


def _line(event, amount, currency="USD", kind="venue", language="") -> BudgetLine:
    return services.budget_line_save(
        actor=SYSTEM,
        data={
            "event": event,
            "kind": kind,
            "language": language,
            "amount": amount,
            "currency": currency,
        },
    )


def _pledge(event, amount, currency="USD", donor=None, line=None) -> Pledge:
    donor = donor or services.donor_for(actor=SYSTEM, organization=OrganizationFactory())
    return services.pledge_record(
        actor=SYSTEM,
        donor=donor,
        event=event,
        amount=amount,
        currency=currency,
        pledged_on=datetime.date(2008, 2, 1),
        budget_line=line,
    )


@pytest.fixture(autouse=True)
def _english():
    """Pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world():
    """A workshop with a venue line of 5,000 USD and a pledge of 1,000 USD."""
    cycle = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})
    event = _event(cycle, "Workshop on return migration")
    line = _line(event, "5000")
    pledge = _pledge(event, "1000")
    return SimpleNamespace(cycle=cycle, event=event, line=line, pledge=pledge)


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


def _stored() -> tuple[int, ...]:
    return (
        _writes(),
        BudgetLine.objects.count(),
        Pledge.objects.count(),
        Donor.objects.count(),
        ExchangeRate.objects.count(),
    )


# --- budget lines ---------------------------------------------------------------------


def test_adding_a_budget_line(staff_client, staff_user, world):
    response = staff_client.post(
        url("budget_line_add", world.event),
        {
            "kind": "interpretation",
            "language": "fr",
            "description": "Two interpreters, two days",
            "amount": "2400.50",
            "currency": "chf",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("event_detail", world.event)
    line = BudgetLine.objects.get(kind="interpretation")
    assert (line.event, line.language, line.amount, line.currency) == (
        world.event,
        "fr",
        D("2400.50"),
        "CHF",
    )
    assert AuditEntry.objects.get(
        object_type="funding.budgetline", object_id=str(line.pk)
    ).actor == (staff_user)


def test_changing_a_budget_line(staff_client, world):
    page = staff_client.get(url("budget_line_edit", world.line)).content.decode()
    assert 'value="5000.00"' in page

    staff_client.post(
        url("budget_line_edit", world.line),
        {
            "kind": "venue",
            "language": "",
            "description": "Conference room",
            "amount": "6000",
            "currency": "USD",
        },
    )

    world.line.refresh_from_db()
    assert (world.line.amount, world.line.description) == (D("6000"), "Conference room")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "An amount is a number greater than zero."),
        ({"amount": "0"}, "amount", "An amount is a number greater than zero."),
        ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code."),
        (
            {"kind": "interpretation", "language": ""},
            "language",
            "Say into which language the interpretation is.",
        ),
    ],
)
def test_invalid_budget_lines_are_refused_with_nothing_stored(
    staff_client, world, overrides, field, message
):
    before = _stored()
    data = {"kind": "travel", "language": "", "description": "", "amount": "100", "currency": "USD"}
    data.update(overrides)

    response = staff_client.post(url("budget_line_add", world.event), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert escape(message) in response.content.decode()
    assert _stored() == before


def test_a_second_line_for_the_same_interpretation_is_refused(staff_client, world):
    _line(world.event, "800", kind="interpretation", language="es")

    response = staff_client.post(
        url("budget_line_add", world.event),
        {
            "kind": "interpretation",
            "language": "es",
            "description": "",
            "amount": "100",
            "currency": "USD",
        },
    )

    assert response.context["form"].errors["language"] == [
        "This event already has a line for that interpretation."
    ]


# --- pledges --------------------------------------------------------------------------


def _pledge_form(**overrides) -> dict:
    data = {
        "donor": "",
        "budget_line": "",
        "amount": "2500",
        "currency": "EUR",
        "pledged_on": "2008-03-15",
        "note": "Letter of 15 March",
    }
    data.update(overrides)
    return data


def test_recording_a_pledge_of_a_member(staff_client, staff_user, world):
    mexico = MemberFactory(code="MEX")

    response = staff_client.post(
        url("pledge_record", world.event),
        _pledge_form(donor=f"member-{mexico.pk}", budget_line=str(world.line.pk)),
    )

    assert response.status_code == 302
    pledge = Pledge.objects.get(donor__member=mexico)
    assert (pledge.event, pledge.budget_line, pledge.amount, pledge.currency) == (
        world.event,
        world.line,
        D("2500"),
        "EUR",
    )
    assert pledge.pledged_on == datetime.date(2008, 3, 15)
    assert pledge.status == Pledge.Status.PLEDGED
    assert AuditEntry.objects.get(object_type="funding.pledge", object_id=str(pledge.pk)).actor == (
        staff_user
    )


def test_recording_a_pledge_of_an_organization_reuses_its_donor_record(staff_client, world):
    foundation = OrganizationFactory(name_en="A Foundation")
    donor = services.donor_for(actor=SYSTEM, organization=foundation)

    staff_client.post(
        url("pledge_record", world.event), _pledge_form(donor=f"organization-{foundation.pk}")
    )

    assert Pledge.objects.get(donor__organization=foundation).donor == donor
    assert Donor.objects.filter(organization=foundation).count() == 1


def test_the_pledge_form_offers_members_organizations_and_the_event_lines(staff_client, world):
    MemberFactory(code="SEN")
    OrganizationFactory(name_en="A Foundation")
    other = _event(world.cycle, "Another workshop")
    _line(other, "10", kind="publication")

    page = staff_client.get(url("pledge_record", world.event)).content.decode()

    assert "Senegal" in page
    assert "A Foundation" in page
    assert "Venue (5000.00 USD)" in page
    assert "Publication (10.00 USD)" not in page  # a line of another event


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-100"}, "amount", "An amount is a number greater than zero."),
        ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code."),
        ({"donor": ""}, "donor", "This field is required."),
        ({"pledged_on": ""}, "pledged_on", "This field is required."),
    ],
)
def test_invalid_pledges_are_refused_with_nothing_stored(
    staff_client, world, overrides, field, message
):
    """Not even the donor record of a first-time donor is kept when the pledge is refused."""
    senegal = MemberFactory(code="SEN")
    before = _stored()

    response = staff_client.post(
        url("pledge_record", world.event),
        _pledge_form(**{"donor": f"member-{senegal.pk}", **overrides}),
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert _stored() == before
    assert not Donor.objects.filter(member=senegal).exists()


def test_a_pledge_cannot_be_earmarked_for_another_event_line(staff_client, world):
    other = _event(world.cycle, "Another workshop")
    foreign = _line(other, "10")
    before = _stored()

    response = staff_client.post(
        url("pledge_record", world.event),
        _pledge_form(donor=f"member-{MemberFactory().pk}", budget_line=str(foreign.pk)),
    )

    assert "budget_line" in response.context["form"].errors
    assert _stored() == before


def test_marking_a_contribution_received(staff_client, world):
    response = staff_client.post(
        url("pledge_mark_received", world.pledge), {"received_on": "2008-04-02"}
    )

    assert response.status_code == 302
    world.pledge.refresh_from_db()
    assert world.pledge.status == Pledge.Status.RECEIVED
    assert world.pledge.received_on == datetime.date(2008, 4, 2)
    detail = staff_client.get(url("event_detail", world.event))
    assert detail.context["coverage"].received == D("1000")


def test_a_contribution_is_received_once(staff_client, world):
    services.pledge_mark_received(
        actor=SYSTEM, pledge=world.pledge, received_on=datetime.date(2008, 4, 2)
    )
    before = _stored()

    response = staff_client.post(
        url("pledge_mark_received", world.pledge), {"received_on": "2008-05-01"}
    )

    assert response.status_code == 400
    assert "Only a pledge not yet received can be marked received." in response.content.decode()
    assert _stored() == before


def test_a_withdrawn_pledge_stays_on_record_and_covers_nothing(staff_client, world):
    response = staff_client.post(url("pledge_withdraw", world.pledge), {"note": "Budget cuts"})

    assert response.status_code == 302
    world.pledge.refresh_from_db()
    assert (world.pledge.status, world.pledge.note) == (Pledge.Status.WITHDRAWN, "Budget cuts")
    detail = staff_client.get(url("event_detail", world.event))
    assert detail.context["coverage"].pledged == 0
    assert 'class="withdrawn"' in detail.content.decode()


# --- interpretation and confirmation ---------------------------------------------------


def test_interpretation_is_offered_once_its_earmarked_line_is_covered(staff_client, world):
    event_services.event_save(
        actor=SYSTEM, event=world.event, data={"interpretation_languages": ["fr"]}
    )
    french = _line(world.event, "800", kind="interpretation", language="fr")
    _pledge(world.event, "500", line=french)

    page = staff_client.get(url("event_detail", world.event)).content.decode()
    assert 'French: <span class="not-covered">not offered until its budget line is covered' in page

    _pledge(world.event, "300", line=french)

    response = staff_client.get(url("event_detail", world.event))
    assert 'French: <span class="covered">offered</span>' in response.content.decode()
    assert [row["offered"] for row in response.context["interpretation"]] == [True]


def test_an_unearmarked_pledge_does_not_pay_for_interpretation(staff_client, world):
    event_services.event_save(
        actor=SYSTEM,
        event=world.event,
        data={"interpretation_languages": ["es"], "contingent_on_funding": True},
    )
    _line(world.event, "800", kind="interpretation", language="es")
    _pledge(world.event, "4800")  # the total is covered, the Spanish line is not

    response = staff_client.post(url("event_confirm", world.event))

    assert response.status_code == 400
    assert "its budget is not covered" in response.content.decode()
    assert (
        "not offered until its budget line is covered"
        in staff_client.get(url("event_detail", world.event)).content.decode()
    )


# --- exchange rates -------------------------------------------------------------------


def test_stating_an_exchange_rate(staff_client, staff_user):
    response = staff_client.post(
        url("funding_rates"),
        {
            "currency": "eur",
            "rate": "1.4712",
            "valid_from": "2008-01-01",
            "source": "UN operational rates",
        },
        follow=True,
    )

    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.rate, rate.valid_from) == (
        "EUR",
        D("1.4712"),
        datetime.date(2008, 1, 1),
    )
    page = response.content.decode()
    assert "1 EUR = 1.4712 USD" in page
    assert "UN operational rates" in page
    assert AuditEntry.objects.get(object_type="funding.exchangerate").actor == staff_user


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code."),
        ({"rate": "-1"}, "rate", "A rate is a number greater than zero."),
        ({"rate": "abc"}, "rate", "Enter a number."),
        ({"valid_from": ""}, "valid_from", "This field is required."),
    ],
)
def test_invalid_rates_are_refused_with_nothing_stored(staff_client, overrides, field, message):
    before = _stored()
    data = {"currency": "EUR", "rate": "1.5", "valid_from": "2008-01-01", "source": ""}
    data.update(overrides)

    response = staff_client.post(url("funding_rates"), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert _stored() == before


# --- the overview ---------------------------------------------------------------------


def test_overview_shows_every_activity_by_gap_in_the_reporting_currency(staff_client, world):
    services.exchange_rate_set(
        actor=SYSTEM, currency="CHF", rate="0.9", valid_from=datetime.date(2000, 1, 1)
    )
    seminar = _event(world.cycle, "Seminar in Swiss francs", kind="expert_seminar")
    _line(seminar, "10000", currency="CHF")  # 9,000 USD
    received = _pledge(seminar, "1000", currency="CHF")  # 900 USD
    services.pledge_mark_received(
        actor=SYSTEM, pledge=received, received_on=datetime.date(2008, 3, 1)
    )
    covered = _event(world.cycle, "Covered training", kind="training")
    _line(covered, "300")
    _pledge(covered, "300")

    response = staff_client.get(url("funding_overview"))

    rows = response.context["rows"]
    assert [event.title for event, _dates, _coverage in rows] == [
        "Seminar in Swiss francs",
        "Workshop on return migration",
        "Covered training",
    ]
    first = rows[0][2]
    assert (first.budget, first.pledged, first.received, first.gap) == (
        D("9000.00"),
        D("900.00"),
        D("900.00"),
        D("8100.00"),
    )
    assert rows[2][2].covered
    assert response.context["totals"]["gap"] == D("12100.00")
    page = response.content.decode()
    assert "8,100.00" in page
    assert "12,100.00" in page
    assert "autumn 2008" in page
    assert '<svg class="bar-chart"' in page
    assert "Seminar in Swiss francs: 8100" in page
    assert "<script" not in page


def test_overview_flags_missing_exchange_rates(staff_client, world):
    _pledge(world.event, "700", currency="GBP")

    response = staff_client.get(url("funding_overview"))

    page = response.content.decode()
    assert response.context["missing_rates"] == ["GBP"]
    assert "No exchange rate is stated for GBP" in page
    assert "No rate for GBP" in page


def test_overview_leaves_out_cancelled_activities_unless_asked(staff_client, world):
    event_services.event_cancel(actor=SYSTEM, event=world.event, reason="insufficient_funding")
    other = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2009})
    later = _event(other, "Workshop of 2009")

    def titles(**query):
        response = staff_client.get(url("funding_overview"), query)
        return [event.title for event, _dates, _coverage in response.context["rows"]]

    assert titles() == ["Workshop of 2009"]
    assert titles(cancelled="on") == ["Workshop on return migration", "Workshop of 2009"]
    assert titles(cancelled="on", cycle=world.cycle.pk) == ["Workshop on return migration"]
    assert later.status == Event.Status.PROPOSED


def _overview_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("funding_overview")).status_code == 200
    return len(queries)


def test_overview_adds_no_queries_per_activity_beyond_its_coverage(staff_client, world):
    """Each activity costs the three reads of its coverage; the page itself adds none."""
    few = _overview_queries(staff_client)
    for n in range(5):
        event = _event(world.cycle, f"Workshop {n}")
        _pledge(_line(event, "100").event, "50")

    assert _overview_queries(staff_client) - few <= 5 * 3


# --- admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def test_admin_adds_budget_lines_through_the_service(admin_client, world, staff_user):
    response = admin_client.post(
        reverse("admin:funding_budgetline_add"),
        {
            "event": world.event.pk,
            "kind": "travel",
            "language": "",
            "amount": "1200",
            "currency": "eur",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    line = BudgetLine.objects.get(kind="travel")
    assert line.currency == "EUR"
    assert AuditEntry.objects.get(
        object_type="funding.budgetline", object_id=str(line.pk)
    ).actor == (staff_user)


def test_admin_shows_the_service_refusal(admin_client, world):
    before = _stored()

    response = admin_client.post(
        reverse("admin:funding_budgetline_add"),
        {
            "event": world.event.pk,
            "kind": "interpretation",
            "language": "",
            "amount": "10",
            "currency": "USD",
        },
    )

    assert response.status_code == 200
    assert "Say into which language the interpretation is." in response.content.decode()
    assert _stored() == before


def test_admin_states_rates_and_keeps_pledges_as_recorded(admin_client, world):
    response = admin_client.post(
        reverse("admin:funding_exchangerate_add"),
        {"currency": "CHF", "rate": "0.95", "valid_from": "2008-01-01", "source": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ExchangeRate.objects.get().rate == D("0.95")

    for name in ("pledge", "donor", "budgetline", "exchangerate"):
        assert admin_client.get(reverse(f"admin:funding_{name}_changelist")).status_code == 200
    change = admin_client.get(reverse("admin:funding_pledge_change", args=[world.pledge.pk]))
    assert change.status_code == 200
    assert b'name="amount"' not in change.content
