import datetime

import pytest

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles import services
from dialogue.cycles.models import Consultation, Cycle, Decision, Proposal
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.events.models import Event
from dialogue.surveys import services as survey_services
from dialogue.surveys.tests.factories import (
    CLOSES,
    DraftSurveyFactory,
    PublishedSurveyFactory,
)

pytestmark = pytest.mark.django_db

DECIDED = datetime.date(2007, 11, 30)


@pytest.fixture
def cycle():
    return CycleFactory(year=2008)


@pytest.fixture
def themes(cycle):
    return [ThemeFactory(cycle=cycle, title_en=f"Theme {n}") for n in "ABC"]


@pytest.fixture
def agreed(cycle, themes):
    """A consultation that discussed the themes and agreed on the first."""
    return ConsultationFactory(
        cycle=cycle,
        proposals=themes,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=themes[0],
    )


@pytest.fixture
def topics(themes):
    theme = themes[0]
    return [
        WorkshopTopicFactory(cycle=theme.cycle, theme=theme, title_en=title, title_fr=f"{title} fr")
        for title in ("Labour mobility", "Migration and health", "Diaspora", "Return")
    ]


def _closed_survey(staff_user, cycle):
    survey = PublishedSurveyFactory(cycle=cycle, actor=staff_user)
    return survey_services.survey_close(actor=staff_user, survey=survey, now=CLOSES)


def _theme_decision(staff_user, cycle, theme, consultation, **kwargs):
    return services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[theme],
        decided_on=DECIDED,
        consultation=consultation,
        **kwargs,
    )


def _nothing_recorded(cycle, audit_before):
    cycle.refresh_from_db()
    assert Decision.objects.count() == 0
    assert cycle.theme is None
    assert not Proposal.objects.exclude(
        status__in=[Proposal.Status.PROPOSED, Proposal.Status.WITHDRAWN]
    ).exists()
    assert not Event.objects.exists()
    assert AuditEntry.objects.count() == audit_before


# The theme


def test_a_theme_agreed_by_consensus_becomes_the_cycle_theme(staff_user, cycle, themes, agreed):
    withdrawn = ThemeFactory(cycle=cycle, status=Proposal.Status.WITHDRAWN)
    decision = _theme_decision(staff_user, cycle, themes[0], agreed, note="Agreed in October.")
    cycle.refresh_from_db()
    assert cycle.theme == themes[0]
    assert decision.basis == Decision.Basis.CONSENSUS
    assert decision.consultation == agreed
    assert decision.survey is None
    assert list(decision.proposals.all()) == [themes[0]]
    assert decision.recorded_by == staff_user
    assert decision.recorded_at is not None
    assert decision.is_current
    statuses = dict(Proposal.objects.values_list("title_en", "status"))
    assert statuses == {
        "Theme A": Proposal.Status.SELECTED,
        "Theme B": Proposal.Status.NOT_SELECTED,
        "Theme C": Proposal.Status.NOT_SELECTED,
        withdrawn.title_en: Proposal.Status.WITHDRAWN,
    }


def test_every_write_of_a_decision_is_audited(staff_user, cycle, themes, agreed):
    decision = _theme_decision(staff_user, cycle, themes[0], agreed)
    entries = AuditEntry.objects.filter(actor=staff_user)
    created = entries.get(object_type="cycles.decision", object_id=str(decision.pk))
    assert created.action == AuditEntry.Action.CREATE
    assert created.changes["basis"] == "consensus"
    assert created.changes["consultation"] == str(agreed)
    for theme, status in zip(themes, ["selected", "not_selected", "not_selected"], strict=True):
        entry = entries.get(object_type="cycles.proposal", object_id=str(theme.pk))
        assert entry.changes == {"status": ["proposed", status]}
    cycle_entry = entries.get(object_type="cycles.cycle", object_id=str(cycle.pk))
    assert cycle_entry.changes == {"theme": [None, str(themes[0])]}


def test_the_audit_entry_of_a_decision_says_what_was_selected(staff_user, cycle, themes, agreed):
    decision = _theme_decision(staff_user, cycle, themes[0], agreed)
    entry = AuditEntry.objects.get(object_type="cycles.decision", object_id=str(decision.pk))
    assert str(themes[0]) in str(entry.changes)


def test_a_theme_chosen_by_a_closed_survey_rests_on_that_survey(staff_user, cycle, themes):
    survey = _closed_survey(staff_user, cycle)
    decision = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[themes[1]],
        decided_on=DECIDED,
        survey=survey,
    )
    assert decision.basis == Decision.Basis.SURVEY
    assert decision.survey == survey
    cycle.refresh_from_db()
    assert cycle.theme == themes[1]


def test_a_survey_with_published_results_is_a_valid_basis(staff_user, cycle, themes):
    survey = _closed_survey(staff_user, cycle)
    survey = survey_services.survey_publish_results(actor=staff_user, survey=survey, now=CLOSES)
    decision = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[themes[1]],
        decided_on=DECIDED,
        survey=survey,
    )
    assert decision.survey == survey


def test_a_decision_on_a_survey_still_open_is_refused(staff_user, cycle, themes):
    survey = PublishedSurveyFactory(cycle=cycle, actor=staff_user)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[themes[0]],
            decided_on=DECIDED,
            survey=survey,
        )
    assert error.value.field == "survey"
    assert "still open" in error.value.message
    _nothing_recorded(cycle, audit_before)


def test_a_decision_on_a_draft_survey_is_refused(staff_user, cycle, themes):
    survey = DraftSurveyFactory(cycle=cycle, actor=staff_user)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[themes[0]],
            decided_on=DECIDED,
            survey=survey,
        )
    assert error.value.field == "survey"
    _nothing_recorded(cycle, audit_before)


def test_a_decision_on_a_survey_of_another_cycle_is_refused(staff_user, cycle, themes):
    survey = _closed_survey(staff_user, CycleFactory(year=2007))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[themes[0]],
            decided_on=DECIDED,
            survey=survey,
        )
    assert error.value.field == "survey"
    _nothing_recorded(cycle, audit_before)


@pytest.mark.parametrize(
    "outcome", [Consultation.Outcome.PENDING, Consultation.Outcome.NO_AGREEMENT]
)
def test_consensus_needs_a_consultation_that_agreed(staff_user, cycle, themes, outcome):
    consultation = ConsultationFactory(cycle=cycle, proposals=themes, outcome=outcome)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, themes[0], consultation)
    assert error.value.field == "consultation"
    _nothing_recorded(cycle, audit_before)


def test_consensus_cannot_select_a_theme_other_than_the_one_agreed(
    staff_user, cycle, themes, agreed
):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        _theme_decision(staff_user, cycle, themes[1], agreed)
    _nothing_recorded(cycle, audit_before)


def test_consensus_at_a_consultation_of_another_cycle_is_refused(staff_user, cycle, themes):
    earlier = CycleFactory(year=2007)
    elsewhere = ThemeFactory(cycle=earlier)
    consultation = ConsultationFactory(
        cycle=earlier,
        proposals=[elsewhere],
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=elsewhere,
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        _theme_decision(staff_user, cycle, themes[0], consultation)
    _nothing_recorded(cycle, audit_before)


def test_a_decision_without_a_basis_is_refused(staff_user, cycle, themes):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, themes[0], None)
    assert error.value.field == "basis"
    _nothing_recorded(cycle, audit_before)


def test_an_unknown_subject_is_refused(staff_user, cycle, themes, agreed):
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject="budget",
            proposals=[themes[0]],
            decided_on=DECIDED,
            consultation=agreed,
        )
    assert error.value.field == "subject"
    assert Decision.objects.count() == 0


def test_a_decision_that_selects_nothing_is_refused(staff_user, cycle, agreed):
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[],
            decided_on=DECIDED,
            consultation=agreed,
        )
    assert error.value.field == "proposals"
    assert Decision.objects.count() == 0


def test_a_cycle_has_only_one_overarching_theme(staff_user, cycle, themes, agreed):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=themes[:2],
            decided_on=DECIDED,
            consultation=agreed,
        )
    assert error.value.field == "proposals"
    _nothing_recorded(cycle, audit_before)


def test_a_theme_of_another_cycle_is_refused(staff_user, cycle, agreed):
    foreign = ThemeFactory(cycle=CycleFactory(year=2007))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, foreign, agreed)
    assert error.value.field == "proposals"
    _nothing_recorded(cycle, audit_before)
    foreign.refresh_from_db()
    assert foreign.status == Proposal.Status.PROPOSED


def test_a_workshop_topic_cannot_be_chosen_as_the_theme(staff_user, cycle, agreed, topics):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, topics[0], agreed)
    assert error.value.field == "proposals"
    _nothing_recorded(cycle, audit_before)


def test_a_theme_cannot_be_chosen_as_a_workshop_topic(staff_user, cycle, themes, topics):
    survey = _closed_survey(staff_user, cycle)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.WORKSHOP_TOPICS,
            proposals=[topics[0], themes[1]],
            decided_on=DECIDED,
            survey=survey,
        )
    assert error.value.field == "proposals"
    _nothing_recorded(cycle, audit_before)


def test_a_withdrawn_proposal_cannot_be_selected(staff_user, cycle, themes, agreed):
    services.proposal_withdraw(actor=staff_user, proposal=themes[0])
    themes[0].refresh_from_db()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, themes[0], agreed)
    assert error.value.field == "proposals"
    assert "withdrawn" in error.value.message
    _nothing_recorded(cycle, audit_before)


def test_only_the_secretariat_records_a_decision(focal_point, cycle, themes, agreed):
    with pytest.raises(NotPermitted):
        _theme_decision(focal_point.user, cycle, themes[0], agreed)
    cycle.refresh_from_db()
    assert cycle.theme is None
    assert Decision.objects.count() == 0


# A decision is never rewritten, only superseded


def test_a_second_decision_without_superseding_the_first_is_refused(
    staff_user, cycle, themes, agreed
):
    first = _theme_decision(staff_user, cycle, themes[0], agreed)
    survey = _closed_survey(staff_user, cycle)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[themes[1]],
            decided_on=DECIDED,
            survey=survey,
        )
    assert error.value.field == "supersedes"
    assert list(Decision.objects.all()) == [first]
    cycle.refresh_from_db()
    assert cycle.theme == themes[0]
    assert AuditEntry.objects.count() == audit_before


def test_a_new_decision_supersedes_the_current_one_which_stays_as_it_was(
    staff_user, cycle, themes, agreed
):
    first = _theme_decision(staff_user, cycle, themes[0], agreed, note="First.")
    survey = _closed_survey(staff_user, cycle)
    second = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[themes[1]],
        decided_on=datetime.date(2008, 1, 15),
        survey=survey,
        supersedes=first,
        note="Revised after the survey.",
    )
    first.refresh_from_db()
    assert first.basis == Decision.Basis.CONSENSUS
    assert first.consultation == agreed
    assert first.decided_on == DECIDED
    assert first.note == "First."
    assert list(first.proposals.all()) == [themes[0]]
    assert not first.is_current
    assert first.superseded_by == second
    assert second.is_current
    assert second.supersedes == first
    assert Decision.objects.count() == 2
    assert not AuditEntry.objects.filter(
        object_type="cycles.decision", object_id=str(first.pk), action=AuditEntry.Action.UPDATE
    ).exists()
    cycle.refresh_from_db()
    assert cycle.theme == themes[1]
    themes[0].refresh_from_db()
    themes[1].refresh_from_db()
    assert themes[0].status == Proposal.Status.NOT_SELECTED
    assert themes[1].status == Proposal.Status.SELECTED


def test_only_the_current_decision_can_be_superseded(staff_user, cycle, themes, agreed):
    first = _theme_decision(staff_user, cycle, themes[0], agreed)
    survey = _closed_survey(staff_user, cycle)
    second = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[themes[1]],
        decided_on=DECIDED,
        survey=survey,
        supersedes=first,
    )
    with pytest.raises(DomainError) as error:
        services.decision_record(
            actor=staff_user,
            cycle=cycle,
            subject=Decision.Subject.THEME,
            proposals=[themes[2]],
            decided_on=DECIDED,
            survey=survey,
            supersedes=first,
        )
    assert error.value.field == "supersedes"
    cycle.refresh_from_db()
    assert cycle.theme == themes[1]
    assert Decision.objects.get(superseded_by__isnull=True) == second


def test_a_first_decision_cannot_claim_to_supersede_anything(staff_user, cycle, themes, agreed):
    other = CycleFactory(year=2007)
    other_theme = ThemeFactory(cycle=other)
    earlier = _theme_decision(
        staff_user,
        other,
        other_theme,
        ConsultationFactory(
            cycle=other,
            proposals=[other_theme],
            outcome=Consultation.Outcome.AGREEMENT,
            agreed_proposal=other_theme,
        ),
    )
    with pytest.raises(DomainError) as error:
        _theme_decision(staff_user, cycle, themes[0], agreed, supersedes=earlier)
    assert error.value.field == "supersedes"
    assert Decision.objects.filter(cycle=cycle).count() == 0


# Workshop topics


def test_selected_workshop_topics_each_become_one_workshop_in_planning(staff_user, cycle, topics):
    survey = _closed_survey(staff_user, cycle)
    decision = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=topics[:2],
        decided_on=DECIDED,
        survey=survey,
    )
    assert set(decision.proposals.all()) == set(topics[:2])
    events = Event.objects.order_by("title_en")
    assert [(e.kind, e.status, e.cycle, e.topic, e.title_en, e.title_fr) for e in events] == [
        (
            Event.Kind.WORKSHOP,
            Event.Status.PLANNING,
            cycle,
            topics[0],
            "Labour mobility",
            "Labour mobility fr",
        ),
        (
            Event.Kind.WORKSHOP,
            Event.Status.PLANNING,
            cycle,
            topics[1],
            "Migration and health",
            "Migration and health fr",
        ),
    ]
    statuses = [t.status for t in Proposal.objects.filter(pk__in=[t.pk for t in topics])]
    assert sorted(statuses) == ["not_selected", "not_selected", "selected", "selected"]
    for event in events:
        assert AuditEntry.objects.filter(
            object_type="events.event", object_id=str(event.pk), action=AuditEntry.Action.CREATE
        ).exists()
    cycle.refresh_from_db()
    assert cycle.theme is None


def test_a_topic_selected_again_keeps_its_one_workshop(staff_user, cycle, topics):
    survey = _closed_survey(staff_user, cycle)
    first = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=topics[:2],
        decided_on=DECIDED,
        survey=survey,
    )
    services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=[topics[1], topics[2]],
        decided_on=DECIDED,
        survey=survey,
        supersedes=first,
    )
    assert Event.objects.filter(topic=topics[1]).count() == 1
    assert Event.objects.filter(topic=topics[2]).count() == 1
    assert Event.objects.count() == 3
    statuses = dict(Proposal.objects.filter(kind="workshop_topic").values_list("pk", "status"))
    assert statuses[topics[0].pk] == Proposal.Status.NOT_SELECTED
    assert statuses[topics[1].pk] == Proposal.Status.SELECTED
    assert statuses[topics[2].pk] == Proposal.Status.SELECTED
    dropped = Event.objects.get(topic=topics[0])
    assert dropped.status == Event.Status.CANCELLED
    assert Event.objects.get(topic=topics[1]).status == Event.Status.PLANNING


def test_theme_and_topic_decisions_are_superseded_separately(
    staff_user, cycle, themes, agreed, topics
):
    _theme_decision(staff_user, cycle, themes[0], agreed)
    survey = _closed_survey(staff_user, cycle)
    services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=topics[:2],
        decided_on=DECIDED,
        survey=survey,
    )
    assert Decision.objects.filter(cycle=cycle, superseded_by__isnull=True).count() == 2
    assert Cycle.objects.get(pk=cycle.pk).theme == themes[0]
