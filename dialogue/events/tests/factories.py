"""Factories for events and invitations; they write directly, bypassing services, for set-up only.

Tests of a service build their input with these factories and then call the
service, so each rule is exercised by the service itself.
"""

import datetime

import factory
from django.utils import timezone

from dialogue.cycles.tests.factories import CycleFactory
from dialogue.events.models import Event, Invitation


class EventFactory(factory.django.DjangoModelFactory):
    """An expert seminar whose date is still to be determined; `dated=True` gives it two days."""

    class Meta:
        model = Event

    class Params:
        dated = factory.Trait(
            precision=Event.Precision.DAY,
            year=2007,
            start_date=datetime.date(2007, 10, 8),
            end_date=datetime.date(2007, 10, 9),
        )

    kind = Event.Kind.EXPERT_SEMINAR
    cycle = factory.SubFactory(CycleFactory)
    title_en = factory.Sequence(lambda n: f"Expert seminar {n}")
    title_fr = factory.Sequence(lambda n: f"Séminaire d'experts {n}")
    title_es = factory.Sequence(lambda n: f"Seminario de expertos {n}")
    status = Event.Status.PLANNING
    precision = Event.Precision.TBD


class TrainingFactory(EventFactory):
    kind = Event.Kind.TRAINING
    audience = Event.Audience.MISSION_STAFF
    title_en = factory.Sequence(lambda n: f"Training on migration law {n}")
    title_fr = ""
    title_es = ""


class InvitationFactory(factory.django.DjangoModelFactory):
    """An invitation of one person; pass `member=` or `organization=` (and `person=None`)."""

    class Meta:
        model = Invitation

    event = factory.SubFactory(EventFactory)
    person = None
    member = None
    organization = None
    invited_at = factory.LazyFunction(timezone.now)
