"""The shared results partial and its chart tags, rendered from counts built in memory."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from dialogue.members.models import Member
from dialogue.surveys import counting, services
from dialogue.surveys.models import Question, Survey
from dialogue.surveys.selectors import QuestionResult, SurveyResults, Turnout
from dialogue.surveys.templatetags.survey_results import bar_chart, figure

PARTIAL = "surveys/includes/results.html"


def _survey(status=Survey.Status.CLOSED, observers_counted=False) -> Survey:
    return Survey(
        pk=7, title_en="Choice of the theme", status=status, observers_counted=observers_counted
    )


def _question(method: str, kind: str = Question.Kind.RANK, k: int = 3, position: int = 1):
    return Question(
        pk=40 + position,
        position=position,
        text_en=f"Question by {method}",
        kind=kind,
        method=method,
        max_choices=k,
    )


def _result(
    question: Question,
    labels: dict[int, str],
    ballots: list[list[int]],
    weights=None,
    observers: list[list[int]] | None = None,
    by_region=(),
    approval: bool = False,
) -> QuestionResult:
    options = list(labels)
    profile = counting.Profile.from_ballots(options, ballots, weights, approval=approval)
    observed = None
    if observers:
        observed = counting.count(
            counting.Profile.from_ballots(options, observers, approval=approval), question.method
        )
    return QuestionResult(
        question=question,
        labels=labels,
        counted=counting.count(profile, question.method),
        observers=observed,
        by_region=list(by_region),
    )


def _results(*questions: QuestionResult, survey: Survey | None = None) -> SurveyResults:
    turnout = Turnout(
        eligible=10,
        responded=4,
        by_kind={
            Member.Kind.MEMBER_STATE: (3, 8),
            Member.Kind.OBSERVER_STATE: (1, 2),
            Member.Kind.OBSERVER_ORGANIZATION: (0, 0),
        },
    )
    return SurveyResults(
        survey=survey or _survey(),
        turnout=turnout,
        questions=list(questions),
        fingerprints=["a" * 64, "b" * 64],
    )


def _render(results: SurveyResults, **flags) -> str:
    return render_to_string(PARTIAL, {"results": results, **flags})


LABELS = {1: "Migration and development", 2: "Labour mobility", 3: "Health and migration"}


def test_turnout_is_shown_overall_and_by_kind_of_member():
    page = _render(_results())

    assert "4 of 10 delegations responded (40.0%)." in page
    assert '<th scope="row">Member States</th><td class="num">3</td><td class="num">8</td>' in page
    assert (
        '<th scope="row">Observer States</th><td class="num">1</td><td class="num">2</td>' in page
    )
    assert "Observer organizations" not in page  # none is eligible


def test_instant_runoff_rounds_are_shown_with_exhausted_ballots_and_eliminations():
    # Round 1: 3-2-1, no majority, option 3 is eliminated and its only ballot is exhausted;
    # round 2: 3 of the 5 ballots left.
    ballots = [[1], [1], [1], [2], [2, 1], [3]]
    page = _render(_results(_result(_question("irv"), LABELS, ballots)))

    assert "Instant-runoff rounds" in page
    assert "Round 1" in page and "Round 2" in page and "Round 3" not in page
    assert "<td>Eliminated: Health and migration</td>" in page
    assert "Exhausted (no option left on the response)" in page
    assert '<td class="num">0</td><td class="num">1</td></tr>' in page  # exhausted: 0, then 1
    assert 'class="results-table irv-rounds"' in page
    assert "Winner: Migration and development" in page


def test_an_instant_runoff_that_stops_on_a_tie_for_elimination_says_so():
    ballots = [[1], [1], [1], [2], [2], [3], [3]]
    page = _render(_results(_result(_question("irv"), LABELS, ballots)), staff_links=True)

    assert "TIE" in page
    assert "Tie for elimination between Labour mobility, Health and migration" in page
    assert "No winner: the count stopped on a tie for elimination" in page


def test_schulze_pairwise_matrix_and_strongest_paths_are_tables():
    ballots = [[1, 2, 3]] * 3 + [[2, 3, 1]] * 2 + [[3, 1, 2]]
    qr = _result(_question("schulze"), LABELS, ballots)
    page = _render(_results(qr))

    assert page.count('class="results-table schulze-matrix"') == 2
    assert "Pairwise preferences" in page
    assert "Strongest paths" in page
    pairwise = qr.counted.weighted.pairwise
    # Option 1 is ranked above option 2 on 4 of the 6 responses, and that cell is marked.
    assert pairwise[0][1] == 4
    assert '<td class="num ahead">4<span class="visually-hidden"> (ahead)</span></td>' in page
    assert "Winner: Migration and development" in page


def test_a_tie_for_first_place_is_announced_with_the_link_to_resolve_it_for_staff():
    qr = _result(
        _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1), LABELS, [[1], [2], [1], [2]]
    )
    url = reverse("staff:survey_tie_resolution", kwargs={"pk": 7, "question_pk": qr.question.pk})

    staff_page = _render(_results(qr), staff_links=True)
    public_page = _render(_results(qr))

    for page in (staff_page, public_page):
        assert '<strong class="tie-label">TIE</strong>' in page
        assert "Migration and development, Labour mobility are tied for first place" in page
    assert url in staff_page
    assert url not in public_page


def test_a_tie_on_an_open_survey_cannot_be_resolved_yet():
    qr = _result(_question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1), LABELS, [[1], [2]])

    page = _render(_results(qr, survey=_survey(Survey.Status.OPEN)), staff_links=True)

    assert "A tie can be resolved once the survey is closed." in page
    assert "/tie/" not in page


def test_a_resolved_tie_shows_the_recorded_order_and_note():
    question = _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1)
    question.tie_resolution = "Lots drawn at the consultation of 12 November."
    profile = counting.Profile.from_ballots(list(LABELS), [[1], [2]])
    qr = QuestionResult(
        question=question,
        labels=LABELS,
        counted=counting.count(profile, "plurality", tiebreak=[2, 1, 3]),
        observers=None,
        by_region=[],
    )

    page = _render(_results(qr))

    assert "TIE" not in page
    assert "Winner: Labour mobility" in page
    assert "Lots drawn at the consultation of 12 November." in page
    assert "Migration and development = Labour mobility" in page


def test_scores_weighted_and_unweighted_are_side_by_side_when_weights_change_them():
    question = _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1)
    qr = _result(question, LABELS, [[1], [2], [2]], weights=[3, 1, 1])

    page = _render(_results(qr))

    assert "Weighted" in page and "One vote per delegation" in page
    assert "With one vote per delegation the leading option would be: Labour mobility." in page
    assert "total weight 5" in page


def test_scores_without_weights_have_a_single_column():
    qr = _result(_question("borda"), LABELS, [[1, 2, 3], [2, 1]])

    page = _render(_results(qr))

    assert "Borda points" in page
    assert "One vote per delegation" not in page


def test_observers_figures_are_a_separate_column_only_when_asked():
    question = _question("approval", kind=Question.Kind.CHOOSE_UP_TO, k=2)
    qr = _result(question, LABELS, [[1, 2], [2]], observers=[[3], [3, 1]], approval=True)

    shown = _render(_results(qr), show_observers=True)
    hidden = _render(_results(qr))

    assert "Observers (not counted)" in shown
    assert '<td class="num observers">2</td>' in shown  # two observers chose option 3
    assert "Observers (not counted)" not in hidden


def test_observers_of_a_ranked_question_get_their_own_table():
    qr = _result(_question("irv"), LABELS, [[1], [1], [2]], observers=[[3], [2]])

    page = _render(_results(qr), show_observers=True)

    assert "Observers&#x27; responses (reported, not counted)" in page
    assert page.count('class="results-table irv-rounds"') == 2


def test_the_breakdown_by_region_is_a_table():
    qr = _result(
        _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1),
        LABELS,
        [[1], [2], [1]],
        by_region=[("Africa", {1: 2, 2: 0, 3: 0}), ("Europe", {1: 0, 2: 1, 3: 0})],
    )

    page = _render(_results(qr))

    assert "First choices by region" in page
    assert '<th scope="row">Africa</th><td class="num">2</td>' in page


def test_fingerprints_are_listed_only_when_asked():
    results = _results()

    assert "a" * 64 in _render(results, show_fingerprints=True)
    assert "a" * 64 not in _render(results)


def test_the_bar_chart_is_an_accessible_svg_with_the_numbers_also_in_a_table():
    qr = _result(
        _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1), LABELS, [[1], [1], [2]]
    )

    page = _render(_results(qr))

    assert '<svg class="bar-chart" role="img" aria-labelledby="chart-q41-title"' in page
    assert '<title id="chart-q41-title">Question 1: first choices per option</title>' in page
    assert '<table class="results-table scores">' in page


def test_labels_are_escaped_in_the_chart_and_the_tables():
    labels = {1: "<script>alert(1)</script>", 2: "Tom & Jerry"}
    qr = _result(
        _question("plurality", kind=Question.Kind.CHOOSE_ONE, k=1), labels, [[1], [2], [1]]
    )

    page = _render(_results(qr))

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Tom &amp; Jerry" in page


def test_bar_lengths_are_proportional_and_the_largest_fills_the_room():
    svg = bar_chart([("A", 10, True), ("B", 5, False), ("C", 0, False)], "T", "c")

    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths == [550.0, 275.0, 0.0]


def test_an_empty_chart_draws_nothing():
    assert bar_chart([], "T", "c") == ""


@pytest.mark.parametrize(
    ("value", "shown"), [(3, "3"), (2.0, "2"), (2.5, "2.5"), (1 / 3, "0.333"), (None, "")]
)
def test_figures_are_whole_or_have_at_most_three_decimals(value, shown):
    assert figure(value) == shown


def test_the_partial_renders_an_empty_survey():
    page = _render(_results(), show_observers=True, show_fingerprints=True)

    assert "4 of 10 delegations responded" in page
    assert "<svg" not in page


def test_choose_up_to_k_results_name_the_selected_options_and_a_tie_at_the_cut(staff_user):
    from dialogue.members.tests.factories import MemberFactory, PersonFactory
    from dialogue.surveys import selectors as survey_selectors
    from dialogue.surveys.tests.factories import DURING, PublishedSurveyFactory, choose_up_to

    survey = PublishedSurveyFactory(
        actor=staff_user, questions=[choose_up_to(2, "North", "South", "East")]
    )
    question = survey.questions.get()
    options = list(question.options.order_by("position"))
    ballots = {"CHE": [0, 1], "SEN": [0, 2], "MEX": [0]}
    for code, picks in ballots.items():
        delegate = PersonFactory(delegation=MemberFactory(code=code), with_account=True)
        services.response_submit(
            actor=delegate.user,
            survey=survey,
            member=delegate.delegation,
            choices={question.pk: [options[i].pk for i in picks]},
            now=DURING,
        )
    result = survey_selectors.question_result(question)
    assert result.selection.chosen == (options[0].pk,)
    assert set(result.selection.tied) == {options[1].pk, options[2].pk}
    assert result.tie
    page = render_to_string(
        "surveys/includes/results.html",
        {"results": survey_selectors.survey_results(survey)},
    )
    assert "Selected: North" in page
    assert "are tied for the last place to fill" in page
