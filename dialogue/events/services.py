"""Writes of the events app."""

from django.db import transaction

from dialogue.core import audit
from dialogue.core.services import save_audited
from dialogue.cycles.models import Proposal
from dialogue.events.models import Event

EVENT_FIELDS = ("kind", "cycle", "topic", "title_en", "title_fr", "title_es", "status")


@transaction.atomic
def workshop_plan_for_topic(*, actor, topic: Proposal) -> Event:
    """The intersessional workshop in planning for a selected topic (created once)."""
    existing = Event.objects.filter(topic=topic, kind=Event.Kind.WORKSHOP).first()
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
    event = Event.objects.filter(
        topic=topic,
        kind=Event.Kind.WORKSHOP,
        status__in=[Event.Status.PROPOSED, Event.Status.PLANNING],
    ).first()
    if event is None:
        return None
    before = audit.snapshot(event, EVENT_FIELDS)
    event.status = Event.Status.CANCELLED
    return save_audited(
        event, actor=actor, fields=EVENT_FIELDS, before=before, note="topic no longer selected"
    )
