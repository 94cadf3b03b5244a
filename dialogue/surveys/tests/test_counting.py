"""Counting methods: hand-worked elections, an independent implementation, properties.

No database: counting is a pure function of the ballots.
"""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogue.surveys.counting import (
    METHODS,
    Profile,
    approval,
    borda,
    count,
    invalid_ballots,
    irv,
    plurality,
    schulze,
    select_top,
)


def _repeat(*groups):
    """Ballots from (how many, ballot) pairs; a ballot is a string of option letters."""
    return [list(ballot) for times, ballot in groups for _ in range(times)]


# --- profiles -------------------------------------------------------------------


def test_ballots_become_positions_per_option():
    profile = Profile.from_ballots("ABC", [["C", "A"], ["B"], []])
    assert profile.ranks.tolist() == [[2, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert profile.weights.tolist() == [1.0, 1.0, 1.0]


def test_approval_ballots_give_every_chosen_option_position_one():
    profile = Profile.from_ballots("ABC", [{"A", "C"}, ["B"]], approval=True)
    assert profile.ranks.tolist() == [[1, 0, 1], [0, 1, 0]]


@pytest.mark.parametrize(
    ("options", "ballots", "weights"),
    [
        ("A", [["A"]], None),
        ("AA", [["A"]], None),
        ("AB", [["C"]], None),
        ("AB", [["A", "A"]], None),
        ("AB", [["A"]], [1, 2]),
        ("AB", [["A"]], [-1]),
        ("AB", [["A"]], [float("nan")]),
    ],
)
def test_malformed_input_is_refused(options, ballots, weights):
    with pytest.raises(ValueError):
        Profile.from_ballots(options, ballots, weights)


def test_positions_outside_the_options_are_refused():
    with pytest.raises(ValueError):
        Profile(("A", "B"), np.array([[1, 3]]))


def test_invalid_rows_are_found():
    ranks = np.array([[1, 2, 3], [2, 1, 0], [1, 1, 0], [1, 3, 0], [0, 2, 0], [0, 0, 0]])
    profile = Profile(("A", "B", "C"), ranks)
    assert invalid_ballots(profile).tolist() == [2, 3, 4]
    assert invalid_ballots(profile, approval=True).tolist() == [0, 1, 3, 4]


def test_profile_does_not_change_when_the_callers_arrays_do():
    ranks = np.array([[1, 0], [0, 1]])
    weights = np.array([1.0, 2.0])
    profile = Profile((1, 2), ranks, weights)
    ranks[0, 0] = 0
    weights[0] = 5
    assert profile.ranks.tolist() == [[1, 0], [0, 1]]
    assert profile.weights.tolist() == [1.0, 2.0]


# --- plurality and approval -----------------------------------------------------


def test_plurality_counts_first_preferences():
    profile = Profile.from_ballots("ABC", [["A", "B"], ["B"], ["A", "C"], ["C", "A"], ["A"]])
    result = plurality(profile)
    assert result.scores == {"A": 3, "B": 1, "C": 1}
    assert result.ranking == [("A",), ("B", "C")]
    assert result.winners == ("A",)
    assert not result.tie
    assert result.total == 5


def test_plurality_tie_is_reported_not_broken():
    result = plurality(Profile.from_ballots("ABC", [["A"], ["B"], ["C"], ["B"], ["A"]]))
    assert result.winners == ("A", "B")
    assert result.tie
    assert not result.tiebreak_used


def test_plurality_tiebreak_orders_the_tied_options_and_is_recorded():
    profile = Profile.from_ballots("ABC", [["A"], ["B"], ["C"], ["B"], ["A"]])
    result = plurality(profile, tiebreak=["C", "B", "A"])
    assert result.ranking == [("B",), ("A",), ("C",)]
    assert result.winners == ("B",)
    assert not result.tie
    assert result.tiebreak_used
    assert result.ranking_without_tiebreak == [("A", "B"), ("C",)]


def test_tiebreak_is_not_used_when_nothing_is_tied():
    result = plurality(Profile.from_ballots("AB", [["A"], ["A"], ["B"]]), tiebreak=["B", "A"])
    assert result.winners == ("A",)
    assert not result.tiebreak_used


def test_an_empty_tiebreak_counts_as_none():
    result = plurality(Profile.from_ballots("AB", [["A"], ["B"]]), tiebreak=[])
    assert result.tie
    assert not result.tiebreak_used


@pytest.mark.parametrize("tiebreak", [["A"], ["A", "B", "A"], ["A", "B", "Z"]])
def test_tiebreak_must_place_the_tied_options_once_and_name_only_options(tiebreak):
    with pytest.raises(ValueError):
        plurality(Profile.from_ballots("AB", [["A"], ["B"]]), tiebreak=tiebreak)


def test_weighted_plurality_and_its_unweighted_figures_side_by_side():
    profile = Profile.from_ballots("AB", [["A"], ["B"], ["B"]], weights=[3, 1, 1])
    result = count(profile, "plurality")
    assert result.weighted.scores == {"A": 3, "B": 2}
    assert result.weighted.winners == ("A",)
    assert result.unweighted.scores == {"A": 1, "B": 2}
    assert result.unweighted.winners == ("B",)


def test_ballots_of_weight_zero_are_not_counted_even_unweighted():
    profile = Profile.from_ballots("AB", [["A"], ["B"], ["B"]], weights=[2, 1, 0])
    result = count(profile, "plurality")
    assert result.weighted.scores == {"A": 2, "B": 1}
    assert result.unweighted.scores == {"A": 1, "B": 1}
    assert result.unweighted.tie


def test_fractional_weights_that_sum_equal_are_a_tie():
    # In floating point 0.1 + 0.2 != 0.3; counted in millionths they are equal.
    profile = Profile.from_ballots("AB", [["A"], ["A"], ["B"]], weights=[0.1, 0.2, 0.3])
    result = plurality(profile)
    assert result.scores == {"A": 0.3, "B": 0.3}
    assert result.tie


def test_approval_counts_every_chosen_option():
    ballots = [{"A", "B"}, {"B"}, {"B", "C"}, {"A", "C"}, set()]
    result = approval(Profile.from_ballots("ABCD", ballots, approval=True))
    assert result.scores == {"A": 2, "B": 3, "C": 2, "D": 0}
    assert result.ranking == [("B",), ("A", "C"), ("D",)]
    assert result.winners == ("B",)


def test_approval_tie_is_reported():
    ballots = [{"A", "B"}, {"C"}, {"C", "A"}, {"B"}]
    result = approval(Profile.from_ballots("ABC", ballots, approval=True))
    assert result.winners == ("A", "B", "C")
    assert result.tie


def test_top_k_ranking_ballots_count_as_approval_of_the_ranked_options():
    result = approval(Profile.from_ballots("ABC", [["A", "B"], ["B", "C"], ["B"]]))
    assert result.scores == {"A": 1, "B": 3, "C": 1}


# --- Borda -------------------------------------------------------------------------


def test_borda_gives_m_minus_position_points_and_nothing_to_unranked_options():
    # Four options: 3, 2, 1, 0 points for first to fourth place.
    ballots = [["A", "B"], ["A", "B"], ["B", "C", "D", "A"], ["C"], ["D", "C"], ["C", "A"]]
    result = borda(Profile.from_ballots("ABCD", ballots))
    # A: 3+3+0+2, B: 2+2+3, C: 2+3+2+3, D: 1+3
    assert result.scores == {"A": 8, "B": 7, "C": 10, "D": 4}
    assert result.ranking == [("C",), ("A",), ("B",), ("D",)]
    assert result.winners == ("C",)


def test_borda_tie_is_reported_and_a_tiebreak_resolves_it():
    ballots = [["A", "B"], ["A", "B"], ["B", "C", "D", "A"], ["C"], ["D", "C"]]
    profile = Profile.from_ballots("ABCD", ballots)
    result = borda(profile)
    assert result.scores == {"A": 6, "B": 7, "C": 7, "D": 4}
    assert result.ranking == [("B", "C"), ("A",), ("D",)]
    assert result.tie
    resolved = borda(profile, tiebreak=["D", "C", "B", "A"])
    assert resolved.ranking == [("C",), ("B",), ("A",), ("D",)]
    assert resolved.tiebreak_used


def test_weighted_borda():
    profile = Profile.from_ballots("ABC", [["A", "B", "C"], ["C", "B", "A"]], weights=[2, 3])
    result = count(profile, "borda")
    assert result.weighted.scores == {"A": 4, "B": 5, "C": 6}
    assert result.unweighted.scores == {"A": 2, "B": 2, "C": 2}
    assert result.unweighted.tie


# --- instant-runoff -----------------------------------------------------------------

# 22 ballots over four options. A leads on first preferences but loses: D goes
# first (one of its ballots ranks nothing else and is exhausted), then B, whose
# ballots mostly move to C.
IRV_BALLOTS = _repeat((8, "AB"), (5, "BCA"), (1, "BA"), (5, "CA"), (2, "DC"), (1, "D"))


def test_irv_transfers_ballots_until_a_majority_and_the_plurality_leader_can_lose():
    result = irv(Profile.from_ballots("ABCD", IRV_BALLOTS))
    first, second, third = result.rounds
    assert first.counts == {"A": 8, "B": 6, "C": 5, "D": 3}
    assert first.exhausted == 0
    assert first.eliminated == "D"
    assert second.counts == {"A": 8, "B": 6, "C": 7}
    assert second.exhausted == 1
    assert second.eliminated == "B"
    # 12 of the 21 ballots still in the count is a majority.
    assert third.counts == {"A": 9, "C": 12}
    assert third.exhausted == 1
    assert third.winner == "C"
    assert result.winners == ("C",)
    assert not result.tie
    assert result.ranking == [("C",), ("A",), ("B",), ("D",)]
    assert plurality(Profile.from_ballots("ABCD", IRV_BALLOTS)).winners == ("A",)


def test_irv_majority_in_the_first_round_ends_the_count():
    result = irv(Profile.from_ballots("ABC", _repeat((3, "AB"), (1, "BA"), (1, "CB"))))
    assert len(result.rounds) == 1
    assert result.rounds[0].winner == "A"
    assert result.ranking == [("A",), ("B", "C")]


TIE_BALLOTS = _repeat((3, "A"), (2, "BA"), (2, "CB"))


def test_irv_tie_for_elimination_stops_the_count_without_a_winner():
    result = irv(Profile.from_ballots("ABC", TIE_BALLOTS))
    (only,) = result.rounds
    assert only.counts == {"A": 3, "B": 2, "C": 2}
    assert only.tie_for_elimination == ("B", "C")
    assert only.eliminated is None
    assert only.winner is None
    assert result.winners == ()
    assert result.tie
    assert not result.tiebreak_used


@pytest.mark.parametrize(
    ("tiebreak", "eliminated", "winner"),
    [(["A", "B", "C"], "C", "B"), (["C", "B", "A"], "B", "A")],
)
def test_irv_tiebreak_eliminates_the_tied_option_placed_last(tiebreak, eliminated, winner):
    result = irv(Profile.from_ballots("ABC", TIE_BALLOTS), tiebreak=tiebreak)
    first, second = result.rounds
    assert first.tie_for_elimination == ()
    assert first.eliminated == eliminated
    assert first.tiebreak_used
    assert not second.tiebreak_used
    assert second.winner == winner
    assert result.winners == (winner,)
    assert result.tiebreak_used


def test_irv_even_split_between_the_last_two_is_a_tie():
    result = irv(Profile.from_ballots("ABC", _repeat((3, "AC"), (3, "BC"), (1, "CA"), (1, "CB"))))
    assert [r.eliminated for r in result.rounds] == ["C", None]
    assert result.rounds[-1].counts == {"A": 4, "B": 4}
    assert result.rounds[-1].tie_for_elimination == ("A", "B")
    assert result.winners == ()


def test_weighted_irv_counts_weights_in_every_round():
    ballots = [["A"], ["B", "A"], ["C", "B"], ["C", "B"]]
    result = count(Profile.from_ballots("ABC", ballots, weights=[4, 3, 1, 1]), "irv")
    assert [r.counts for r in result.weighted.rounds] == [
        {"A": 4, "B": 3, "C": 2},
        {"A": 4, "B": 5},
    ]
    assert result.weighted.rounds[-1].exhausted == 0
    assert result.weighted.winners == ("B",)
    # One ballot each: A 1, B 1, C 2; A and B tie for elimination.
    assert result.unweighted.rounds[0].tie_for_elimination == ("A", "B")


# --- Schulze -------------------------------------------------------------------------

# Schulze's own illustration: 45 voters, five options, no Condorcet winner.
SCHULZE_45 = _repeat(
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
)


def test_schulze_resolves_the_classic_45_voter_election_for_e():
    result = schulze(Profile.from_ballots("ABCDE", SCHULZE_45))
    assert result.pairwise == (
        (0, 20, 26, 30, 22),
        (25, 0, 16, 33, 18),
        (19, 29, 0, 17, 24),
        (15, 12, 28, 0, 14),
        (23, 27, 21, 31, 0),
    )
    assert result.strongest_paths == (
        (0, 28, 28, 30, 24),
        (25, 0, 28, 33, 24),
        (25, 29, 0, 29, 24),
        (25, 28, 28, 0, 24),
        (25, 28, 28, 31, 0),
    )
    assert result.winners == ("E",)
    assert result.ranking == [("E",), ("A",), ("C",), ("B",), ("D",)]
    assert not result.tie


def test_schulze_breaks_a_cycle_at_its_weakest_link():
    # A beats B 8-4, B beats C 9-3, C beats A 7-5: the 7 link is the weakest.
    ballots = _repeat((5, "ABC"), (4, "BCA"), (3, "CAB"))
    result = schulze(Profile.from_ballots("ABC", ballots))
    assert result.pairwise == ((0, 8, 5), (4, 0, 9), (7, 3, 0))
    assert result.strongest_paths == ((0, 8, 8), (7, 0, 9), (7, 7, 0))
    assert result.ranking == [("A",), ("B",), ("C",)]
    assert plurality(Profile.from_ballots("ABC", ballots)).winners == ("A",)


def test_schulze_perfect_cycle_is_a_three_way_tie():
    result = schulze(Profile.from_ballots("ABC", [list("ABC"), list("BCA"), list("CAB")]))
    assert result.winners == ("A", "B", "C")
    assert result.ranking == [("A", "B", "C")]
    assert result.tie
    resolved = schulze(
        Profile.from_ballots("ABC", [list("ABC"), list("BCA"), list("CAB")]),
        tiebreak=["B", "C", "A"],
    )
    assert resolved.ranking == [("B",), ("C",), ("A",)]
    assert resolved.tiebreak_used
    assert resolved.ranking_without_tiebreak == [("A", "B", "C")]


def test_schulze_partial_rankings_put_ranked_options_above_unranked_ones():
    # Ranked A alone: A over B and C. Ranked B, C: both over A. Ranked C alone:
    # C over A and B, while A and B stay level on that ballot.
    ballots = _repeat((3, "A"), (2, "BC"), (2, "C"))
    result = schulze(Profile.from_ballots("ABC", ballots))
    assert result.pairwise == ((0, 3, 3), (2, 0, 2), (4, 2, 0))
    assert result.strongest_paths == ((0, 3, 0), (0, 0, 0), (4, 3, 0))
    assert result.ranking == [("C",), ("A",), ("B",)]


def test_schulze_equal_positions_express_no_preference():
    ballots = [{"A", "B"}, {"A", "B"}, {"C"}]
    result = schulze(Profile.from_ballots("ABC", ballots, approval=True))
    assert result.pairwise == ((0, 0, 2), (0, 0, 2), (1, 1, 0))
    assert result.winners == ("A", "B")


def test_weighted_schulze():
    ballots = [list("ABC"), list("BCA"), list("CAB")]
    result = count(Profile.from_ballots("ABC", ballots, weights=[1, 2, 4]), "schulze")
    # C over A by 6 to 1, A over B by 5 to 2, C over B by 4 to 3.
    assert result.weighted.pairwise == ((0, 5, 1), (2, 0, 3), (6, 4, 0))
    assert result.weighted.winners == ("C",)
    assert result.unweighted.tie


# --- every method -------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_no_ballots_is_a_tie_between_every_option(method):
    result = count(Profile.from_ballots("ABC", []), method).weighted
    assert result.tie
    assert result.total == 0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        count(Profile.from_ballots("AB", [["A"]]), "coin toss")


def test_top_places_are_chosen_and_a_tie_at_the_cut_is_shown():
    result = approval(
        Profile.from_ballots("ABCD", [{"A", "B"}, {"A", "C"}, {"A", "D"}], approval=True)
    )
    assert result.ranking == [("A",), ("B", "C", "D")]
    two = select_top(result, 2)
    assert two.chosen == ("A",)
    assert two.tied == ("B", "C", "D")
    assert two.open_places == 1
    four = select_top(result, 4)
    assert four.chosen == ("A", "B", "C", "D")
    assert four.tied == ()


# --- against pref_voting ----------------------------------------------------------


def _random_elections(how_many, seed):
    rng = random.Random(seed)
    for number in range(how_many):
        m = rng.randint(3, 6)
        n = rng.randint(5, 60)
        rankings = [rng.sample(range(m), m) for _ in range(n)]
        weighted = number % 2 == 1
        weights = [rng.randint(1, 4) for _ in range(n)] if weighted else [1] * n
        yield m, rankings, weights


def test_counts_agree_with_pref_voting_on_random_full_rankings():
    from pref_voting.iterative_methods import instant_runoff
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.profiles import Profile as PVProfile
    from pref_voting.scoring_methods import borda as pv_borda
    from pref_voting.scoring_methods import plurality as pv_plurality

    untied = 0
    for m, rankings, weights in _random_elections(200, seed=2008):
        n = len(rankings)
        ours = Profile.from_ballots(range(m), rankings, weights)
        theirs = PVProfile(rankings, rcounts=weights)

        plural = plurality(ours)
        assert plural.scores == theirs.plurality_scores()
        assert list(plural.winners) == pv_plurality(theirs)

        points = borda(ours)
        assert points.scores == theirs.borda_scores()
        assert list(points.winners) == pv_borda(theirs)

        # Without a tiebreak pref_voting eliminates every option tied for the
        # fewest votes at once, where this count stops: compare counts that
        # never tie. With one, both eliminate the tied option the order ranks
        # lowest (pref_voting lists the order weakest first).
        runoff = irv(ours)
        if all(not r.tie_for_elimination for r in runoff.rounds):
            assert list(runoff.winners) == instant_runoff(theirs)
            untied += 1
        order = list(range(m))
        random.Random(m * n).shuffle(order)
        broken = irv(ours, tiebreak=order)
        assert list(broken.winners) == instant_runoff(theirs, tie_breaker=order[::-1])

        # beat_path measures links by margin, this count by winning votes; on
        # full rankings d[a][b] + d[b][a] is the same for every pair, so the
        # two orders of path strengths, and the winners, are the same.
        condorcet = schulze(ours)
        for a in range(m):
            for b in range(m):
                assert condorcet.pairwise[a][b] - condorcet.pairwise[b][a] == theirs.margin(a, b)
        assert list(condorcet.winners) == beat_path(theirs)
    assert untied >= 100


# --- properties ------------------------------------------------------------------


whole_weights = st.integers(min_value=0, max_value=5)
fractional_weights = st.integers(min_value=0, max_value=40).map(lambda q: q / 8)


@st.composite
def profiles(draw, weights=whole_weights):
    """Random valid partial rankings over 2-6 options, with weights."""
    m = draw(st.integers(min_value=2, max_value=6))
    order = st.permutations(range(m))
    ballot = order.flatmap(lambda o: st.integers(0, m).map(lambda k: o[:k]))
    ballots = draw(st.lists(ballot, max_size=25))
    chosen = draw(st.lists(weights, min_size=len(ballots), max_size=len(ballots)))
    return Profile.from_ballots(range(m), ballots, chosen)


@pytest.mark.parametrize("method", METHODS)
@given(profile=profiles(), data=st.data())
def test_the_order_of_the_ballots_never_changes_a_result(method, profile, data):
    order = data.draw(st.permutations(range(len(profile.weights))))
    shuffled = Profile(profile.options, profile.ranks[list(order)], profile.weights[list(order)])
    assert count(shuffled, method) == count(profile, method)


@given(profile=profiles(weights=fractional_weights), data=st.data())
def test_the_order_of_fractionally_weighted_ballots_never_changes_a_result(profile, data):
    order = list(data.draw(st.permutations(range(len(profile.weights)))))
    shuffled = Profile(profile.options, profile.ranks[order], profile.weights[order])
    for method in METHODS:
        assert count(shuffled, method) == count(profile, method)


@given(
    profile=profiles(weights=st.one_of(st.integers(0, 5), fractional_weights)),
    factor=st.integers(min_value=2, max_value=7),
)
def test_scaling_every_weight_by_a_whole_number_never_changes_the_winners(profile, factor):
    scaled = Profile(profile.options, profile.ranks, profile.weights * factor)
    for method in METHODS:
        before, after = count(profile, method).weighted, count(scaled, method).weighted
        assert after.winners == before.winners
        assert after.ranking == before.ranking


def _pairwise(profile):
    """Weight of ballots ranking a above b, counted ballot by ballot."""
    m = len(profile.options)
    d = [[0] * m for _ in range(m)]
    for row, weight in zip(profile.ranks.tolist(), profile.weights.tolist(), strict=True):
        for a in range(m):
            for b in range(m):
                if row[a] and (not row[b] or row[a] < row[b]):
                    d[a][b] += weight
    return d


@given(profile=profiles())
def test_a_condorcet_winner_always_wins_schulze(profile):
    d = _pairwise(profile)
    m = len(profile.options)
    beats_all = [a for a in range(m) if all(d[a][b] > d[b][a] for b in range(m) if b != a)]
    result = schulze(profile)
    assert [list(row) for row in result.pairwise] == d
    if beats_all:
        assert result.winners == (profile.options[beats_all[0]],)


@given(profile=profiles(weights=fractional_weights))
def test_approval_counts_are_the_weights_of_the_ballots_choosing_each_option(profile):
    result = approval(profile)
    for j, option in enumerate(profile.options):
        expected = sum(w for row, w in zip(profile.ranks, profile.weights, strict=True) if row[j])
        assert result.scores[option] == expected


def _irv_rounds(profile):
    """Instant-runoff recounted ballot by ballot: (counts, exhausted, outcome) per round."""
    m = len(profile.options)
    rows = list(zip(profile.ranks.tolist(), profile.weights.tolist(), strict=True))
    remaining = list(range(m))
    rounds = []
    while True:
        counts = dict.fromkeys(remaining, 0)
        exhausted = 0
        for row, weight in rows:
            ranked = [j for j in remaining if row[j]]
            if ranked:
                counts[min(ranked, key=lambda j: row[j])] += weight
            else:
                exhausted += weight
        leader = max(remaining, key=counts.get)
        if 2 * counts[leader] > sum(counts.values()) or len(remaining) == 1:
            rounds.append((counts, exhausted, ("winner", leader)))
            return rounds
        weakest = [j for j in remaining if counts[j] == min(counts.values())]
        if len(weakest) > 1:
            rounds.append((counts, exhausted, ("tie", tuple(weakest))))
            return rounds
        rounds.append((counts, exhausted, ("eliminated", weakest[0])))
        remaining.remove(weakest[0])


@given(profile=profiles())
def test_irv_rounds_match_a_ballot_by_ballot_recount(profile):
    result = irv(profile)
    counted = []
    for r in result.rounds:
        if r.winner is not None:
            outcome = ("winner", r.winner)
        elif r.tie_for_elimination:
            outcome = ("tie", r.tie_for_elimination)
        else:
            outcome = ("eliminated", r.eliminated)
        counted.append((r.counts, r.exhausted, outcome))
    assert counted == _irv_rounds(profile)
