"""Counting methods for survey questions: plurality, approval, Borda, instant-runoff, Schulze.

Pure Python and NumPy: no Django, no database. The surveys service turns stored
responses into a `Profile` and calls `count()`; everything here is a function of
the profile alone, so a result can always be reproduced from the responses.

Ballots are rows of `Profile.ranks`: `ranks[i, j]` is the position ballot `i`
gives option `j` (1 = first), 0 when the option is not chosen. A choose-one
ballot has a single 1, an approval ballot a 1 for each chosen option, a ranking
ballot the positions 1..k. Counting assumes the rows are valid (see
`invalid_ballots()`); the service checks ballots before they are stored.

Exactness: figures are sums of weights, and they must not depend on the order
of the ballots. Integral weights are summed exactly. Fractional weights are
counted in millionths (each weight rounded to six decimals first), so sums are
still exact integers internally and two equal totals always compare equal.
The total weight must stay below 2**53 units (about 9e15 for whole weights,
9e9 for fractional ones), or counting refuses with a ValueError.

Ties are never broken silently. Every result has `ranking` (groups of tied
options, best first), `winners` (more than one when tied) and `tie`. A
`tiebreak` (option keys in an order decided by staff, earlier = stronger)
orders tied options, and the result records that it was used; an empty
tiebreak counts as none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Option = int | str
Figure = int | float
Ranking = list[tuple[Option, ...]]

METHODS = ("plurality", "approval", "borda", "irv", "schulze")

# Fractional weights are counted in units of 1/_FRACTION_UNITS.
_FRACTION_UNITS = 10**6
# Integer-valued float64 sums are exact (and order-independent) below 2**53.
_EXACT_LIMIT = 2**53


# --- input --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Profile:
    """The ballots of one question: options, a rank matrix and a weight per ballot.

    `ranks` has shape (n, m) for n ballots and m options; `weights` has shape (n,)
    and defaults to 1 for every ballot. A ballot of weight 0 is recorded but not
    counted, in the weighted and the unweighted figures alike.
    """

    options: tuple[Option, ...]
    ranks: np.ndarray
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        options = tuple(self.options)
        m = len(options)
        if m < 2:
            raise ValueError("A question needs at least two options.")
        if len(set(options)) != m:
            raise ValueError("Option keys must be unique.")
        ranks = np.asarray(self.ranks)
        if ranks.ndim != 2 or ranks.shape[1] != m:
            raise ValueError(f"ranks must have shape (ballots, {m}), not {ranks.shape}.")
        if ranks.size and not np.issubdtype(ranks.dtype, np.integer):
            raise ValueError("ranks must be integers.")
        if ranks.size and (ranks.min() < 0 or ranks.max() > m):
            raise ValueError(f"Positions must be between 0 (not chosen) and {m}.")
        ranks = ranks.astype(_position_dtype(m))
        ranks.flags.writeable = False
        n = ranks.shape[0]
        if self.weights is None:
            weights = np.ones(n)
        else:
            weights = np.array(self.weights, dtype=np.float64)
            if weights.shape != (n,):
                raise ValueError(f"weights must have shape ({n},), not {weights.shape}.")
            if not np.all(np.isfinite(weights)) or (n and weights.min() < 0):
                raise ValueError("Weights must be finite and not negative.")
        weights.flags.writeable = False
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "ranks", ranks)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def from_ballots(
        cls,
        options: Sequence[Option],
        ballots: Iterable[Iterable[Option]],
        weights: Sequence[float] | None = None,
        *,
        approval: bool = False,
    ) -> Profile:
        """Build a profile from ballots listing option keys in order of preference.

        With `approval=True` each ballot is the collection of approved options, all
        given position 1. An empty ballot chooses nothing.
        """
        options = tuple(options)
        index = {key: j for j, key in enumerate(options)}
        rows = []
        for number, ballot in enumerate(ballots):
            chosen = list(ballot)
            unknown = [key for key in chosen if key not in index]
            if unknown:
                raise ValueError(f"Ballot {number} names unknown options {unknown}.")
            if len(set(chosen)) != len(chosen):
                raise ValueError(f"Ballot {number} names an option twice.")
            row = [0] * len(options)
            for position, key in enumerate(chosen, start=1):
                row[index[key]] = 1 if approval else position
            rows.append(row)
        ranks = np.array(rows, dtype=np.int64).reshape(len(rows), len(options))
        return cls(options, ranks, None if weights is None else np.asarray(weights, float))

    @property
    def unweighted(self) -> Profile:
        """The same ballots, each counted once (ballots of weight 0 still not counted)."""
        return Profile(self.options, self.ranks, (self.weights > 0).astype(np.float64))


def invalid_ballots(profile: Profile, *, approval: bool = False) -> np.ndarray:
    """Indices of the rows that are not valid ballots.

    A ranking row holds the positions 1..k once each (k may be 0); with
    `approval=True` a row holds only 0s and 1s.
    """
    ranks = profile.ranks
    if approval:
        return np.flatnonzero((ranks > 1).any(axis=1))
    ordered = np.sort(ranks, axis=1)
    chosen = (ordered > 0).sum(axis=1)
    repeated = ((np.diff(ordered, axis=1) == 0) & (ordered[:, 1:] > 0)).any(axis=1)
    return np.flatnonzero(repeated | (ordered[:, -1] != chosen))


# --- results --------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What every counting method reports.

    `ranking` lists groups of tied options, best first; `winners` is its first
    group unless the count stopped without one; `tie` says the first place is
    shared or undecided. `ranking_without_tiebreak` is the ranking before any
    staff tiebreak was applied (equal to `ranking` when `tiebreak_used` is False,
    and for instant-runoff, where a tiebreak changes the course of the count:
    see its rounds).
    `total` is the weight of the ballots counted, `ballots` the number of rows.
    """

    method: str
    options: tuple[Option, ...]
    ranking: Ranking
    winners: tuple[Option, ...]
    tie: bool
    tiebreak_used: bool
    ranking_without_tiebreak: Ranking
    total: Figure
    ballots: int


@dataclass(frozen=True)
class ScoreResult(Result):
    """Plurality, approval and Borda: one score per option, highest first."""

    scores: dict[Option, Figure] = field(default_factory=dict)


@dataclass(frozen=True)
class Round:
    """One round of an instant-runoff count.

    `counts` holds the votes of the options still in the count; `exhausted` the
    weight of ballots with no remaining option ranked. The round ends with a
    `winner`, with one option `eliminated`, or, when options tie for the fewest
    votes and no tiebreak is given, with `tie_for_elimination` and the count
    stops.
    """

    number: int
    counts: dict[Option, Figure]
    exhausted: Figure
    winner: Option | None = None
    eliminated: Option | None = None
    tie_for_elimination: tuple[Option, ...] = ()
    tiebreak_used: bool = False


@dataclass(frozen=True)
class IRVResult(Result):
    """Instant-runoff: every round, then winner first, the others by their last count."""

    rounds: tuple[Round, ...] = ()


@dataclass(frozen=True)
class SchulzeResult(Result):
    """Schulze: the pairwise matrix d and the strongest-path matrix p.

    Both are indexed like `options`: `pairwise[a][b]` is the weight of ballots
    ranking option a above option b, `strongest_paths[a][b]` the strength of the
    widest path from a to b (0 when there is none).
    """

    pairwise: tuple[tuple[Figure, ...], ...] = ()
    strongest_paths: tuple[tuple[Figure, ...], ...] = ()


@dataclass(frozen=True)
class Count:
    """A question counted twice: by the ballots' weights and one per ballot."""

    method: str
    weighted: Result
    unweighted: Result


@dataclass(frozen=True)
class Selection:
    """The options taking `places` places from a ranking.

    `chosen` are certain to be in; `tied` is the group straddling the last place,
    from which `open_places` more must still be chosen (empty and 0 when the
    ranking decides every place).
    """

    chosen: tuple[Option, ...]
    tied: tuple[Option, ...]
    open_places: int


# --- methods ----------------------------------------------------------------------


def plurality(profile: Profile, *, tiebreak: Sequence[Option] | None = None) -> ScoreResult:
    """Weighted count of first preferences (position 1) per option."""
    units, scale = _units(profile.weights)
    scores = _weighted_sum(units, profile.ranks == 1)
    return _score_result("plurality", profile, scores, units, scale, tiebreak)


def approval(profile: Profile, *, tiebreak: Sequence[Option] | None = None) -> ScoreResult:
    """Weighted count of ballots choosing each option (any position): approval or top-k."""
    units, scale = _units(profile.weights)
    scores = _weighted_sum(units, profile.ranks > 0)
    return _score_result("approval", profile, scores, units, scale, tiebreak)


def borda(profile: Profile, *, tiebreak: Sequence[Option] | None = None) -> ScoreResult:
    """Borda count: an option at position p gets m - p points (m options).

    An option a ballot leaves unranked gets 0 points from it, the common
    treatment of partial rankings; a full ranking gives m - 1 points to its
    first choice and 0 to its last.
    """
    units, scale = _units(profile.weights)
    ranks = profile.ranks
    m = len(profile.options)
    if units.sum() * (m - 1) >= _EXACT_LIMIT:
        raise ValueError("The total weight is too large to be counted exactly.")
    points = np.where(ranks > 0, m - ranks, 0).astype(ranks.dtype)
    return _score_result("borda", profile, _weighted_sum(units, points), units, scale, tiebreak)


def irv(profile: Profile, *, tiebreak: Sequence[Option] | None = None) -> IRVResult:
    """Instant-runoff: eliminate the weakest option until one has a majority.

    Each round counts every ballot for its best-placed option still in the
    count. An option with more than half of the weight of the ballots not yet
    exhausted wins, as does the last option left. Otherwise the option with the
    fewest votes is eliminated; if several tie for the fewest, the count stops
    with no winner unless `tiebreak` is given, and then the tied option placed
    last in `tiebreak` is eliminated.
    """
    units, scale = _units(profile.weights)
    order = _tiebreak_order(profile.options, tiebreak)
    options = profile.options
    m = len(options)
    keys = _preference_keys(profile.ranks, m)
    unranked = keys.dtype.type(m + 1)
    remaining = list(range(m))
    eliminated: list[int] = []
    rounds: list[Round] = []
    total = units.sum()
    winner: int | None = None
    tiebreak_used = False

    # Each ballot's best-placed option still in the count; after an elimination
    # only the ballots that were counting for the eliminated option move on.
    top = keys.argmin(axis=1)
    counting = np.where(keys[np.arange(keys.shape[0]), top] != unranked, units, 0.0)
    while True:
        votes = np.bincount(top, weights=counting, minlength=m)
        exhausted = total - votes.sum()
        active = total - exhausted
        counts = {options[j]: _figure(votes[j], scale) for j in remaining}
        spent = _figure(exhausted, scale)
        number = len(rounds) + 1
        leader = max(remaining, key=lambda j: votes[j])
        if 2 * votes[leader] > active or len(remaining) == 1:
            winner = leader
            rounds.append(Round(number, counts, spent, winner=options[leader]))
            break
        fewest = votes[remaining].min()
        weakest = [j for j in remaining if votes[j] == fewest]
        if len(weakest) > 1 and order is None:
            tied = tuple(options[j] for j in weakest)
            rounds.append(Round(number, counts, spent, tie_for_elimination=tied))
            break
        used = len(weakest) > 1
        loser = weakest[0]
        if order is not None and used:
            _require_ordered(order, [options[j] for j in weakest])
            loser = max(weakest, key=lambda j: order[options[j]])
        tiebreak_used |= used
        rounds.append(Round(number, counts, spent, eliminated=options[loser], tiebreak_used=used))
        remaining.remove(loser)
        eliminated.append(loser)
        keys[:, loser] = unranked
        moving = np.flatnonzero(top == loser)
        moved = keys[moving].argmin(axis=1)
        top[moving] = moved
        counting[moving] = np.where(keys[moving, moved] != unranked, units[moving], 0.0)

    last = _groups_by_value({j: votes[j] for j in remaining if j != winner}, options)
    ranking: Ranking = ([(options[winner],)] if winner is not None else []) + last
    ranking += [(options[j],) for j in reversed(eliminated)]
    winners = (options[winner],) if winner is not None else ()
    return IRVResult(
        method="irv",
        options=options,
        ranking=ranking,
        winners=winners,
        tie=winner is None,
        tiebreak_used=tiebreak_used,
        ranking_without_tiebreak=ranking,
        total=_figure(total, scale),
        ballots=profile.ranks.shape[0],
        rounds=tuple(rounds),
    )


def schulze(profile: Profile, *, tiebreak: Sequence[Option] | None = None) -> SchulzeResult:
    """Schulze (beatpath) method, a Condorcet method that resolves cycles.

    d[a][b] is the weight of ballots ranking a strictly above b: a ranked option
    is above every unranked one, two unranked options are equal, and equal
    positions express no preference. A link a -> b has strength d[a][b] when
    d[a][b] > d[b][a] ("winning votes"); p[a][b] is the strength of the widest
    path. a beats b when p[a][b] > p[b][a]. The winners are the options no
    option beats; the ranking repeats this, by the same relation, on the options
    not yet ranked.
    """
    units, scale = _units(profile.weights)
    options = profile.options
    m = len(options)
    keys = np.ascontiguousarray(_preference_keys(profile.ranks, m).T)
    d = np.zeros((m, m), dtype=np.int64)
    for a in range(m):
        for b in range(m):
            if a != b:
                d[a, b] = int(np.dot(units, keys[a] < keys[b]))
    p = np.where(d > d.T, d, 0)
    for i in range(m):
        p = np.maximum(p, np.minimum(p[:, i : i + 1], p[i : i + 1, :]))
    np.fill_diagonal(p, 0)

    beats = p > p.T
    left = list(range(m))
    groups: Ranking = []
    while left:
        group = [a for a in left if not any(beats[b, a] for b in left)]
        groups.append(tuple(options[a] for a in group))
        left = [a for a in left if a not in group]
    ranking, used = _apply_tiebreak(groups, options, tiebreak)
    return SchulzeResult(
        method="schulze",
        options=options,
        ranking=ranking,
        winners=ranking[0],
        tie=len(ranking[0]) > 1,
        tiebreak_used=used,
        ranking_without_tiebreak=groups,
        total=_figure(units.sum(), scale),
        ballots=profile.ranks.shape[0],
        pairwise=_matrix(d, scale),
        strongest_paths=_matrix(p, scale),
    )


_COUNTERS: Mapping[str, Callable[..., Result]] = {
    "plurality": plurality,
    "approval": approval,
    "borda": borda,
    "irv": irv,
    "schulze": schulze,
}


def count(profile: Profile, method: str, *, tiebreak: Sequence[Option] | None = None) -> Count:
    """Count `profile` by `method` (one of `METHODS`), weighted and one per ballot.

    The unweighted figures count each ballot of positive weight once; when every
    weight is 0 or 1 the two results are the same object.
    """
    try:
        counter = _COUNTERS[method]
    except KeyError:
        raise ValueError(f"Unknown counting method {method!r}; use one of {METHODS}.") from None
    weighted = counter(profile, tiebreak=tiebreak)
    if np.all((profile.weights == 0) | (profile.weights == 1)):
        unweighted = weighted
    else:
        unweighted = counter(profile.unweighted, tiebreak=tiebreak)
    return Count(method=method, weighted=weighted, unweighted=unweighted)


def select_top(result: Result, places: int) -> Selection:
    """Which options take the first `places` places of `result.ranking`, and any tie at the cut."""
    if places < 0:
        raise ValueError("places must not be negative.")
    chosen: list[Option] = []
    for group in result.ranking:
        left = places - len(chosen)
        if left <= 0:
            break
        if len(group) <= left:
            chosen.extend(group)
        else:
            return Selection(chosen=tuple(chosen), tied=group, open_places=left)
    return Selection(chosen=tuple(chosen), tied=(), open_places=0)


# --- helpers ----------------------------------------------------------------------


def _position_dtype(m: int) -> type[np.signedinteger[Any]]:
    # Positions run to m, and m + 1 marks an unranked option in preference keys.
    return np.int8 if m + 1 <= np.iinfo(np.int8).max else np.int32


def _units(weights: np.ndarray) -> tuple[np.ndarray, int]:
    """The weights as integer-valued float64 units, and how many units make a weight of 1."""
    if np.array_equal(weights, np.floor(weights)):
        units, scale = weights, 1
    else:
        units, scale = np.rint(weights * _FRACTION_UNITS), _FRACTION_UNITS
    if units.sum() >= _EXACT_LIMIT:
        raise ValueError("The total weight is too large to be counted exactly.")
    return units, scale


def _weighted_sum(units: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per option (column), the sum over ballots (rows) of weight units times `values`.

    Every term and partial sum is an integer below 2**53, so the float64 sum is
    exact whatever order the ballots, or the linear algebra library, take.
    """
    return units @ values


def _preference_keys(ranks: np.ndarray, m: int) -> np.ndarray:
    """A writable copy of `ranks` in which an unranked option sorts after every ranked one."""
    return np.where(ranks == 0, ranks.dtype.type(m + 1), ranks)


def _figure(units: float | np.floating[Any] | np.integer[Any], scale: int) -> Figure:
    value = int(units)
    return value if scale == 1 else value / scale


def _matrix(values: np.ndarray, scale: int) -> tuple[tuple[Figure, ...], ...]:
    return tuple(tuple(_figure(x, scale) for x in row) for row in values)


def _groups_by_value(values: Mapping[int, Any], options: tuple[Option, ...]) -> Ranking:
    """Option indices grouped by equal value, highest first, in option order within a group."""
    groups: Ranking = []
    for value in sorted(set(values.values()), reverse=True):
        groups.append(tuple(options[j] for j in sorted(values) if values[j] == value))
    return groups


def _score_result(
    method: str,
    profile: Profile,
    scores: np.ndarray,
    units: np.ndarray,
    scale: int,
    tiebreak: Sequence[Option] | None,
) -> ScoreResult:
    options = profile.options
    groups = _groups_by_value(dict(enumerate(scores)), options)
    ranking, used = _apply_tiebreak(groups, options, tiebreak)
    return ScoreResult(
        method=method,
        options=options,
        ranking=ranking,
        winners=ranking[0],
        tie=len(ranking[0]) > 1,
        tiebreak_used=used,
        ranking_without_tiebreak=groups,
        total=_figure(units.sum(), scale),
        ballots=profile.ranks.shape[0],
        scores={key: _figure(scores[j], scale) for j, key in enumerate(options)},
    )


def _tiebreak_order(
    options: tuple[Option, ...], tiebreak: Sequence[Option] | None
) -> dict[Option, int] | None:
    if not tiebreak:
        return None
    order = {key: i for i, key in enumerate(tiebreak)}
    if len(order) != len(tiebreak):
        raise ValueError("The tiebreak names an option twice.")
    unknown = [key for key in order if key not in options]
    if unknown:
        raise ValueError(f"The tiebreak names unknown options {unknown}.")
    return order


def _require_ordered(order: dict[Option, int], tied: Sequence[Option]) -> None:
    missing = [key for key in tied if key not in order]
    if missing:
        raise ValueError(f"The tiebreak does not place the tied options {missing}.")


def _apply_tiebreak(
    groups: Ranking, options: tuple[Option, ...], tiebreak: Sequence[Option] | None
) -> tuple[Ranking, bool]:
    """Split each tied group in the staff's order; report whether any group was split."""
    order = _tiebreak_order(options, tiebreak)
    if order is None or all(len(group) == 1 for group in groups):
        return groups, False
    ranking: Ranking = []
    for group in groups:
        if len(group) == 1:
            ranking.append(group)
            continue
        _require_ordered(order, group)
        ranking.extend((key,) for key in sorted(group, key=order.__getitem__))
    return ranking, True
