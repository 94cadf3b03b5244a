"""Demo data of the 2007 events and their funding, written through the event and funding services.

What the 2007 Discussion Note reports about the events of the dialogue, as the
secretariat would have recorded it: the expert seminar on Migration and the
Environment held in Bangkok in February 2007 with its 25 experts, the larger
workshop on the same theme that could not be organized for lack of funding (with
its budget and the too little that was pledged), the two intersessional workshops
of 2007 (the events the decision on the workshop topics created, given their
dates and confirmed), the training on International Migration Law of March 2006
and its repetition on 6 July 2007 with interpretation paid by Switzerland, and the
training on Labour Migration planned for the summer or autumn of 2007.

The data lives in `data/events.toml` (exchange rates, events, budget lines,
pledges) and `data/registrations.csv` (the seminar's participants; the experts
themselves are persons of `data/persons.csv`, loaded with the membership).
Records are found again by natural keys (an event by cycle, kind and English
title, an intersessional workshop by its topic, a budget line by event, kind and
language, a pledge by donor, event, line and date, an invitation and a
registration by event and person), so a second run writes nothing.

Each event goes the way the data's `statuses` says, one service call per step
(confirmed, then held; seeking funding, then cancelled), so the audit trail
shows how it got where it is. The participants of an event are invited and
registered through the registration services, each told the time with `now=`,
after the event is confirmed and before it is marked held; the services record
their kind of affiliation and region from their organization.

Events of the past must not e-mail anyone today: while this loader runs, the
background tasks the services queue (invitations, registration notices, date
changes) are dropped (`_without_messages`).

One write has no service yet and is done by a stand-in kept apart at the end of
this module, audited like the services' writes: moving a proposed event into
planning (`_plan_event`).
"""

import contextlib
import datetime
import decimal
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.db.models import Count
from django.test.utils import override_settings

from dialogue.core import audit
from dialogue.core.errors import DomainError
from dialogue.core.services import save_audited
from dialogue.demo.cycle_loader import _cycle, _proposal, _toml, geneva_time
from dialogue.demo.loader import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Counts,
    Row,
    Step,
    _organization_names,
    ensure_staff_account,
    read_rows,
    run_steps,
)
from dialogue.events import registration as registrations
from dialogue.events import selectors as event_selectors
from dialogue.events import services as events
from dialogue.events.models import Event, Invitation
from dialogue.funding import selectors as funding_selectors
from dialogue.funding import services as funding
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members.models import Member, Organization, Person

HELD = Event.Status.HELD
# The fields of an event the data files may set through `event_save`.
EVENT_DATA_FIELDS = tuple(
    name
    for name in events.EVENT_FIELDS
    if name not in events.STATUS_FIELDS + events.OUTCOME_FIELDS
    and name not in ("cycle", "topic", "previous_session", "host")
)
# Where the tasks the services queue go while the past is loaded: nowhere.
SILENT_TASKS_BACKEND = "django_tasks.backends.dummy.DummyBackend"


# --- data files -----------------------------------------------------------------


def _events_file(section: str) -> list[Row]:
    return _toml("events.toml").get(section, [])


def rate_rows() -> list[Row]:
    return _events_file("rate")


def event_rows() -> list[Row]:
    return _events_file("event")


def held_event_rows() -> list[Row]:
    return [row for row in event_rows() if HELD in row.get("statuses", [])]


def budget_line_rows() -> list[Row]:
    return _events_file("budget_line")


def pledge_rows() -> list[Row]:
    return _events_file("pledge")


def registration_rows() -> list[Row]:
    return read_rows("registrations.csv")


def _event_spec(key: str) -> Row:
    for row in event_rows():
        if row["key"] == key:
            return row
    raise DomainError(f"No event '{key}' in events.toml.", field="event")


# --- finding what the data names ----------------------------------------------------


def _find_event(spec: Row) -> Event | None:
    """The event a row of events.toml describes, if it was loaded."""
    if spec.get("from_decision"):
        return (
            Event.objects.filter(topic=_proposal(spec["topic"]), kind=spec["kind"])
            .order_by("pk")
            .first()
        )
    return (
        Event.objects.filter(
            cycle__year=spec["cycle"], kind=spec["kind"], title_en=spec["title_en"]
        )
        .order_by("pk")
        .first()
    )


def _event(key: str) -> Event:
    spec = _event_spec(key)
    event = _find_event(spec)
    if event is None:
        raise DomainError(f"No event '{key}'.", field="event")
    return event


def _partners(acronyms: list[str]) -> list[Organization]:
    """The stakeholder organizations of the data that exist, by acronym; others are left out."""
    names = _organization_names()
    wanted = [names[acronym] for acronym in acronyms if acronym in names]
    return list(Organization.objects.filter(name_en__in=wanted))


def _member(code: str) -> Member:
    member = Member.objects.filter(code=code.upper()).first()
    if member is None:
        raise DomainError(f"No member with code '{code}'.", field="donor")
    return member


def _budget_line(event: Event, name: str) -> BudgetLine | None:
    """The line "kind" or "interpretation:fr" of an event's budget."""
    if not name:
        return None
    kind, _sep, language = name.partition(":")
    line = BudgetLine.objects.filter(event=event, kind=kind, language=language).first()
    if line is None:
        raise DomainError(f"No budget line '{name}' for {event.title_en}.", field="line")
    return line


# --- exchange rates ------------------------------------------------------------------


RATE_FIELDS = ("currency", "rate", "valid_from", "source")


def apply_rate(actor, row: Row) -> str:
    """State a currency's rate to the reporting currency from a date on."""
    currency = row["currency"].upper()
    existing = ExchangeRate.objects.filter(currency=currency, valid_from=row["valid_from"]).first()
    before = audit.snapshot(existing, RATE_FIELDS) if existing else None
    saved = funding.exchange_rate_set(
        actor=actor,
        currency=currency,
        rate=row["rate"],
        valid_from=row["valid_from"],
        source=row.get("source", ""),
    )
    if before is None:
        return CREATED
    return UNCHANGED if audit.snapshot(saved, RATE_FIELDS) == before else UPDATED


# --- events ----------------------------------------------------------------------------


def _event_data(row: Row) -> dict[str, Any]:
    data: dict[str, Any] = {name: row[name] for name in EVENT_DATA_FIELDS if name in row}
    if not row.get("from_decision"):
        data["cycle"] = _cycle(row["cycle"])
        data["topic"] = _proposal(row["topic"]) if row.get("topic") else None
        data["previous_session"] = (
            _event(row["previous_session"]) if row.get("previous_session") else None
        )
    return data


def apply_event(actor, row: Row) -> str:
    """Plan an event, or put its details back to the data; an intersessional workshop of the
    data must already exist (the decision on the workshop topics created it)."""
    data = _event_data(row)
    partners = _partners(row["partners"]) if "partners" in row else None
    event = _find_event(row)
    if event is None:
        if row.get("from_decision"):
            raise DomainError(
                f"No workshop on '{row['topic']}': the decision on the workshop topics "
                "should have created it.",
                field="topic",
            )
        events.event_save(actor=actor, data=data, partners=partners)
        return CREATED
    before = audit.snapshot(event, events.EVENT_FIELDS)
    partners_before = set(event.partners.values_list("pk", flat=True))
    event = events.event_save(actor=actor, data=data, event=event, partners=partners)
    partners_after = set(event.partners.values_list("pk", flat=True))
    unchanged = (
        audit.snapshot(event, events.EVENT_FIELDS) == before and partners_after == partners_before
    )
    return UNCHANGED if unchanged else UPDATED


def _remaining(event: Event, statuses: list[str]) -> list[str]:
    """The steps of the data's way still ahead of the event."""
    if event.status in statuses:
        return statuses[statuses.index(event.status) + 1 :]
    return list(statuses)


def apply_status(actor, row: Row) -> str:
    """Take the event the way the data says, up to (not including) being held.

    A step taken is a new fact, so it counts as created, like the closing of a survey.
    """
    event = _event(row["key"])
    steps = [status for status in _remaining(event, row.get("statuses", [])) if status != HELD]
    for status in steps:
        if status == Event.Status.PLANNING:
            event = _plan_event(actor, event)
        elif status == Event.Status.SEEKING_FUNDING:
            event = events.event_seek_funding(actor=actor, event=event)
        elif status == Event.Status.CONFIRMED:
            event = events.event_confirm(actor=actor, event=event)
        elif status == Event.Status.CANCELLED:
            event = events.event_cancel(
                actor=actor,
                event=event,
                reason=row.get("cancellation_reason", ""),
                note=row.get("cancellation_note", ""),
            )
        else:
            raise DomainError(f"Unknown status '{status}' in the data.", field="statuses")
    return CREATED if steps else UNCHANGED


def apply_outcome(actor, row: Row) -> str:
    """Mark a held event held with its summary, recommendations and follow-up."""
    event = _event(row["key"])
    data = {name: row[name] for name in events.OUTCOME_FIELDS if name in row}
    if event.status == HELD and all(getattr(event, name) == value for name, value in data.items()):
        return UNCHANGED
    was_held = event.status == HELD
    events.event_record_outcome(actor=actor, event=event, data=data)
    return UPDATED if was_held else CREATED


# --- funding -------------------------------------------------------------------------------


def apply_budget_line(actor, row: Row) -> str:
    """Add a line to an activity's budget, or put its description and amount back."""
    event = _event(row["event"])
    language = row.get("language", "")
    data = {
        "event": event,
        "kind": row["kind"],
        "language": language,
        "description": row.get("description", ""),
        "amount": row["amount"],
        "currency": row["currency"],
    }
    line = BudgetLine.objects.filter(event=event, kind=row["kind"], language=language).first()
    if line is None:
        funding.budget_line_save(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(line, funding.LINE_FIELDS)
    line = funding.budget_line_save(actor=actor, data=data, line=line)
    return UNCHANGED if audit.snapshot(line, funding.LINE_FIELDS) == before else UPDATED


def apply_pledge(actor, row: Row) -> str:
    """Record a donor's pledge, then its receipt when the data gives a date.

    A pledge is a fact of the past: one that differs from the data in amount or
    currency is not rewritten (no service changes a pledge); the load stops instead.
    """
    event = _event(row["event"])
    donor_found = Donor.objects.filter(member__code=row["donor"].upper()).first()
    donor = donor_found or funding.donor_for(actor=actor, member=_member(row["donor"]))
    line = _budget_line(event, row.get("line", ""))
    pledge = Pledge.objects.filter(
        donor=donor, event=event, budget_line=line, pledged_on=row["pledged_on"]
    ).first()
    outcome = UNCHANGED
    if pledge is None:
        pledge = funding.pledge_record(
            actor=actor,
            donor=donor,
            event=event,
            amount=row["amount"],
            currency=row["currency"],
            pledged_on=row["pledged_on"],
            budget_line=line,
            note=row.get("note", ""),
        )
        outcome = CREATED
    elif (pledge.amount, pledge.currency) != (
        funding.clean_amount(row["amount"]),
        funding.clean_currency(row["currency"]),
    ):
        raise DomainError(
            f"The pledge recorded on {pledge.pledged_on} is {pledge.amount} {pledge.currency}; "
            "a recorded pledge is not rewritten.",
            field="amount",
        )
    received_on = row.get("received_on")
    if received_on and pledge.status == Pledge.Status.PLEDGED:
        funding.pledge_mark_received(actor=actor, pledge=pledge, received_on=received_on)
        outcome = outcome if outcome == CREATED else UPDATED
    return outcome


# --- participants ------------------------------------------------------------------------


def apply_registration(actor, row: Row) -> str:
    """Invite a participant of an event in person (when it is by invitation only), then
    register them, each at the time of the data, through the registration services."""
    event = _event(row["event"])
    person = Person.objects.filter(email__iexact=row["email"]).first()
    if person is None:
        raise DomainError(f"No person with e-mail {row['email']}.", field="email")
    outcome = UNCHANGED
    invited = Invitation.objects.filter(event=event, person=person).exists()
    if event.invitation_only and row.get("invited_at") and not invited:
        registrations.invite_persons(
            actor=actor, event=event, persons=[person], now=geneva_time(row["invited_at"])
        )
        outcome = CREATED
    if registrations.registration_of(event, person) is None:
        registrations.registration_create(
            actor=actor, event=event, person=person, now=geneva_time(row["registered_at"])
        )
        outcome = CREATED
    return outcome


EVENT_STEPS = (
    Step("rates", "Exchange rates", rate_rows, apply_rate, lambda r: r["currency"]),
    Step("events", "Events", event_rows, apply_event, lambda r: r["key"]),
    Step(
        "budget_lines",
        "Budget lines",
        budget_line_rows,
        apply_budget_line,
        lambda r: f"{r['event']} {r['kind']} {r.get('language', '')}".strip(),
    ),
    Step(
        "pledges",
        "Pledges",
        pledge_rows,
        apply_pledge,
        lambda r: f"{r['donor']} {r['event']} {r.get('line', '')}".strip(),
    ),
    Step("event_statuses", "Event statuses", event_rows, apply_status, lambda r: r["key"]),
    Step(
        "registrations",
        "Registrations",
        registration_rows,
        apply_registration,
        lambda r: f"{r['event']} {r['email']}",
    ),
    Step("outcomes", "Outcomes of held events", held_event_rows, apply_outcome, lambda r: r["key"]),
)


def load_events(*, stdout: IO[str] | None = None) -> Counts:
    """Load the demo events and their funding after the cycles, as the demo staff login.

    Returns, for each step, how many rows were created, updated or left unchanged.
    """
    actor, _outcome = ensure_staff_account()
    with _without_messages():
        return run_steps(EVENT_STEPS, actor=actor, stdout=stdout)


@contextlib.contextmanager
def _without_messages() -> Iterator[None]:
    """Drop the background tasks the services queue meanwhile, so that recording events of
    the past (invitations sent, registrations made, dates set) e-mails nobody today."""
    tasks = {name: dict(backend) for name, backend in settings.TASKS.items()}
    tasks["default"] = {**tasks.get("default", {}), "BACKEND": SILENT_TASKS_BACKEND}
    with override_settings(TASKS=tasks):
        yield


# --- what the closing report shows ------------------------------------------------------


# Where an event known only to its season falls among the others of its year.
SEASON_MONTHS = {"winter": 1, "spring": 4, "summer": 7, "autumn": 10}


def _chronological(event: Event) -> tuple:
    """Sort key: by cycle, then by the earliest day the event can fall on; undated last."""
    if event.start_date:
        day = event.start_date
    elif event.year:
        month = event.month or min(
            (SEASON_MONTHS[s] for s in event.seasons or [] if s in SEASON_MONTHS), default=1
        )
        day = datetime.date(event.year, month, 15 if event.seasons else 1)
    else:
        day = datetime.date.max
    return (event.cycle.year, day, event.pk)


def events_overview() -> list[dict[str, str]]:
    """Each event with its cycle, kind, dates as precisely as known, and status, in order."""
    rows = []
    for event in sorted(Event.objects.select_related("cycle"), key=_chronological):
        status = str(event.get_status_display())
        if event.status == Event.Status.CANCELLED and event.cancellation_reason:
            status = f"{status}: {event.get_cancellation_reason_display().lower()}"
        rows.append(
            {
                "cycle": event.cycle.name_en,
                "kind": str(event.get_kind_display()),
                "title": event.title_en,
                "dates": event_selectors.dates_text(event, language="en"),
                "status": status,
            }
        )
    return rows


def events_by_status() -> dict[str, int]:
    """How many events there are in each status (every status listed, zero included)."""
    counted = dict(Event.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {str(label): counted.get(value, 0) for value, label in Event.Status.choices}


def funding_overview(on: datetime.date | None = None) -> dict[str, Any]:
    """Each activity with a budget or pledges, in the reporting currency, with the totals."""
    funded = (
        Event.objects.filter(pk__in=BudgetLine.objects.values("event"))
        | Event.objects.filter(pk__in=Pledge.objects.values("event"))
    ).distinct()
    zero = decimal.Decimal(0)
    totals = {"budget": zero, "pledged": zero, "received": zero, "gap": zero}
    rows = []
    for event, covered in funding_selectors.funding_overview(funded, on):
        row = {
            "title": event.title_en,
            "kind": str(event.get_kind_display()),
            "status": str(event.get_status_display()),
            "budget": covered.budget,
            "pledged": covered.pledged,
            "received": covered.received,
            "gap": covered.gap,
            "requested": list(event.interpretation_languages or []),
            "interpretation": funding_selectors.interpretation_offered(event, on),
            "missing_rates": covered.missing_rates,
        }
        for name in totals:
            totals[name] += row[name]
        rows.append(row)
    return {"currency": funding_selectors.reporting_currency(), "rows": rows, "totals": totals}


# --- stand-in for a service still to come -------------------------------------------------
#
# It writes what a service would, audited by the staff login. Replace the body with the
# service call once it exists.


def _plan_event(actor, event: Event) -> Event:
    """Move a proposed event into planning.

    Stand-in: the events services have no call for this step yet (`event_save` leaves
    the status alone and `workshop_plan_for_topic` serves workshops of a selected topic).
    """
    if event.status != Event.Status.PROPOSED:
        raise DomainError("Only a proposed event can go into planning.", field="statuses")
    before = audit.snapshot(event, events.EVENT_FIELDS)
    event.status = Event.Status.PLANNING
    return save_audited(event, actor=actor, fields=events.EVENT_FIELDS, before=before)
