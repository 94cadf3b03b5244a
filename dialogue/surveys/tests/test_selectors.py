import datetime
from decimal import Decimal

import numpy as np
import pytest

from dialogue.members.models import Member
from dialogue.members.tests.factories import (
    MemberFactory,
    ObserverOrganizationFactory,
    PersonFactory,
)
from dialogue.surveys import selectors, services
from dialogue.surveys.models import Survey
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    OPENS,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    observer_state,
    option_ids,
    questions_of,
    ranking,
)

pytestmark = pytest.mark.django_db

TICK = datetime.timedelta(microseconds=1)


@pytest.fixture
def membership():
    """Three Member States (one suspended), an observer State and an observer organization."""
    return {
        "CHE": MemberFactory(code="CHE"),
        "MEX": MemberFactory(code="MEX"),
        "SEN": MemberFactory(code="SEN"),
        "THA": MemberFactory(code="THA", status=Member.Status.SUSPENDED),
        "VAT": observer_state(),
        "ORG": ObserverOrganizationFactory(code="ICMPD", name_en="ICMPD"),
    }


def _answer(survey, member, ranks=None, now=DURING):
    """Respond for `member`: option positions (0-based) per question, the first by default."""
    choices = {}
    for index, question in enumerate(questions_of(survey)):
        ids = option_ids(question)
        choices[question.pk] = [ids[i] for i in (ranks[index] if ranks else [0])]
    return services.response_submit(
        actor=delegate_of(member), survey=survey, member=member, choices=choices, now=now
    )


def _codes(members):
    return [m.code for m in members]


# eligible_members and members_without_response


def test_every_active_member_and_observer_is_eligible_for_a_survey_of_all(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    assert _codes(selectors.eligible_members(survey)) == ["VAT", "ICMPD", "MEX", "SEN", "CHE"]


def test_only_active_member_states_are_eligible_for_a_member_states_survey(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    assert _codes(selectors.eligible_members(survey)) == ["MEX", "SEN", "CHE"]


def test_delegations_that_responded_are_no_longer_waited_for(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    _answer(survey, membership["MEX"])
    _answer(survey, membership["ORG"])
    assert _codes(selectors.members_without_response(survey)) == ["VAT", "SEN", "CHE"]


def test_a_response_to_another_survey_does_not_count(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    other = PublishedSurveyFactory(actor=staff_user)
    _answer(other, membership["MEX"])
    assert "MEX" in _codes(selectors.members_without_response(survey))


# open_surveys_for_member and surveys_for_member


def test_a_member_state_sees_open_surveys_soonest_close_first(staff_user, membership):
    later = PublishedSurveyFactory(actor=staff_user, closes_at=CLOSES + datetime.timedelta(days=3))
    sooner = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    DraftSurveyFactory(actor=staff_user)
    assert list(selectors.open_surveys_for_member(membership["CHE"], now=DURING)) == [
        sooner,
        later,
    ]


@pytest.mark.parametrize("observer", ["VAT", "ORG"])
def test_observers_do_not_see_member_states_only_surveys(staff_user, membership, observer):
    for_all = PublishedSurveyFactory(actor=staff_user)
    PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    member = membership[observer]
    assert list(selectors.open_surveys_for_member(member, now=DURING)) == [for_all]
    assert list(selectors.surveys_for_member(member)) == [for_all]


@pytest.mark.parametrize(
    ("now", "visible"),
    [
        (OPENS - TICK, False),
        (OPENS, True),
        (CLOSES - TICK, True),
        (CLOSES, False),
    ],
)
def test_a_survey_is_listed_as_open_exactly_within_its_window(staff_user, membership, now, visible):
    survey = PublishedSurveyFactory(actor=staff_user)
    assert (survey in selectors.open_surveys_for_member(membership["SEN"], now=now)) is visible


def test_a_survey_closed_early_is_no_longer_open_but_still_listed(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_close(actor=staff_user, survey=survey, now=DURING)
    member = membership["SEN"]
    assert list(selectors.open_surveys_for_member(member, now=DURING - TICK)) == []
    assert list(selectors.surveys_for_member(member)) == [survey]


def test_drafts_are_not_shown_to_delegations(staff_user, membership):
    DraftSurveyFactory(actor=staff_user)
    assert list(selectors.surveys_for_member(membership["SEN"])) == []


# response_for and can_respond


def test_the_current_response_of_a_delegation_is_read_with_its_answers(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    assert selectors.response_for(survey, membership["SEN"]) is None
    response = _answer(survey, membership["SEN"])
    found = selectors.response_for(survey, membership["SEN"])
    assert found == response
    assert len(found.answers.all()) == 1


def test_only_active_delegates_and_focal_points_of_the_delegation_can_respond(
    staff_user, membership
):
    member = membership["SEN"]
    assert selectors.can_respond(delegate_of(member), member)
    assert selectors.can_respond(
        PersonFactory(delegation=member, with_account=True, role="focal_point").user, member
    )
    assert not selectors.can_respond(delegate_of(membership["MEX"]), member)
    assert not selectors.can_respond(
        PersonFactory(delegation=member, with_account=True, is_active=False).user, member
    )
    assert not selectors.can_respond(
        PersonFactory(delegation=member, with_account=True, role="expert").user, member
    )
    assert not selectors.can_respond(staff_user, member)


# turnout


def test_turnout_counts_responses_by_kind_of_member(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    _answer(survey, membership["CHE"])
    _answer(survey, membership["MEX"])
    _answer(survey, membership["ORG"])
    result = selectors.turnout(survey)
    assert result.eligible == 5
    assert result.responded == 3
    assert result.rate == pytest.approx(0.6)
    assert result.by_kind == {
        Member.Kind.MEMBER_STATE: (2, 3),
        Member.Kind.OBSERVER_STATE: (0, 1),
        Member.Kind.OBSERVER_ORGANIZATION: (1, 1),
    }
    assert _codes(result.responded_members) == ["ICMPD", "MEX", "CHE"]
    assert _codes(result.missing_members) == ["VAT", "SEN"]


def test_a_member_suspended_after_responding_leaves_the_turnout(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    _answer(survey, membership["CHE"])
    _answer(survey, membership["SEN"])
    Member.objects.filter(pk=membership["SEN"].pk).update(status=Member.Status.SUSPENDED)
    result = selectors.turnout(survey)
    assert (result.responded, result.eligible) == (1, 2)
    assert result.by_kind[Member.Kind.MEMBER_STATE] == (1, 2)
    assert result.by_kind[Member.Kind.OBSERVER_STATE] == (0, 0)


def test_turnout_of_a_survey_nobody_may_answer_is_zero(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    result = selectors.turnout(survey)
    assert (result.eligible, result.responded, result.rate) == (0, 0, 0.0)


# ballot_matrix and weights_for


def test_the_ballot_matrix_holds_each_responses_rank_of_each_option(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user, questions=[choose_one(), ranking(3)])
    one, rank = questions_of(survey)
    _answer(survey, membership["SEN"], ranks=[[1], [2, 0, 3]])
    _answer(survey, membership["CHE"], ranks=[[0], [1]])
    _answer(survey, membership["ORG"], ranks=[[2], [3, 2]])

    member_ids, ranks, options = selectors.ballot_matrix(rank)
    assert options == option_ids(rank)
    assert member_ids == sorted(
        m.pk for m in (membership["SEN"], membership["CHE"], membership["ORG"])
    )
    expected = {
        membership["SEN"].pk: [2, 0, 1, 3],
        membership["CHE"].pk: [0, 1, 0, 0],
        membership["ORG"].pk: [0, 0, 2, 1],
    }
    assert ranks.dtype == np.int16
    for row, member_id in enumerate(member_ids):
        assert ranks[row].tolist() == expected[member_id]

    _, one_ranks, one_options = selectors.ballot_matrix(one)
    assert one_options == option_ids(one)
    assert one_ranks.sum(axis=1).tolist() == [1, 1, 1]


def test_the_ballot_matrix_keeps_only_the_current_version_of_each_response(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    (question,) = questions_of(survey)
    _answer(survey, membership["SEN"], ranks=[[0]])
    _answer(survey, membership["SEN"], ranks=[[2]], now=DURING + TICK)
    member_ids, ranks, _ = selectors.ballot_matrix(question)
    assert member_ids == [membership["SEN"].pk]
    assert ranks.tolist() == [[0, 0, 1]]


def test_the_ballot_matrix_can_be_restricted_to_a_kind_of_member(staff_user, membership):
    survey = PublishedSurveyFactory(actor=staff_user)
    (question,) = questions_of(survey)
    for code in ("SEN", "VAT", "ORG"):
        _answer(survey, membership[code])
    member_ids, ranks, _ = selectors.ballot_matrix(
        question, member_filter={"kind": Member.Kind.MEMBER_STATE}
    )
    assert member_ids == [membership["SEN"].pk]
    assert ranks.shape == (1, 3)


def test_the_ballot_matrix_of_a_question_without_responses_is_empty(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    (question,) = questions_of(survey)
    member_ids, ranks, options = selectors.ballot_matrix(question)
    assert member_ids == []
    assert ranks.shape == (0, 3)
    assert len(options) == 3


def test_delegations_weigh_one_unless_a_weight_was_set(staff_user, membership):
    survey = DraftSurveyFactory(actor=staff_user)
    services.weight_set(
        actor=staff_user, survey=survey, member=membership["MEX"], weight=Decimal("2.5")
    )
    weights = selectors.weights_for(survey, [membership["SEN"].pk, membership["MEX"].pk])
    assert weights.tolist() == [1.0, 2.5]


def test_a_member_that_joined_after_the_opening_is_not_eligible(staff_user):
    import datetime as _dt

    from dialogue.members.tests.factories import MemberFactory
    from dialogue.surveys import services as survey_services
    from dialogue.surveys.tests.factories import OPENS, PublishedSurveyFactory

    survey = PublishedSurveyFactory(actor=staff_user)
    late = MemberFactory(code="BDI", name_en="Burundi", joined=OPENS.date() + _dt.timedelta(days=1))
    early = MemberFactory(code="VNM", name_en="Viet Nam", joined=OPENS.date())
    eligible = set(selectors.eligible_members(survey))
    assert late not in eligible and early in eligible
    assert not survey_services.is_eligible(survey, late)
