"""Writes of the events app: planning, dates, status and outcomes."""

from typing import Any

import pycountry
from django.db import transaction
from django.utils.translation import gettext as _

from dialogue.core import audit
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.services import save_audited
from dialogue.cycles.models import Proposal
from dialogue.events import rules
from dialogue.events.models import Event

EVENT_FIELDS = (
    "kind",
    "cycle",
    "topic",
    "previous_session",
    "title_en",
    "title_fr",
    "title_es",
    "description_en",
    "description_fr",
    "description_es",
    "status",
    "cancellation_reason",
    "cancellation_note",
    "precision",
    "year",
    "month",
    "seasons",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "time_zone",
    "city",
    "country",
    "place",
    "host",
    "audience",
    "invitation_only",
    "capacity",
    "requires_approval",
    "working_languages",
    "interpretation_languages",
    "contingent_on_funding",
    "is_public",
    "outcome_summary_en",
    "outcome_summary_fr",
    "outcome_summary_es",
    "recommendations_en",
    "recommendations_fr",
    "recommendations_es",
    "follow_up_en",
    "follow_up_fr",
    "follow_up_es",
    "expected_participants",
)
DATE_FIELDS = (
    "precision",
    "year",
    "month",
    "seasons",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "time_zone",
)
STATUS_FIELDS = ("status", "cancellation_reason", "cancellation_note")
OUTCOME_FIELDS = tuple(
    f for f in EVENT_FIELDS if f.startswith(("outcome_", "recommendations_", "follow_up_"))
)
LANGUAGES = ("en", "fr", "es")


def _check(event: Event) -> None:
    problem = rules.check_dates(
        precision=event.precision,
        year=event.year,
        month=event.month,
        seasons=list(event.seasons or []),
        start_date=event.start_date,
        end_date=event.end_date,
        start_time=event.start_time,
        end_time=event.end_time,
    )
    if problem:
        raise DomainError(problem[1], field=problem[0])
    event.country = (event.country or "").strip().upper()
    if event.country and (
        len(event.country) != 3 or pycountry.countries.get(alpha_3=event.country.upper()) is None
    ):
        raise DomainError(
            _("ISO code '%(code)s' is not a country.") % {"code": event.country}, field="country"
        )
    event.country = event.country.upper()
    for name in ("working_languages", "interpretation_languages"):
        value = getattr(event, name) or []
        if not isinstance(value, list) or any(v not in LANGUAGES for v in value):
            raise DomainError(_("Languages are given as en, fr and es."), field=name)
    if event.previous_session_id and event.previous_session_id == event.pk:
        raise DomainError(
            _("An event cannot be a new session of itself."), field="previous_session"
        )
    if event.capacity is not None and event.capacity < 1:
        raise DomainError(_("The capacity is at least one person."), field="capacity")
    if event.precision != Event.Precision.DAY:
        event.start_date = event.end_date = event.start_time = event.end_time = None
    if event.precision != Event.Precision.MONTH:
        event.month = None
    if event.precision != Event.Precision.SEASON:
        event.seasons = []
    if event.precision in (Event.Precision.DAY, Event.Precision.TBD):
        event.year = event.start_date.year if event.start_date else None


def _dates(event: Event) -> dict[str, Any]:
    """The fields that say when an event is, as JSON-ready values."""
    return {
        "precision": event.precision,
        "year": event.year,
        "month": event.month,
        "seasons": list(event.seasons or []),
        "start_date": event.start_date.isoformat() if event.start_date else None,
        "end_date": event.end_date.isoformat() if event.end_date else None,
        "start_time": event.start_time.isoformat() if event.start_time else None,
        "end_time": event.end_time.isoformat() if event.end_time else None,
        "time_zone": event.time_zone,
    }


@transaction.atomic
def event_save(*, actor, data: dict[str, Any], event: Event | None = None, partners=None) -> Event:
    """Plan a new event or change one; a change of its dates notifies the invitees.

    Status and outcome change only through their own services.
    """
    require_staff(actor)
    if event is not None:
        event = Event.objects.select_for_update().get(pk=event.pk)
    before = audit.snapshot(event, EVENT_FIELDS) if event else None
    dates_before = _dates(event) if event else None
    event = event or Event()
    for name in EVENT_FIELDS:
        if name in data and name not in STATUS_FIELDS + OUTCOME_FIELDS:
            setattr(event, name, data[name])
    _check(event)
    save_audited(event, actor=actor, fields=EVENT_FIELDS, before=before)
    if partners is not None:
        partners_before = sorted(str(p) for p in event.partners.all())
        event.partners.set(partners)
        partners_after = sorted(str(p) for p in partners)
        if partners_before != partners_after:
            audit.record(
                actor=actor,
                action="update",
                obj=event,
                changes={"partners": [partners_before, partners_after]},
            )
    if dates_before is not None and _dates(event) != dates_before:
        from dialogue.events.tasks import notify_date_change

        event_id = event.pk
        transaction.on_commit(lambda: notify_date_change.enqueue(event_id, dates_before))
    return event


@transaction.atomic
def workshop_plan_for_topic(*, actor, topic: Proposal) -> Event:
    """The intersessional workshop in planning for a selected topic (created once)."""
    require_staff(actor)
    existing = (
        Event.objects.filter(topic=topic, kind=Event.Kind.WORKSHOP)
        .exclude(status=Event.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    event = Event(
        kind=Event.Kind.WORKSHOP,
        cycle=topic.cycle,
        topic=topic,
        title_en=topic.title_en,
        title_fr=topic.title_fr,
        title_es=topic.title_es,
        status=Event.Status.PLANNING,
    )
    return save_audited(event, actor=actor, fields=EVENT_FIELDS)


@transaction.atomic
def workshop_drop_for_topic(*, actor, topic: Proposal) -> Event | None:
    """Cancel the workshop still being planned for a topic a later decision dropped.

    A workshop already confirmed or held is left alone; the record is kept either way.
    """
    require_staff(actor)
    event = Event.objects.filter(
        topic=topic,
        kind=Event.Kind.WORKSHOP,
        status__in=[Event.Status.PROPOSED, Event.Status.PLANNING],
    ).first()
    if event is None:
        return None
    before = audit.snapshot(event, EVENT_FIELDS)
    event.status = Event.Status.CANCELLED
    event.cancellation_reason = Event.CancellationReason.OTHER
    event.cancellation_note = "The membership no longer selected this topic."
    return save_audited(
        event, actor=actor, fields=EVENT_FIELDS, before=before, note="topic no longer selected"
    )


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _transition(actor, event: Event, status: str, **changes) -> Event:
    before = audit.snapshot(event, EVENT_FIELDS)
    event.status = status
    for name, value in changes.items():
        setattr(event, name, value)
    return save_audited(event, actor=actor, fields=EVENT_FIELDS, before=before)


@transaction.atomic
def event_seek_funding(*, actor, event: Event) -> Event:
    """Mark a proposed or planned event as waiting for funding."""
    require_staff(actor)
    event = _locked(event)
    if event.status not in (Event.Status.PROPOSED, Event.Status.PLANNING, Event.Status.POSTPONED):
        raise DomainError(_("Only an event not yet confirmed can seek funding."))
    return _transition(actor, event, Event.Status.SEEKING_FUNDING)


@transaction.atomic
def event_confirm(*, actor, event: Event) -> Event:
    """Confirm an event; one held only if funding is secured needs its budget covered."""
    from dialogue.funding.selectors import coverage

    require_staff(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED, Event.Status.CONFIRMED):
        raise DomainError(
            _("An event that is %(status)s cannot be confirmed.")
            % {"status": event.get_status_display().lower()}
        )
    if event.contingent_on_funding:
        covered = coverage(event)
        if covered.missing_rates:
            raise DomainError(
                _("No exchange rate is stated for %(currencies)s, so coverage cannot be known.")
                % {"currencies": ", ".join(covered.missing_rates)},
                code="missing_rate",
            )
        if covered.budget <= 0:
            raise DomainError(
                _("This event is held only if funding is secured, and its budget is empty."),
                code="not_funded",
            )
        if not covered.covered:
            raise DomainError(
                _(
                    "This event is held only if funding is secured, and its budget is not "
                    "covered (gap: %(gap)s %(currency)s)."
                )
                % {"gap": covered.gap, "currency": covered.currency},
                code="not_funded",
            )
    return _transition(actor, event, Event.Status.CONFIRMED)


@transaction.atomic
def event_postpone(*, actor, event: Event, note: str = "") -> Event:
    """Postpone an event not yet held; its date becomes to be determined and invitees hear."""
    require_staff(actor)
    event = _locked(event)
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED):
        raise DomainError(_("Only an event not yet held can be postponed."))
    event = _transition(actor, event, Event.Status.POSTPONED, cancellation_note=note)
    return event_save(actor=actor, event=event, data={"precision": Event.Precision.TBD})


@transaction.atomic
def event_cancel(*, actor, event: Event, reason: str, note: str = "") -> Event:
    """Cancel an event with its reason; the record stays, so why it did not happen is known."""
    require_staff(actor)
    event = _locked(event)
    if reason not in Event.CancellationReason.values:
        raise DomainError(_("Give the reason for cancelling."), field="reason")
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED):
        raise DomainError(_("Only an event not yet held can be cancelled."))
    return _transition(
        actor, event, Event.Status.CANCELLED, cancellation_reason=reason, cancellation_note=note
    )


@transaction.atomic
def event_record_outcome(*, actor, event: Event, data: dict[str, str]) -> Event:
    """Mark an event held and keep its summary, recommendations and follow-up."""
    require_staff(actor)
    event = _locked(event)
    if event.status == Event.Status.CANCELLED:
        raise DomainError(_("A cancelled event was not held."))
    changes = {name: (data[name] or "").strip() for name in OUTCOME_FIELDS if name in data}
    if not (changes.get("outcome_summary_en") or event.outcome_summary_en.strip()):
        raise DomainError(_("Summarize the outcome in English."), field="outcome_summary_en")
    return _transition(actor, event, Event.Status.HELD, **changes)
