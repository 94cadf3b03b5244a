"""A delegation's response: who may give it, when, what it may contain, and what is kept."""

import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dialogue.core import audit
from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    ObserverOrganizationFactory,
    PersonFactory,
    StaffUserFactory,
)
from dialogue.surveys import services
from dialogue.surveys.models import Answer, Response, ResponseVersion, Survey
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    OPENS,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    choose_up_to,
    delegate_of,
    observer_state,
    option_ids,
    questions_of,
    ranking,
    row_counts,
    stored_answers,
)

pytestmark = pytest.mark.django_db

TICK = datetime.timedelta(microseconds=1)
RECEIPT = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")


@pytest.fixture
def state():
    return MemberFactory(code="CHE")


@pytest.fixture
def other_state():
    return MemberFactory(code="SEN")


@pytest.fixture
def delegate(state):
    return delegate_of(state)


@pytest.fixture
def ballot(staff_user):
    """An open survey of three questions: choose one; choose up to two; an optional ranking
    of up to three of four options that takes a comment per option."""
    return PublishedSurveyFactory(
        actor=staff_user,
        questions=[
            choose_one(),
            choose_up_to(2),
            ranking(3, required=False, option_comments=True),
        ],
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _valid(survey, first=0, second=(0, 1), ranked=(2, 0, 1)):
    one, up_to, rank = questions_of(survey)
    return {
        one.pk: [option_ids(one)[first]],
        up_to.pk: [option_ids(up_to)[i] for i in second],
        rank.pk: [option_ids(rank)[i] for i in ranked],
    }


def _submit(actor, survey, member, choices, **kwargs):
    kwargs.setdefault("now", DURING)
    return services.response_submit(
        actor=actor, survey=survey, member=member, choices=choices, **kwargs
    )


def _letter(name="note-verbale.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 note verbale", content_type="application/pdf")


class Unchanged:
    """Asserts that a refused submission added, removed and changed nothing."""

    def __init__(self):
        self.counts = row_counts()
        self.responses = list(
            Response.objects.order_by("pk").values_list(
                "pk", "version", "receipt", "fingerprint", "comment", "channel"
            )
        )
        self.answers = sorted(
            Answer.objects.values_list("response_id", "question_id", "option_id", "rank")
        )

    def check(self):
        assert row_counts() == self.counts
        assert (
            list(
                Response.objects.order_by("pk").values_list(
                    "pk", "version", "receipt", "fingerprint", "comment", "channel"
                )
            )
            == self.responses
        )
        assert (
            sorted(Answer.objects.values_list("response_id", "question_id", "option_id", "rank"))
            == self.answers
        )


def _refused(error_type, call, *, code=None, field=None):
    """Run `call`, expect it refused with `error_type`; check nothing changed; return the error."""
    unchanged = Unchanged()
    with pytest.raises(error_type) as error:
        call()
    unchanged.check()
    assert error.value.message
    if code is not None:
        assert error.value.code == code
    if field is not None:
        assert error.value.field == field
    return error.value


# When


def test_a_response_before_the_opening_is_refused_and_nothing_changes(delegate, state, ballot):
    error = _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), now=OPENS - TICK),
        code="survey_not_open",
    )
    assert "not open yet" in error.message


def test_a_response_at_the_opening_instant_is_accepted(delegate, state, ballot):
    response = _submit(delegate, ballot, state, _valid(ballot), now=OPENS)
    assert response.submitted_at == OPENS


def test_a_response_at_the_closing_instant_exactly_is_refused(delegate, state, ballot):
    error = _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), now=CLOSES),
        code="survey_not_open",
    )
    assert "closed" in error.message


def test_a_response_one_microsecond_before_the_close_is_accepted(delegate, state, ballot):
    response = _submit(delegate, ballot, state, _valid(ballot), now=CLOSES - TICK)
    assert response.version == 1
    assert response.submitted_at == CLOSES - TICK


def test_a_response_after_the_closing_time_is_refused_even_before_staff_close_it(
    delegate, state, ballot
):
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), now=CLOSES + TICK),
        code="survey_not_open",
    )


def test_a_response_after_the_close_is_refused_and_the_earlier_one_stays(
    staff_user, delegate, state, ballot
):
    first = _submit(delegate, ballot, state, _valid(ballot, first=0))
    services.survey_close(actor=staff_user, survey=ballot, now=DURING + TICK)
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot, first=1), now=DURING + 2 * TICK),
        code="survey_not_open",
    )
    first.refresh_from_db()
    assert first.version == 1
    assert stored_answers(first) == _valid(ballot, first=0)


def test_a_response_to_a_survey_closed_early_is_refused_inside_its_former_window(
    staff_user, delegate, state, ballot
):
    services.survey_close(actor=staff_user, survey=ballot, now=DURING)
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), now=DURING - TICK),
        code="survey_not_open",
    )


def test_a_response_to_a_draft_is_refused(staff_user, delegate, state):
    draft = DraftSurveyFactory(actor=staff_user)
    (question,) = questions_of(draft)
    _refused(
        DomainError,
        lambda: _submit(delegate, draft, state, {question.pk: option_ids(question)[:1]}),
        code="survey_not_open",
    )


# Who


def test_an_observer_cannot_respond_to_a_member_states_only_survey(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    observer = observer_state()
    (question,) = questions_of(survey)
    _refused(
        NotPermitted,
        lambda: _submit(
            delegate_of(observer), survey, observer, {question.pk: option_ids(question)[:1]}
        ),
        code="not_in_audience",
    )


def test_an_observer_delegate_forging_a_member_state_is_refused(staff_user, state):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    observer = observer_state()
    (question,) = questions_of(survey)
    _refused(
        NotPermitted,
        lambda: _submit(
            delegate_of(observer), survey, state, {question.pk: option_ids(question)[:1]}
        ),
        code="not_a_delegate",
    )


def test_observers_respond_to_a_survey_of_all_members_and_observers(ballot):
    organization = ObserverOrganizationFactory()
    response = _submit(delegate_of(organization), ballot, organization, _valid(ballot))
    assert response.member == organization


@pytest.mark.parametrize("status", [Member.Status.SUSPENDED, Member.Status.LEFT])
def test_a_delegate_of_a_suspended_or_departed_member_cannot_respond(ballot, status):
    member = MemberFactory(code="THA", status=status)
    error = _refused(
        DomainError,
        lambda: _submit(delegate_of(member), ballot, member, _valid(ballot)),
        code="member_not_active",
    )
    assert "Thailand" in error.message


def test_a_member_suspended_after_responding_cannot_change_its_response(delegate, state, ballot):
    _submit(delegate, ballot, state, _valid(ballot))
    Member.objects.filter(pk=state.pk).update(status=Member.Status.SUSPENDED)
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot, first=2)),
        code="member_not_active",
    )


def test_an_inactive_delegate_cannot_respond(state, ballot):
    person = PersonFactory(delegation=state, with_account=True, is_active=False)
    _refused(
        NotPermitted,
        lambda: _submit(person.user, ballot, state, _valid(ballot)),
        code="not_a_delegate",
    )


def test_a_delegate_whose_account_is_disabled_cannot_respond(state, ballot):
    user = delegate_of(state)
    user.is_active = False
    user.save()
    _refused(NotPermitted, lambda: _submit(user, ballot, state, _valid(ballot)))


def test_an_expert_attached_to_the_delegation_cannot_respond_for_it(state, ballot):
    expert = PersonFactory(delegation=state, with_account=True, role=Person.Role.EXPERT)
    _refused(NotPermitted, lambda: _submit(expert.user, ballot, state, _valid(ballot)))


def test_a_delegate_of_another_delegation_cannot_respond_in_its_name(state, other_state, ballot):
    _refused(
        NotPermitted,
        lambda: _submit(delegate_of(other_state), ballot, state, _valid(ballot)),
        code="not_a_delegate",
    )


def test_a_staff_account_cannot_respond_through_the_portal(staff_user, state, ballot):
    _refused(
        NotPermitted,
        lambda: _submit(staff_user, ballot, state, _valid(ballot)),
        code="not_a_delegate",
    )


def test_an_anonymous_visitor_cannot_respond(state, ballot):
    _refused(NotPermitted, lambda: _submit(AnonymousUser(), ballot, state, _valid(ballot)))


def test_a_focal_point_responds_for_the_delegation(state, ballot):
    focal_point = FocalPointFactory(delegation=state)
    response = _submit(focal_point.user, ballot, state, _valid(ballot))
    assert response.submitted_by == focal_point.user


# What


def test_a_ranking_with_a_repeated_option_is_refused(delegate, state, ballot):
    choices = _valid(ballot, ranked=(0, 1, 0))
    _, _, rank = questions_of(ballot)
    error = _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, choices),
        field=f"question_{rank.pk}",
    )
    assert "more than once" in error.message


def test_an_unknown_option_is_refused(delegate, state, ballot):
    one, _, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: [10**9]}
    error = _refused(
        DomainError, lambda: _submit(delegate, ballot, state, choices), field=f"question_{one.pk}"
    )
    assert str(10**9) in error.message


def test_an_option_of_another_question_is_refused(delegate, state, ballot):
    one, up_to, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: [option_ids(up_to)[0]]}
    _refused(
        DomainError, lambda: _submit(delegate, ballot, state, choices), field=f"question_{one.pk}"
    )


def test_an_option_of_another_survey_is_refused(staff_user, delegate, state, ballot):
    other = PublishedSurveyFactory(actor=staff_user, cycle=ballot.cycle)
    (foreign,) = questions_of(other)
    one, _, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: [option_ids(foreign)[0]]}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices))


def test_more_choices_than_k_are_refused(delegate, state, ballot):
    _, up_to, _ = questions_of(ballot)
    error = _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot, second=(0, 1, 2))),
        field=f"question_{up_to.pk}",
    )
    assert "at most 2" in error.message


def test_a_ranking_longer_than_k_is_refused(delegate, state, ballot):
    _refused(
        DomainError, lambda: _submit(delegate, ballot, state, _valid(ballot, ranked=(0, 1, 2, 3)))
    )


def test_two_options_for_a_choose_one_question_are_refused(delegate, state, ballot):
    one, _, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: option_ids(one)[:2]}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices))


@pytest.mark.parametrize("how", ["missing", "empty", "none"])
def test_an_empty_answer_to_a_required_question_is_refused(delegate, state, ballot, how):
    one, _, _ = questions_of(ballot)
    choices = _valid(ballot)
    if how == "missing":
        del choices[one.pk]
    else:
        choices[one.pk] = [] if how == "empty" else None
    error = _refused(
        DomainError, lambda: _submit(delegate, ballot, state, choices), field=f"question_{one.pk}"
    )
    assert "needs an answer" in error.message


def test_an_unknown_question_id_is_refused(delegate, state, ballot):
    choices = {**_valid(ballot), 10**9: [1]}
    error = _refused(
        DomainError, lambda: _submit(delegate, ballot, state, choices), field="answers"
    )
    assert str(10**9) in error.message


def test_a_question_of_another_survey_is_refused(staff_user, delegate, state, ballot):
    other = PublishedSurveyFactory(actor=staff_user)
    (foreign,) = questions_of(other)
    choices = {**_valid(ballot), foreign.pk: option_ids(foreign)[:1]}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices), field="answers")


def test_a_question_id_given_as_text_is_refused(delegate, state, ballot):
    choices = {str(k): v for k, v in _valid(ballot).items()}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices), field="answers")


def test_question_ids_of_mixed_types_are_refused_with_a_message(delegate, state, ballot):
    choices = {**_valid(ballot), "x": [1], 10**9: [1]}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices), field="answers")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda ids: [str(ids[0])], id="text"),
        pytest.param(lambda ids: [True], id="true"),
        pytest.param(lambda ids: [False], id="false"),
        pytest.param(lambda ids: [float(ids[0])], id="float"),
        pytest.param(lambda ids: [None], id="none"),
        pytest.param(lambda ids: str(ids[0]), id="text_not_in_a_list"),
        pytest.param(lambda ids: [[ids[0]]], id="nested_list"),
    ],
)
def test_option_ids_that_are_not_whole_numbers_are_refused(delegate, state, ballot, bad):
    one, _, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: bad(option_ids(one))}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices))


def test_a_single_option_id_not_in_a_list_is_refused_with_a_message(delegate, state, ballot):
    one, _, _ = questions_of(ballot)
    choices = {**_valid(ballot), one.pk: option_ids(one)[0]}
    _refused(DomainError, lambda: _submit(delegate, ballot, state, choices))


def test_a_comment_over_5000_characters_is_refused(delegate, state, ballot):
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), comment="x" * 5001),
        field="comment",
    )


def test_a_comment_of_5000_characters_is_accepted(delegate, state, ballot):
    response = _submit(delegate, ballot, state, _valid(ballot), comment="x" * 5000)
    assert len(response.comment) == 5000


def test_a_comment_with_a_nul_byte_is_refused_on_every_database(delegate, state, ballot):
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), comment="before\x00after"),
        field="comment",
    )


def test_a_comment_on_an_option_over_2000_characters_is_refused(delegate, state, ballot):
    _, _, rank = questions_of(ballot)
    comments = {option_ids(rank)[0]: "y" * 2001}
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), option_comments=comments),
        field="option_comments",
    )


def test_a_comment_on_an_option_that_takes_none_is_refused(delegate, state, ballot):
    one, _, _ = questions_of(ballot)
    comments = {option_ids(one)[0]: "Why not."}
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), option_comments=comments),
        field="option_comments",
    )


def test_a_comment_on_an_unknown_option_is_refused(delegate, state, ballot):
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), option_comments={10**9: "?"}),
        field="option_comments",
    )


def test_a_comment_keyed_by_something_other_than_an_option_number_is_refused(
    delegate, state, ballot
):
    _refused(
        DomainError,
        lambda: _submit(
            delegate, ballot, state, _valid(ballot), option_comments={"first": "Good."}
        ),
        field="option_comments",
    )


def test_an_unknown_channel_is_refused(delegate, state, ballot):
    _refused(
        DomainError,
        lambda: _submit(delegate, ballot, state, _valid(ballot), channel="fax"),
        field="channel",
    )


# Written responses recorded by the secretariat


def test_staff_record_a_written_response_with_its_letter(media, staff_user, state, ballot):
    response = _submit(
        staff_user, ballot, state, _valid(ballot), channel="written", letter=_letter()
    )
    response.refresh_from_db()
    assert response.channel == Response.Channel.WRITTEN
    assert response.submitted_by == staff_user
    assert response.letter.name.startswith("survey-letters/note-verbale")
    with response.letter.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 note verbale"
    version = ResponseVersion.objects.get(survey=ballot, member=state)
    assert version.channel == Response.Channel.WRITTEN


def test_a_written_response_without_its_letter_is_refused(media, staff_user, state, ballot):
    _refused(
        DomainError,
        lambda: _submit(staff_user, ballot, state, _valid(ballot), channel="written"),
        field="letter",
    )


def test_a_written_response_cannot_be_recorded_by_a_delegate(media, delegate, state, ballot):
    _refused(
        NotPermitted,
        lambda: _submit(
            delegate, ballot, state, _valid(ballot), channel="written", letter=_letter()
        ),
    )
    assert not any(media.rglob("*.pdf"))


@pytest.mark.parametrize(
    "now", [OPENS - TICK, CLOSES], ids=["before_the_opening", "at_the_closing_instant"]
)
def test_a_written_response_follows_the_same_window(media, staff_user, state, ballot, now):
    _refused(
        DomainError,
        lambda: _submit(
            staff_user, ballot, state, _valid(ballot), channel="written", letter=_letter(), now=now
        ),
        code="survey_not_open",
    )
    assert not any(media.rglob("*.pdf"))


def test_a_written_response_is_accepted_one_microsecond_before_the_close(
    media, staff_user, state, ballot
):
    response = _submit(
        staff_user,
        ballot,
        state,
        _valid(ballot),
        channel="written",
        letter=_letter(),
        now=CLOSES - TICK,
    )
    assert response.channel == "written"


def test_a_written_response_from_outside_the_audience_is_refused(media, staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    organization = ObserverOrganizationFactory()
    (question,) = questions_of(survey)
    _refused(
        NotPermitted,
        lambda: _submit(
            staff_user,
            survey,
            organization,
            {question.pk: option_ids(question)[:1]},
            channel="written",
            letter=_letter(),
        ),
        code="not_in_audience",
    )


def test_a_written_response_needs_an_active_staff_account(media, state, ballot):
    former = StaffUserFactory(is_active=False)
    _refused(
        NotPermitted,
        lambda: _submit(former, ballot, state, _valid(ballot), channel="written", letter=_letter()),
    )


def test_a_written_response_replaces_a_portal_one_and_the_history_shows_both(
    media, staff_user, delegate, state, ballot
):
    _submit(delegate, ballot, state, _valid(ballot, first=0))
    response = _submit(
        staff_user,
        ballot,
        state,
        _valid(ballot, first=1),
        channel="written",
        letter=_letter(),
        now=DURING + TICK,
    )
    assert Response.objects.count() == 1
    assert response.version == 2
    assert list(
        ResponseVersion.objects.filter(member=state).values_list(
            "version", "channel", "submitted_by"
        )
    ) == [(1, "portal", delegate.pk), (2, "written", staff_user.pk)]


def test_a_portal_edit_of_a_written_response_does_not_carry_the_old_letter(
    media, staff_user, delegate, state, ballot
):
    _submit(staff_user, ballot, state, _valid(ballot), channel="written", letter=_letter())
    response = _submit(delegate, ballot, state, _valid(ballot, first=1), now=DURING + TICK)
    response.refresh_from_db()
    assert response.channel == Response.Channel.PORTAL
    assert not response.letter


# What is kept


def test_a_response_is_stored_with_its_answers_history_receipt_and_audit_entry(
    delegate, state, ballot
):
    choices = _valid(ballot)
    response = _submit(delegate, ballot, state, choices, comment="  With thanks.  ")
    response.refresh_from_db()
    assert (response.survey, response.member, response.version) == (ballot, state, 1)
    assert (response.submitted_by, response.submitted_at) == (delegate, DURING)
    assert response.channel == Response.Channel.PORTAL
    assert response.comment == "With thanks."
    assert RECEIPT.match(response.receipt)
    assert re.fullmatch(r"[0-9a-f]{64}", response.fingerprint)
    assert stored_answers(response) == choices
    _, _, rank = questions_of(ballot)
    assert list(
        response.answers.filter(question=rank).order_by("rank").values_list("rank", "option_id")
    ) == [(1, choices[rank.pk][0]), (2, choices[rank.pk][1]), (3, choices[rank.pk][2])]
    version = ResponseVersion.objects.get()
    assert (version.version, version.receipt, version.fingerprint) == (
        1,
        response.receipt,
        response.fingerprint,
    )
    assert version.content == {
        "answers": {str(k): v for k, v in choices.items()},
        "option_comments": {},
        "comment": "With thanks.",
    }
    entry = AuditEntry.objects.get(object_type="surveys.response", object_id=str(response.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == delegate
    assert entry.changes == {"version": 1, "channel": "portal", "fingerprint": response.fingerprint}


def test_a_second_submission_by_another_delegate_replaces_the_delegations_response(
    delegate, state, ballot
):
    first = _submit(delegate, ballot, state, _valid(ballot, first=0, ranked=(0, 1, 2)))
    first_receipt, first_fingerprint = first.receipt, first.fingerprint
    colleague = delegate_of(state)
    second = _submit(
        colleague,
        ballot,
        state,
        _valid(ballot, first=2, second=(3,), ranked=(3,)),
        now=DURING + datetime.timedelta(hours=1),
    )
    assert Response.objects.filter(survey=ballot, member=state).count() == 1
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.version == 2
    assert second.submitted_by == colleague
    assert second.receipt != first_receipt
    assert second.fingerprint != first_fingerprint
    assert RECEIPT.match(second.receipt)
    assert stored_answers(second) == _valid(ballot, first=2, second=(3,), ranked=(3,))
    assert Answer.objects.count() == 3
    versions = list(ResponseVersion.objects.filter(survey=ballot, member=state))
    assert [(v.version, v.receipt, v.submitted_by) for v in versions] == [
        (1, first_receipt, delegate),
        (2, second.receipt, colleague),
    ]
    assert versions[0].content["answers"] == {
        str(k): v for k, v in _valid(ballot, first=0, ranked=(0, 1, 2)).items()
    }
    actions = list(
        AuditEntry.objects.filter(object_type="surveys.response")
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [("create", delegate.pk), ("update", colleague.pk)]


def test_each_delegation_has_its_own_response(delegate, state, other_state, ballot):
    _submit(delegate, ballot, state, _valid(ballot))
    other = _submit(delegate_of(other_state), ballot, other_state, _valid(ballot))
    assert other.version == 1
    assert Response.objects.count() == 2
    assert len(set(Response.objects.values_list("receipt", flat=True))) == 2


def test_the_fingerprint_can_be_recomputed_from_each_stored_version(delegate, state, ballot):
    _submit(delegate, ballot, state, _valid(ballot))
    _, _, rank = questions_of(ballot)
    latest = _submit(
        delegate,
        ballot,
        state,
        _valid(ballot, first=1),
        option_comments={str(option_ids(rank)[2]): "Our first priority.", option_ids(rank)[0]: ""},
        comment="Revised.",
        now=DURING + TICK,
    )
    previous = ""
    for version in ResponseVersion.objects.filter(survey=ballot, member=state).order_by("version"):
        recomputed = services.fingerprint(
            survey_id=version.survey_id,
            member_code=state.code,
            version=version.version,
            content=version.content,
            receipt=version.receipt,
            submitted_at=version.submitted_at,
            previous=previous,
        )
        assert recomputed == version.fingerprint
        previous = version.fingerprint
    current = ResponseVersion.objects.get(version=2)
    assert current.fingerprint == latest.fingerprint
    assert current.content["option_comments"] == {str(option_ids(rank)[2]): "Our first priority."}
    tampered = {**current.content, "comment": "Changed afterwards."}
    assert (
        services.fingerprint(
            survey_id=ballot.pk,
            member_code=state.code,
            version=2,
            content=tampered,
            receipt=current.receipt,
            submitted_at=current.submitted_at,
            previous=ResponseVersion.objects.get(
                survey=ballot, member=state, version=1
            ).fingerprint,
        )
        != current.fingerprint
    )


def test_a_comment_on_a_ranked_option_is_kept_on_its_answer(delegate, state, ballot):
    _, _, rank = questions_of(ballot)
    chosen = option_ids(rank)[2]
    response = _submit(
        delegate, ballot, state, _valid(ballot), option_comments={chosen: "Our priority."}
    )
    assert response.answers.get(option_id=chosen).comment == "Our priority."


def test_an_optional_question_may_be_left_unanswered(delegate, state, ballot):
    _, _, rank = questions_of(ballot)
    choices = _valid(ballot)
    del choices[rank.pk]
    response = _submit(delegate, ballot, state, choices)
    assert not response.answers.filter(question=rank).exists()
    assert ResponseVersion.objects.get().content["answers"][str(rank.pk)] == []


def test_a_time_given_in_another_zone_is_recorded_as_the_same_instant(delegate, state, ballot):
    geneva = datetime.timezone(datetime.timedelta(hours=1))
    now = (DURING + datetime.timedelta(minutes=5)).astimezone(geneva)
    response = _submit(delegate, ballot, state, _valid(ballot), now=now)
    response.refresh_from_db()
    assert response.submitted_at == now


# Any input: a valid response or a DomainError


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mapping_of_question_ids_to_integers_is_stored_validly_or_refused(staff_user, data):
    survey, member, user = _hypothesis_setup(staff_user)
    questions = questions_of(survey)
    valid_ids = [o for q in questions for o in option_ids(q)]
    ints = st.one_of(
        st.sampled_from(valid_ids),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.integers(min_value=-3, max_value=max(valid_ids) + 3),
    )
    keys = st.one_of(
        st.sampled_from([q.pk for q in questions]), st.integers(min_value=-(2**31), max_value=2**31)
    )

    # Mostly plausible answers (options of the right question, about k of them), mixed
    # with arbitrary integers and extra keys, so both outcomes are explored.
    def answer(question):
        options = st.sampled_from(option_ids(question))
        k = question.max_choices
        return st.one_of(
            st.lists(options, min_size=1, max_size=k, unique=True),
            st.lists(options, max_size=k + 1),
            st.lists(ints, max_size=4),
        )

    plausible = st.fixed_dictionaries(
        {q.pk: answer(q) for q in questions if q.required},
        optional={q.pk: answer(q) for q in questions if not q.required},
    )
    extra = st.one_of(
        st.just({}), st.dictionaries(keys, st.lists(ints, max_size=6), min_size=1, max_size=2)
    )
    choices = {**data.draw(extra), **data.draw(plausible)}
    unchanged = Unchanged()
    try:
        response = services.response_submit(
            actor=user, survey=survey, member=member, choices=choices, now=DURING
        )
    except DomainError:
        event("refused")
        unchanged.check()
        return
    event("stored")
    by_question = {q.pk: q for q in questions}
    assert set(choices) <= set(by_question)
    response.refresh_from_db()
    stored = stored_answers(response)
    for question in questions:
        chosen = stored.get(question.pk, [])
        assert chosen == list(choices.get(question.pk) or [])
        assert len(chosen) == len(set(chosen)) <= question.max_choices
        assert set(chosen) <= set(option_ids(question))
        assert chosen or not question.required
    latest = ResponseVersion.objects.filter(survey=survey, member=member).latest("version")
    assert latest.version == response.version
    assert latest.fingerprint == response.fingerprint
    assert Response.objects.filter(survey=survey, member=member).count() == 1


def _hypothesis_setup(staff_user):
    """One survey and one delegate shared by every example of the property test."""
    survey = Survey.objects.filter(title_en="Property survey").first()
    if survey is None:
        survey = PublishedSurveyFactory(
            actor=staff_user,
            title_en="Property survey",
            questions=[choose_one(), choose_up_to(2), ranking(3, required=False)],
        )
    member = MemberFactory(code="PER")
    person = Person.objects.filter(delegation=member, role=Person.Role.DELEGATE).first()
    user = person.user if person else delegate_of(member)
    return survey, member, user


def test_the_system_itself_is_not_a_delegate(state, ballot):
    _refused(NotPermitted, lambda: _submit(SYSTEM, ballot, state, _valid(ballot)))


# A survey named by its id, as a delegation's client sends it


def test_a_survey_named_by_its_id_is_found_only_when_published_to_the_delegation(
    staff_user, delegate, state
):
    draft = DraftSurveyFactory(actor=staff_user)
    states_only = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    observer = observer_state()
    before = AuditEntry.objects.count()

    with pytest.raises(Survey.DoesNotExist):
        _submit(delegate, draft.pk, state, {})
    with pytest.raises(Survey.DoesNotExist):
        _submit(delegate_of(observer), states_only.pk, observer, {})
    with pytest.raises(Survey.DoesNotExist):
        _submit(delegate, 999_999, state, {})

    assert AuditEntry.objects.count() == before
    choices = {q.pk: [option_ids(q)[0]] for q in questions_of(states_only)}
    assert _submit(delegate, states_only.pk, state, choices).version == 1


def test_a_refusal_for_a_survey_named_by_its_id_is_audited_on_that_survey(delegate, state, ballot):
    error = _refused(DomainError, lambda: _submit(delegate, ballot.pk, state, {}))

    entry = audit.record_refusal(error)
    assert (entry.object_type, entry.object_id) == ("surveys.survey", str(ballot.pk))
    assert entry.object_repr == str(ballot)


def test_the_returned_response_carries_the_stored_answers_with_their_keys(delegate, state, ballot):
    _submit(delegate, ballot, state, _valid(ballot))
    response = _submit(delegate, ballot, state, _valid(ballot, first=1, ranked=(3,)))

    returned = sorted((a.pk, a.option_id, a.rank) for a in response.answers.all())
    stored = sorted(Answer.objects.filter(response=response).values_list("pk", "option_id", "rank"))
    assert returned == stored
    assert len(stored) == 4


def test_each_version_keeps_the_name_its_letter_was_stored_under(media, staff_user, state, ballot):
    first = _submit(staff_user, ballot, state, _valid(ballot), channel="written", letter=_letter())
    first_name = first.letter.name
    second = _submit(staff_user, ballot, state, _valid(ballot), channel="written", letter=_letter())

    assert second.letter.name != first_name
    names = list(
        ResponseVersion.objects.filter(survey=ballot, member=state)
        .order_by("version")
        .values_list("letter", flat=True)
    )
    assert names == [first_name, second.letter.name]
    assert Response.objects.get(pk=second.pk).letter.name == second.letter.name


def test_each_submission_announces_its_rows_once_as_save_does(delegate, state, ballot):
    announced = []

    def record(sender, instance, created, update_fields=None, **kwargs):
        announced.append((sender.__name__, created))

    for model in (Response, ResponseVersion, AuditEntry):
        post_save.connect(record, sender=model, dispatch_uid=f"announce-{model.__name__}")
    try:
        _submit(delegate, ballot, state, _valid(ballot))
        _submit(delegate, ballot, state, _valid(ballot, first=1))
    finally:
        for model in (Response, ResponseVersion, AuditEntry):
            post_save.disconnect(sender=model, dispatch_uid=f"announce-{model.__name__}")

    assert announced == [
        ("Response", True),
        ("ResponseVersion", True),
        ("AuditEntry", True),
        ("Response", False),
        ("ResponseVersion", True),
        ("AuditEntry", True),
    ]
