"""Factories for the yearly cycle; they write directly, bypassing services, for set-up only.

Tests of a service build their input with these factories and then call the
service, so each rule is exercised by the service itself.
"""

import datetime

import factory

from dialogue.cycles.models import Consultation, Cycle, Proposal


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    year = factory.Sequence(lambda n: 2000 + n % 200)
    name_en = factory.LazyAttribute(lambda o: f"IDM {o.year}")
    name_fr = factory.LazyAttribute(lambda o: f"DIM {o.year}")
    name_es = factory.LazyAttribute(lambda o: f"DIM {o.year} (es)")
    status = Cycle.Status.PREPARING


class ThemeFactory(factory.django.DjangoModelFactory):
    """A candidate overarching theme proposed by the Administration."""

    class Meta:
        model = Proposal

    cycle = factory.SubFactory(CycleFactory)
    kind = Proposal.Kind.THEME
    theme = None
    position = factory.Sequence(lambda n: n + 1)
    title_en = factory.Sequence(lambda n: f"Theme {n}")
    title_fr = factory.Sequence(lambda n: f"Thème {n}")
    title_es = factory.Sequence(lambda n: f"Tema {n}")
    summary_en = "A summary of the theme."
    status = Proposal.Status.PROPOSED


class WorkshopTopicFactory(ThemeFactory):
    """A workshop topic under a theme of the same cycle."""

    kind = Proposal.Kind.WORKSHOP_TOPIC
    theme = factory.SubFactory(ThemeFactory, cycle=factory.SelfAttribute("..cycle"))
    title_en = factory.Sequence(lambda n: f"Workshop topic {n}")
    title_fr = factory.Sequence(lambda n: f"Thème d'atelier {n}")
    title_es = factory.Sequence(lambda n: f"Tema de taller {n}")


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A consultation with no outcome recorded yet; `proposals=[...]` sets what it discussed."""

    class Meta:
        model = Consultation
        skip_postgeneration_save = True

    cycle = factory.SubFactory(CycleFactory)
    held_on = datetime.date(2007, 10, 15)
    place = "Geneva"
    title_en = factory.Sequence(lambda n: f"Informal consultation {n}")
    outcome = Consultation.Outcome.PENDING

    @factory.post_generation
    def proposals(self, create, extracted, **kwargs):
        if create and extracted:
            self.proposals.set(extracted)
