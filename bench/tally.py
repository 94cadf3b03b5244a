"""Time every counting method on 1,000,000 ranked ballots over 10 options.

Each method must count them within TARGET seconds on one core; the exit status
is 1 if any does not. Usage: python bench/tally.py [--ballots N] [--options M]
"""

import argparse
import os
import sys
import time

# One core: keep the linear algebra library from starting more threads. This
# must happen before NumPy is imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from dialogue.surveys import counting  # noqa: E402

TARGET = 3.0
RUNS = 3
SEED = 2008


def random_ballots(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random partial rankings of m options (1 to m ranked) and integer weights 1-3."""
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((n, m)), axis=1)
    length = rng.integers(1, m + 1, size=n)
    position = np.arange(1, m + 1)
    ranks = np.zeros((n, m), dtype=np.int64)
    np.put_along_axis(ranks, order, np.where(position <= length[:, None], position, 0), axis=1)
    weights = rng.integers(1, 4, size=n).astype(np.float64)
    return ranks, weights


def best_time(function, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--options", type=int, default=10)
    args = parser.parse_args()
    n, m = args.ballots, args.options

    ranks, weights = random_ballots(n, m, SEED)
    options = tuple(range(1, m + 1))
    build = best_time(lambda: counting.Profile(options, ranks, weights), RUNS)
    profile = counting.Profile(options, ranks, weights)
    bad = counting.invalid_ballots(profile)
    if bad.size:
        sys.stderr.write(f"The generated ballots include {bad.size} invalid rows.\n")
        return 2

    check = best_time(lambda: counting.invalid_ballots(profile), RUNS)

    rows = [("profile (build)", build), ("invalid_ballots", check)]
    for method in counting.METHODS:
        rows.append((method, best_time(lambda name=method: counting.count(profile, name), RUNS)))

    out = sys.stdout
    out.write(f"{n:,} ranked ballots (1 to {m} ranked), {m} options, weights 1-3, ")
    out.write(f"best of {RUNS} runs, one thread; target {TARGET:g} s per method.\n")
    out.write(
        "count() gives the weighted and the unweighted result, so each method counts twice.\n\n"
    )
    out.write(f"{'method':<16} {'seconds':>8} {'ballots/s':>12} {'of target':>10}\n")
    for name, seconds in rows:
        rate = n / seconds if seconds else float("inf")
        out.write(f"{name:<16} {seconds:>8.3f} {rate:>12,.0f} {seconds / TARGET:>9.0%}\n")
    slow = [name for name, seconds in rows if seconds > TARGET]
    if slow:
        out.write(f"\nOver the {TARGET:g} s target: {', '.join(slow)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
