import datetime

import pytest
from django.utils import timezone

from dialogue.cycles import selectors
from dialogue.cycles.models import Consultation, Cycle, Decision
from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory, ThemeFactory
from dialogue.surveys.models import Survey

pytestmark = pytest.mark.django_db


def _decision(cycle, theme, **fields) -> Decision:
    decision = Decision.objects.create(
        cycle=cycle,
        subject=Decision.Subject.THEME,
        decided_on=datetime.date(2007, 10, 15),
        recorded_at=timezone.now(),
        **fields,
    )
    decision.proposals.set([theme])
    return decision


def test_current_cycle_is_the_latest_current_one_or_none():
    assert selectors.current_cycle() is None
    CycleFactory(year=2006, status=Cycle.Status.CURRENT)
    latest = CycleFactory(year=2007, status=Cycle.Status.CURRENT)
    CycleFactory(year=2008, status=Cycle.Status.PREPARING)
    assert selectors.current_cycle() == latest


def test_cycle_archive_loads_how_each_theme_was_or_will_be_chosen(django_assert_num_queries):
    decided = CycleFactory(year=2007, status=Cycle.Status.CLOSED)
    theme = ThemeFactory(cycle=decided)
    consultation = ConsultationFactory(
        cycle=decided, outcome=Consultation.Outcome.AGREEMENT, agreed_proposal=theme
    )
    old = _decision(decided, theme, basis=Decision.Basis.CONSENSUS, consultation=consultation)
    current = _decision(
        decided, theme, basis=Decision.Basis.CONSENSUS, consultation=consultation, supersedes=old
    )
    pending = CycleFactory(year=2008)
    upcoming = ConsultationFactory(cycle=pending, held_on=datetime.date(2008, 3, 1))
    survey = Survey.objects.create(
        cycle=pending,
        title_en="Theme 2008",
        status=Survey.Status.OPEN,
        opens_at=timezone.now(),
        closes_at=timezone.now() + datetime.timedelta(days=14),
    )

    with django_assert_num_queries(4):
        cycles = selectors.cycle_archive()
        assert [c.year for c in cycles] == [2008, 2007]
        assert cycles[1].theme_decisions == [current]
        assert cycles[0].pending_consultations == [upcoming]
        assert cycles[0].open_surveys == [survey]


def test_cycle_get_raises_for_unknown_or_malformed_years():
    CycleFactory(year=2007)
    assert selectors.cycle_get("2007").year == 2007
    for year in (2099, "abc", None):
        with pytest.raises(Cycle.DoesNotExist):
            selectors.cycle_get(year)


def test_recent_decisions_come_latest_recorded_first():
    cycle = CycleFactory()
    theme = ThemeFactory(cycle=cycle)
    consultation = ConsultationFactory(cycle=cycle)
    first = _decision(cycle, theme, basis=Decision.Basis.CONSENSUS, consultation=consultation)
    second = _decision(cycle, theme, basis=Decision.Basis.CONSENSUS, consultation=consultation)
    assert selectors.recent_decisions(1) == [second]
    assert selectors.recent_decisions() == [second, first]
