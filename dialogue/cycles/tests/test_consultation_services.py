import datetime

import pytest

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles import services
from dialogue.cycles.models import Consultation, ExpressionOfInterest
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys.tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def discussed():
    """A consultation that discussed two candidate themes of its cycle."""
    cycle = CycleFactory()
    themes = [ThemeFactory(cycle=cycle), ThemeFactory(cycle=cycle)]
    return ConsultationFactory(cycle=cycle, proposals=themes), themes


def _entries(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


# consultation_save


def test_a_consultation_is_scheduled_with_the_proposals_it_discusses(staff_user):
    cycle = CycleFactory()
    themes = [ThemeFactory(cycle=cycle), ThemeFactory(cycle=cycle)]
    consultation = services.consultation_save(
        actor=staff_user,
        data={"cycle": cycle, "held_on": datetime.date(2007, 10, 15), "title_en": "IC Oct 2007"},
        proposals=themes,
    )
    assert set(consultation.proposals.all()) == set(themes)
    assert consultation.outcome == Consultation.Outcome.PENDING
    assert _entries(consultation).get().action == AuditEntry.Action.CREATE


def test_scheduling_a_consultation_cannot_record_its_outcome(staff_user, discussed):
    consultation, themes = discussed
    services.consultation_save(
        actor=staff_user,
        consultation=consultation,
        data={"outcome": Consultation.Outcome.AGREEMENT, "agreed_proposal": themes[0]},
    )
    consultation.refresh_from_db()
    assert consultation.outcome == Consultation.Outcome.PENDING
    assert consultation.agreed_proposal is None


# consultation_record_outcome


def test_agreement_on_a_discussed_proposal_is_recorded_and_audited(staff_user, discussed):
    consultation, themes = discussed
    services.consultation_record_outcome(
        actor=staff_user,
        consultation=consultation,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=themes[1],
        notes="Agreed by consensus.",
    )
    consultation.refresh_from_db()
    assert consultation.outcome == Consultation.Outcome.AGREEMENT
    assert consultation.agreed_proposal == themes[1]
    assert consultation.outcome_notes == "Agreed by consensus."
    entry = _entries(consultation).get()
    assert entry.actor == staff_user
    assert entry.changes["outcome"] == ["pending", "agreement"]
    assert entry.changes["agreed_proposal"] == [None, str(themes[1])]


def test_agreement_without_naming_the_proposal_is_refused(staff_user, discussed):
    consultation, _themes = discussed
    with pytest.raises(DomainError) as error:
        services.consultation_record_outcome(
            actor=staff_user, consultation=consultation, outcome=Consultation.Outcome.AGREEMENT
        )
    assert error.value.field == "agreed_proposal"
    consultation.refresh_from_db()
    assert consultation.outcome == Consultation.Outcome.PENDING
    assert not _entries(consultation).exists()


def test_agreement_on_a_proposal_that_was_not_discussed_is_refused(staff_user, discussed):
    consultation, _themes = discussed
    elsewhere = ThemeFactory(cycle=consultation.cycle)
    with pytest.raises(DomainError) as error:
        services.consultation_record_outcome(
            actor=staff_user,
            consultation=consultation,
            outcome=Consultation.Outcome.AGREEMENT,
            agreed_proposal=elsewhere,
        )
    assert error.value.field == "agreed_proposal"
    assert "not discussed" in error.value.message
    consultation.refresh_from_db()
    assert consultation.agreed_proposal is None
    assert not _entries(consultation).exists()


def test_no_agreement_is_recorded_without_an_agreed_proposal(staff_user, discussed):
    consultation, themes = discussed
    services.consultation_record_outcome(
        actor=staff_user,
        consultation=consultation,
        outcome=Consultation.Outcome.NO_AGREEMENT,
        agreed_proposal=themes[0],
        notes="Views diverged.",
    )
    consultation.refresh_from_db()
    assert consultation.outcome == Consultation.Outcome.NO_AGREEMENT
    assert consultation.agreed_proposal is None
    assert _entries(consultation).get().changes["outcome"] == ["pending", "no_agreement"]


@pytest.mark.parametrize("outcome", ["pending", "maybe", ""])
def test_an_outcome_other_than_agreement_or_no_agreement_is_refused(staff_user, discussed, outcome):
    consultation, _themes = discussed
    with pytest.raises(DomainError) as error:
        services.consultation_record_outcome(
            actor=staff_user, consultation=consultation, outcome=outcome
        )
    assert error.value.field == "outcome"
    assert not _entries(consultation).exists()


def test_only_the_secretariat_records_an_outcome(focal_point, discussed):
    consultation, themes = discussed
    with pytest.raises(NotPermitted):
        services.consultation_record_outcome(
            actor=focal_point.user,
            consultation=consultation,
            outcome=Consultation.Outcome.AGREEMENT,
            agreed_proposal=themes[0],
        )
    consultation.refresh_from_db()
    assert consultation.outcome == Consultation.Outcome.PENDING


# interest_record


def test_who_asked_for_a_workshop_and_when_can_be_answered_from_the_records(staff_user):
    """The 2007 note: "interest ... during informal consultations in October 2005 and in a
    survey in October 2006"."""
    topic = WorkshopTopicFactory(title_en="Migration and health")
    consultation = ConsultationFactory(cycle=topic.cycle, held_on=datetime.date(2005, 10, 20))
    survey = SurveyFactory(cycle=topic.cycle)
    senegal = MemberFactory(code="SEN")
    mexico = MemberFactory(code="MEX")

    services.interest_record(
        actor=staff_user,
        proposal=topic,
        member=senegal,
        consultation=consultation,
        expressed_on=datetime.date(2005, 10, 20),
    )
    services.interest_record(
        actor=staff_user,
        proposal=topic,
        consultation=consultation,
        expressed_on=datetime.date(2005, 10, 20),
        note="Several delegations supported the idea.",
    )
    services.interest_record(
        actor=staff_user,
        proposal=topic,
        member=mexico,
        survey=survey,
        expressed_on=datetime.date(2006, 10, 31),
    )
    services.interest_record(
        actor=staff_user,
        proposal=topic,
        survey=survey,
        expressed_on=datetime.date(2006, 10, 31),
    )

    answer = [
        (
            str(i.member) if i.member else "the membership",
            "consultation" if i.consultation_id else "survey",
            i.expressed_on,
        )
        for i in ExpressionOfInterest.objects.filter(proposal=topic).select_related("member")
    ]
    assert answer == [
        ("Senegal", "consultation", datetime.date(2005, 10, 20)),
        ("the membership", "consultation", datetime.date(2005, 10, 20)),
        ("Mexico", "survey", datetime.date(2006, 10, 31)),
        ("the membership", "survey", datetime.date(2006, 10, 31)),
    ]
    membership = ExpressionOfInterest.objects.filter(proposal=topic, member=None)
    assert {i.consultation_id or i.survey_id for i in membership} == {consultation.pk, survey.pk}
    assert str(membership.first()).startswith("the membership: Migration and health")
    assert list(senegal.interests.values_list("proposal__title_en", flat=True)) == [
        "Migration and health"
    ]


def test_interest_without_an_occasion_is_refused(staff_user, member_state):
    topic = WorkshopTopicFactory()
    with pytest.raises(DomainError) as error:
        services.interest_record(
            actor=staff_user,
            proposal=topic,
            member=member_state,
            expressed_on=datetime.date(2006, 10, 1),
        )
    assert error.value.field == "occasion"
    assert ExpressionOfInterest.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_recording_interest_is_audited(staff_user, member_state):
    topic = WorkshopTopicFactory()
    interest = services.interest_record(
        actor=staff_user,
        proposal=topic,
        member=member_state,
        consultation=ConsultationFactory(cycle=topic.cycle),
        expressed_on=datetime.date(2006, 10, 1),
    )
    entry = _entries(interest).get()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == staff_user
    assert entry.changes["member"] == str(member_state)
    assert entry.changes["expressed_on"] == "2006-10-01"


def test_only_the_secretariat_records_interest(focal_point):
    topic = WorkshopTopicFactory()
    with pytest.raises(NotPermitted):
        services.interest_record(
            actor=focal_point.user,
            proposal=topic,
            member=focal_point.delegation,
            consultation=ConsultationFactory(cycle=topic.cycle),
            expressed_on=datetime.date(2006, 10, 1),
        )
    assert ExpressionOfInterest.objects.count() == 0


def test_changing_the_proposals_discussed_is_audited(staff_user, discussed):
    from dialogue.core.models import AuditEntry
    from dialogue.cycles.tests.factories import ThemeFactory

    consultation, themes = discussed
    extra = ThemeFactory(cycle=consultation.cycle)
    services.consultation_save(
        actor=staff_user, consultation=consultation, data={}, proposals=[*themes, extra]
    )
    entry = AuditEntry.objects.filter(
        object_type="cycles.consultation", object_id=str(consultation.pk), action="update"
    ).latest("id")
    assert str(extra) in entry.changes["proposals"][1]
    assert str(extra) not in entry.changes["proposals"][0]
