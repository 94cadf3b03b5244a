"""Preparing, publishing and closing surveys: the staff side of the surveys services."""

import datetime
from decimal import Decimal

import pytest

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Consultation, Proposal
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.surveys import services
from dialogue.surveys.models import Option, Question, Survey, Weight
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    OPENS,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    choose_up_to,
    delegate_of,
    option_ids,
    questions_of,
    ranking,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _entries(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def _survey_rows():
    return (
        Survey.objects.count(),
        Question.objects.count(),
        Option.objects.count(),
        AuditEntry.objects.count(),
    )


def _closed(staff_user, **kwargs):
    survey = PublishedSurveyFactory(actor=staff_user, **kwargs)
    return services.survey_close(actor=staff_user, survey=survey, now=CLOSES)


# survey_from_consultation


@pytest.fixture
def undecided(staff_user):
    """A consultation that discussed three themes (one later withdrawn) without agreement."""
    cycle = CycleFactory(year=2008)
    themes = [
        ThemeFactory(cycle=cycle, title_en=f"Theme {n}", title_fr=f"Thème {n}", position=i)
        for i, n in enumerate("ABC", start=1)
    ]
    themes[2].status = Proposal.Status.WITHDRAWN
    themes[2].save()
    consultation = ConsultationFactory(
        cycle=cycle, proposals=themes, outcome=Consultation.Outcome.NO_AGREEMENT
    )
    return consultation, themes


def test_a_survey_follows_a_consultation_without_agreement_prefilled_with_its_proposals(
    staff_user, undecided
):
    consultation, themes = undecided
    survey = services.survey_from_consultation(actor=staff_user, consultation=consultation)
    assert survey.status == Survey.Status.DRAFT
    assert survey.consultation == consultation
    assert survey.cycle == consultation.cycle
    assert survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS
    assert survey.title_en == "IDM 2008: Choice of the overarching theme"
    assert survey.reminder_days == [7, 2]
    (question,) = questions_of(survey)
    assert question.kind == Question.Kind.CHOOSE_ONE
    assert question.method == Question.Method.PLURALITY
    options = list(question.options.order_by("position"))
    assert [o.proposal for o in options] == themes[:2]
    assert [(o.label_en, o.label_fr) for o in options] == [
        ("Theme A", "Thème A"),
        ("Theme B", "Thème B"),
    ]
    assert _entries(survey).get().action == AuditEntry.Action.CREATE


def test_a_survey_following_a_consultation_on_topics_asks_for_two_of_them(staff_user):
    theme = ThemeFactory()
    topics = [WorkshopTopicFactory(cycle=theme.cycle, theme=theme) for _ in range(3)]
    consultation = ConsultationFactory(
        cycle=theme.cycle, proposals=topics, outcome=Consultation.Outcome.NO_AGREEMENT
    )
    survey = services.survey_from_consultation(actor=staff_user, consultation=consultation)
    (question,) = questions_of(survey)
    assert question.kind == Question.Kind.CHOOSE_UP_TO
    assert question.method == Question.Method.APPROVAL
    assert question.max_choices == 2
    assert {o.proposal for o in question.options.all()} == set(topics)


def test_a_survey_from_a_consultation_published_without_dates_closes_exactly_two_weeks_later(
    staff_user, undecided
):
    consultation, _themes = undecided
    survey = services.survey_from_consultation(actor=staff_user, consultation=consultation)
    now = datetime.datetime(2007, 10, 22, 14, 37, 5, 123456, tzinfo=datetime.UTC)
    survey = services.survey_publish(actor=staff_user, survey=survey, now=now)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    assert survey.opens_at == now
    assert survey.closes_at == now + datetime.timedelta(days=14)
    assert survey.closes_at - survey.opens_at == datetime.timedelta(days=14)


@pytest.mark.parametrize("outcome", [Consultation.Outcome.PENDING, Consultation.Outcome.AGREEMENT])
def test_no_survey_follows_a_consultation_that_agreed_or_is_not_recorded(staff_user, outcome):
    themes = [ThemeFactory(), ThemeFactory()]
    for theme in themes[1:]:
        theme.cycle = themes[0].cycle
        theme.save()
    consultation = ConsultationFactory(
        cycle=themes[0].cycle,
        proposals=themes,
        outcome=outcome,
        agreed_proposal=themes[0] if outcome == Consultation.Outcome.AGREEMENT else None,
    )
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.survey_from_consultation(actor=staff_user, consultation=consultation)
    assert error.value.field == "consultation"
    assert _survey_rows() == before


def test_a_survey_needs_at_least_two_proposals_still_standing(staff_user, undecided):
    consultation, themes = undecided
    themes[1].status = Proposal.Status.WITHDRAWN
    themes[1].save()
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.survey_from_consultation(actor=staff_user, consultation=consultation)
    assert error.value.field == "consultation"
    assert _survey_rows() == before


def test_only_the_secretariat_prepares_a_survey(focal_point, undecided):
    consultation, _themes = undecided
    with pytest.raises(NotPermitted):
        services.survey_from_consultation(actor=focal_point.user, consultation=consultation)
    assert Survey.objects.count() == 0


# survey_create and survey_update


@pytest.mark.parametrize("days", [[0], [60], [7, -1], [True], ["7"], "7,2", [2.5]])
def test_reminder_days_must_be_whole_days_from_1_to_59(staff_user, days):
    with pytest.raises(DomainError) as error:
        services.survey_create(
            actor=staff_user, cycle=CycleFactory(), data={"title_en": "S", "reminder_days": days}
        )
    assert error.value.field == "reminder_days"
    assert Survey.objects.count() == 0


def test_the_audience_of_a_published_survey_cannot_change(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as error:
        services.survey_update(
            actor=staff_user, survey=survey, data={"audience": Survey.Audience.MEMBER_STATES}
        )
    assert error.value.code == "survey_frozen"
    survey.refresh_from_db()
    assert survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS


def test_texts_of_a_published_survey_may_be_corrected_and_are_audited(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_update(actor=staff_user, survey=survey, data={"title_es": "Tema (corregido)"})
    survey.refresh_from_db()
    assert survey.title_es == "Tema (corregido)"
    entry = _entries(survey).filter(action=AuditEntry.Action.UPDATE).order_by("id").last()
    assert entry.changes["title_es"][1] == "Tema (corregido)"


def test_updating_a_survey_cannot_move_its_window_or_status(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_update(
        actor=staff_user,
        survey=survey,
        data={"status": Survey.Status.DRAFT, "closes_at": CLOSES + 30 * DAY, "opens_at": None},
    )
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    assert (survey.opens_at, survey.closes_at) == (OPENS, CLOSES)


# question_add


def test_a_question_is_added_with_its_options_in_order_and_audited(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    first = services.question_add(actor=staff_user, survey=survey, **choose_one("X", "Y"))
    second = services.question_add(actor=staff_user, survey=survey, **ranking(3, method="schulze"))
    assert (first.position, second.position) == (1, 2)
    assert list(first.options.order_by("position").values_list("position", "label_en")) == [
        (1, "X"),
        (2, "Y"),
    ]
    assert second.max_choices == 3
    assert _entries(first).get().action == AuditEntry.Action.CREATE
    for option in first.options.all():
        assert _entries(option).get().changes["label_en"] == option.label_en


def test_an_option_for_a_proposal_takes_its_titles(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    themes = [ThemeFactory(cycle=survey.cycle), ThemeFactory(cycle=survey.cycle)]
    question = services.question_add(
        actor=staff_user,
        survey=survey,
        text={"en": "Which theme?"},
        kind=Question.Kind.CHOOSE_ONE,
        method=Question.Method.PLURALITY,
        options=[{"proposal": themes[0]}, {"proposal": themes[1], "label_en": "Second"}],
    )
    options = list(question.options.order_by("position"))
    assert [(o.proposal, o.label_en, o.label_fr) for o in options] == [
        (themes[0], themes[0].title_en, themes[0].title_fr),
        (themes[1], "Second", themes[1].title_fr),
    ]


@pytest.mark.parametrize("count", [0, 1])
def test_a_question_needs_at_least_two_options(staff_user, count):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    before = _survey_rows()
    spec = choose_one()
    spec["options"] = spec["options"][:count]
    with pytest.raises(DomainError) as error:
        services.question_add(actor=staff_user, survey=survey, **spec)
    assert error.value.field == "options"
    assert _survey_rows() == before


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        (Question.Kind.CHOOSE_ONE, Question.Method.BORDA),
        (Question.Kind.CHOOSE_ONE, Question.Method.APPROVAL),
        (Question.Kind.CHOOSE_UP_TO, Question.Method.PLURALITY),
        (Question.Kind.CHOOSE_UP_TO, Question.Method.SCHULZE),
        (Question.Kind.RANK, Question.Method.APPROVAL),
        (Question.Kind.RANK, "coin_toss"),
    ],
)
def test_a_counting_method_that_does_not_fit_the_kind_is_refused(staff_user, kind, method):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.question_add(
            actor=staff_user,
            survey=survey,
            text={"en": "Q"},
            kind=kind,
            method=method,
            max_choices=2,
            options=[{"label_en": "A"}, {"label_en": "B"}, {"label_en": "C"}],
        )
    assert error.value.field == "method"
    assert _survey_rows() == before


def test_an_unknown_kind_of_question_is_refused(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    with pytest.raises(DomainError) as error:
        services.question_add(
            actor=staff_user,
            survey=survey,
            text={"en": "Q"},
            kind="free_text",
            method="plurality",
            options=[{"label_en": "A"}, {"label_en": "B"}],
        )
    assert error.value.field == "kind"


@pytest.mark.parametrize("k", [0, -1, 5, 100])
def test_k_must_be_between_one_and_the_number_of_options(staff_user, k):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.question_add(actor=staff_user, survey=survey, **choose_up_to(k))
    assert error.value.field == "max_choices"
    assert _survey_rows() == before


def test_k_may_equal_the_number_of_options(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    question = services.question_add(actor=staff_user, survey=survey, **ranking(4))
    assert question.max_choices == 4


def test_a_choose_one_question_always_allows_exactly_one_choice(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    question = services.question_add(actor=staff_user, survey=survey, **choose_one(max_choices=3))
    assert question.max_choices == 1


def test_an_option_without_a_label_is_refused_and_the_question_is_not_kept(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    before = _survey_rows()
    with pytest.raises(DomainError):
        services.question_add(
            actor=staff_user,
            survey=survey,
            text={"en": "Q"},
            kind=Question.Kind.CHOOSE_ONE,
            method=Question.Method.PLURALITY,
            options=[{"label_en": "A"}, {"label_fr": "Seulement en français"}],
        )
    assert _survey_rows() == before


def test_a_question_without_english_text_is_refused(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    spec = choose_one()
    spec["text"] = {"fr": "Laquelle ?"}
    with pytest.raises(DomainError):
        services.question_add(actor=staff_user, survey=survey, **spec)
    assert not survey.questions.exists()


@pytest.mark.parametrize("state", ["open", "opens_later", "closed"])
def test_questions_of_a_published_survey_are_frozen(staff_user, state):
    if state == "closed":
        survey = _closed(staff_user)
    else:
        survey = PublishedSurveyFactory(
            actor=staff_user,
            opens_at=OPENS + (30 * DAY if state == "opens_later" else datetime.timedelta()),
            now=OPENS,
        )
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.question_add(actor=staff_user, survey=survey, **choose_one("Late", "Later"))
    assert error.value.code == "survey_frozen"
    assert _survey_rows() == before


def test_only_the_secretariat_adds_questions(focal_point):
    survey = DraftSurveyFactory(questions=[])
    with pytest.raises(NotPermitted):
        services.question_add(actor=focal_point.user, survey=survey, **choose_one())
    assert not survey.questions.exists()


# survey_publish


def test_publishing_opens_now_and_closes_two_weeks_later_by_default(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    published = services.survey_publish(actor=staff_user, survey=survey, now=OPENS)
    published.refresh_from_db()
    assert published.status == Survey.Status.OPEN
    assert (published.opens_at, published.closes_at) == (OPENS, OPENS + 14 * DAY)
    entry = _entries(survey).filter(note="published").get()
    assert entry.changes["status"] == ["draft", "open"]


def test_publishing_may_set_a_later_opening_and_a_chosen_close(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    services.survey_publish(
        actor=staff_user, survey=survey, opens_at=OPENS + DAY, closes_at=OPENS + 5 * DAY, now=OPENS
    )
    survey.refresh_from_db()
    assert (survey.opens_at, survey.closes_at) == (OPENS + DAY, OPENS + 5 * DAY)


def test_a_survey_without_a_question_cannot_be_published(staff_user):
    survey = DraftSurveyFactory(actor=staff_user, questions=[])
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.survey_publish(actor=staff_user, survey=survey, now=OPENS)
    assert error.value.field == "questions"
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT
    assert _survey_rows() == before


@pytest.mark.parametrize("closes_at", [OPENS - DAY, OPENS])
def test_a_survey_cannot_close_before_or_when_it_opens(staff_user, closes_at):
    survey = DraftSurveyFactory(actor=staff_user)
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.survey_publish(
            actor=staff_user, survey=survey, opens_at=OPENS, closes_at=closes_at, now=OPENS - DAY
        )
    assert error.value.field == "closes_at"
    survey.refresh_from_db()
    assert (survey.status, survey.opens_at, survey.closes_at) == ("draft", None, None)
    assert _survey_rows() == before


@pytest.mark.parametrize("closes_at", [OPENS - datetime.timedelta(microseconds=1), OPENS])
def test_a_survey_whose_close_has_already_passed_cannot_be_published(staff_user, closes_at):
    survey = DraftSurveyFactory(actor=staff_user)
    before = _survey_rows()
    with pytest.raises(DomainError) as error:
        services.survey_publish(
            actor=staff_user,
            survey=survey,
            opens_at=OPENS - 10 * DAY,
            closes_at=closes_at,
            now=OPENS,
        )
    assert error.value.field == "closes_at"
    assert _survey_rows() == before


def test_a_published_survey_cannot_be_published_again(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as error:
        services.survey_publish(actor=staff_user, survey=survey, now=DURING)
    assert error.value.code == "survey_frozen"
    survey.refresh_from_db()
    assert survey.opens_at == OPENS


def test_only_the_secretariat_publishes(focal_point):
    survey = DraftSurveyFactory()
    with pytest.raises(NotPermitted):
        services.survey_publish(actor=focal_point.user, survey=survey, now=OPENS)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT


# survey_extend


def test_an_open_survey_is_extended_to_a_later_close_and_audited(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_extend(actor=staff_user, survey=survey, closes_at=CLOSES + 3 * DAY, now=DURING)
    survey.refresh_from_db()
    assert survey.closes_at == CLOSES + 3 * DAY
    assert survey.status == Survey.Status.OPEN
    entry = _entries(survey).get(note="extended")
    assert entry.changes["closes_at"] == [CLOSES.isoformat(), (CLOSES + 3 * DAY).isoformat()]


@pytest.mark.parametrize("closes_at", [CLOSES, CLOSES - DAY, DURING + DAY])
def test_an_extension_that_is_not_later_is_refused(staff_user, closes_at):
    survey = PublishedSurveyFactory(actor=staff_user)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.survey_extend(actor=staff_user, survey=survey, closes_at=closes_at, now=DURING)
    assert error.value.field == "closes_at"
    survey.refresh_from_db()
    assert survey.closes_at == CLOSES
    assert AuditEntry.objects.count() == audit_before


def test_a_draft_cannot_be_extended(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as error:
        services.survey_extend(actor=staff_user, survey=survey, closes_at=CLOSES, now=OPENS)
    assert error.value.code == "not_open"


def test_a_closed_survey_cannot_be_extended(staff_user):
    survey = _closed(staff_user)
    with pytest.raises(DomainError) as error:
        services.survey_extend(
            actor=staff_user, survey=survey, closes_at=CLOSES + 7 * DAY, now=CLOSES + DAY
        )
    assert error.value.code == "not_open"
    survey.refresh_from_db()
    assert survey.closes_at == CLOSES


def test_a_survey_past_its_closing_time_cannot_be_extended_even_before_it_is_closed(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError):
        services.survey_extend(
            actor=staff_user, survey=survey, closes_at=CLOSES + 7 * DAY, now=CLOSES + DAY
        )
    survey.refresh_from_db()
    assert survey.closes_at == CLOSES


def test_only_the_secretariat_extends_a_survey(focal_point, staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(NotPermitted):
        services.survey_extend(
            actor=focal_point.user, survey=survey, closes_at=CLOSES + DAY, now=DURING
        )


# survey_close


def test_closing_early_moves_the_close_to_now(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_close(actor=staff_user, survey=survey, now=DURING)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    assert survey.closed_at == DURING
    assert survey.closes_at == DURING
    entry = _entries(survey).get(note="closed")
    assert entry.changes["status"] == ["open", "closed"]
    assert entry.changes["closes_at"] == [CLOSES.isoformat(), DURING.isoformat()]


def test_closing_after_the_closing_time_records_the_closing_time(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    services.survey_close(actor=staff_user, survey=survey, now=CLOSES + 2 * DAY)
    survey.refresh_from_db()
    assert survey.closed_at == CLOSES
    assert survey.closes_at == CLOSES


def test_a_survey_that_has_not_opened_cannot_be_closed(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, opens_at=OPENS + 2 * DAY, now=OPENS)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.survey_close(actor=staff_user, survey=survey, now=OPENS + DAY)
    assert error.value.code == "not_open_yet"
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    assert survey.closed_at is None
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_only_a_published_survey_can_be_closed(staff_user, state):
    survey = DraftSurveyFactory(actor=staff_user) if state == "draft" else _closed(staff_user)
    with pytest.raises(DomainError) as error:
        services.survey_close(actor=staff_user, survey=survey, now=CLOSES + DAY)
    assert error.value.code == "not_open"


def test_only_the_secretariat_closes_a_survey(focal_point, staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(NotPermitted):
        services.survey_close(actor=focal_point.user, survey=survey, now=DURING)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN


# survey_publish_results


def test_results_of_a_closed_survey_are_published(staff_user):
    survey = _closed(staff_user)
    later = CLOSES + 2 * DAY
    services.survey_publish_results(actor=staff_user, survey=survey, now=later)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.RESULTS_PUBLISHED
    assert survey.results_published_at == later
    assert _entries(survey).filter(note="results published").exists()


@pytest.mark.parametrize("state", ["draft", "open", "results_published"])
def test_results_are_published_only_once_the_survey_is_closed(staff_user, state):
    if state == "draft":
        survey = DraftSurveyFactory(actor=staff_user)
    elif state == "open":
        survey = PublishedSurveyFactory(actor=staff_user)
    else:
        survey = services.survey_publish_results(
            actor=staff_user, survey=_closed(staff_user), now=CLOSES
        )
    with pytest.raises(DomainError):
        services.survey_publish_results(actor=staff_user, survey=survey, now=CLOSES + DAY)
    survey.refresh_from_db()
    assert survey.status == state
    assert survey.results_published_at == (CLOSES if state == "results_published" else None)


# weight_set


def test_a_delegation_is_given_a_weight_in_a_draft_and_it_can_be_changed(staff_user, member_state):
    survey = DraftSurveyFactory(actor=staff_user)
    services.weight_set(actor=staff_user, survey=survey, member=member_state, weight=Decimal("2.5"))
    row = services.weight_set(actor=staff_user, survey=survey, member=member_state, weight=3)
    assert Weight.objects.get(survey=survey, member=member_state).weight == Decimal("3")
    assert [e.changes for e in _entries(row).order_by("id")] == [
        {"weight": "2.5"},
        {"weight": "3"},
    ]


@pytest.mark.parametrize("weight", [0, -1, Decimal("-0.001"), None])
def test_a_weight_must_be_positive(staff_user, member_state, weight):
    survey = DraftSurveyFactory(actor=staff_user)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.weight_set(actor=staff_user, survey=survey, member=member_state, weight=weight)
    assert error.value.field == "weight"
    assert not Weight.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    "weight",
    [Decimal("NaN"), float("inf"), "two", Decimal("123456.789"), 10**9],
    ids=["nan", "infinity", "text", "too_many_digits", "huge"],
)
def test_a_weight_that_is_not_a_number_in_range_is_refused_with_a_message(
    staff_user, member_state, weight
):
    survey = DraftSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as error:
        services.weight_set(actor=staff_user, survey=survey, member=member_state, weight=weight)
    assert error.value.field == "weight"
    assert not Weight.objects.exists()


def test_weights_are_frozen_once_the_survey_is_published(staff_user, member_state):
    survey = PublishedSurveyFactory(actor=staff_user)
    with pytest.raises(DomainError) as error:
        services.weight_set(actor=staff_user, survey=survey, member=member_state, weight=2)
    assert error.value.code == "survey_frozen"
    assert not Weight.objects.exists()


def test_only_the_secretariat_sets_weights(member_state):
    survey = DraftSurveyFactory()
    with pytest.raises(NotPermitted):
        services.weight_set(
            actor=delegate_of(member_state), survey=survey, member=member_state, weight=2
        )
    assert not Weight.objects.exists()


# question_record_tie_resolution


def test_the_resolution_of_a_tie_is_recorded_after_the_close_and_audited(staff_user):
    survey = _closed(staff_user)
    (question,) = questions_of(survey)
    order = list(reversed(option_ids(question)))
    services.question_record_tie_resolution(
        actor=staff_user, question=question, order=order, note="  Drawn by lot on 20 March.  "
    )
    question.refresh_from_db()
    assert question.tiebreak == order
    assert question.tie_resolution == "Drawn by lot on 20 March."
    entry = _entries(question).get(action=AuditEntry.Action.UPDATE)
    assert entry.changes["tiebreak"] == [[], order]


def test_a_tie_cannot_be_resolved_while_the_survey_is_open(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    (question,) = questions_of(survey)
    with pytest.raises(DomainError):
        services.question_record_tie_resolution(
            actor=staff_user, question=question, order=option_ids(question), note="Lot."
        )
    question.refresh_from_db()
    assert question.tiebreak == []


def test_a_tie_cannot_be_resolved_on_a_draft(staff_user):
    survey = DraftSurveyFactory(actor=staff_user)
    (question,) = questions_of(survey)
    with pytest.raises(DomainError):
        services.question_record_tie_resolution(
            actor=staff_user, question=question, order=option_ids(question), note="Lot."
        )


@pytest.mark.parametrize(
    "change",
    ["missing", "repeated", "foreign", "as_text"],
)
def test_the_tie_order_must_list_every_option_of_the_question_exactly_once(staff_user, change):
    survey = _closed(staff_user, questions=[choose_one(), choose_one("P", "Q")])
    question, other = questions_of(survey)
    ids = option_ids(question)
    order = {
        "missing": ids[:-1],
        "repeated": [*ids, ids[0]],
        "foreign": [*ids[:-1], option_ids(other)[0]],
        "as_text": [str(i) for i in ids],
    }[change]
    with pytest.raises(DomainError) as error:
        services.question_record_tie_resolution(
            actor=staff_user, question=question, order=order, note="Lot."
        )
    assert error.value.field == "order"
    question.refresh_from_db()
    assert question.tiebreak == []


def test_a_tie_resolution_says_how_it_was_decided(staff_user):
    survey = _closed(staff_user)
    (question,) = questions_of(survey)
    with pytest.raises(DomainError) as error:
        services.question_record_tie_resolution(
            actor=staff_user, question=question, order=option_ids(question), note="   "
        )
    assert error.value.field == "note"


def test_only_the_secretariat_resolves_a_tie(staff_user, focal_point):
    survey = _closed(staff_user)
    (question,) = questions_of(survey)
    with pytest.raises(NotPermitted):
        services.question_record_tie_resolution(
            actor=focal_point.user, question=question, order=option_ids(question), note="Lot."
        )


def test_a_survey_cannot_be_closed_at_the_very_instant_it_opens(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, opens_at=OPENS + DAY, now=OPENS)
    with pytest.raises(DomainError) as error:
        services.survey_close(actor=staff_user, survey=survey, now=OPENS + DAY)
    assert error.value.code == "not_open_yet"
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
