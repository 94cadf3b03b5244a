"""Sustained load: every delegation's delegate uses the portal for minutes on end.

200 delegates (each logged in, with an API token: the load benchmark's delegations, see
bench/load.py) start at 20 a second and then, until the end, each does one thing after
another with a pause of 1 to 3 seconds between: 70% of the time a portal page (home,
surveys, events, delegation), 20% the survey's ballot page, 10% a submission or
replacement of the delegation's response (`PUT /api/v1/surveys/<id>/response`). gunicorn
with 2 sync workers serves Dialogue with production settings and the product's own rate
limits, on SQLite (WAL) and on PostgreSQL, each on a new database.

Target (RELIABILITY D11): p95 of submissions under 500 ms, p99 under 1 s, and 0 failures
(an answer other than 2xx or 3xx, a timeout, or "database is locked" anywhere).

Prints a table, writes bench/RESULTS-sustained.md and exits with status 1 when a target
is missed.

Usage: python bench/sustained.py [--db sqlite postgres] [--duration 300] [--seed N]
Without a PostgreSQL DATABASE_URL it runs itself under tools/with-postgres.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import CpuMeter, child_result, on_postgres, under_postgres  # noqa: E402
from bench.spike import _percentile, served  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS-sustained.md"
USERS = 200
SPAWN_PER_SECOND = 20
PAUSE = (1.0, 3.0)
MIX = {"portal page": 0.7, "ballot page": 0.2, "submission": 0.1}
PORTAL_PAGES = [
    "/en/portal/",
    "/en/portal/surveys/",
    "/en/portal/events/",
    "/en/portal/delegation/",
]
SUBMIT_P95_S = 0.5
SUBMIT_P99_S = 1.0
REQUEST_TIMEOUT = 30.0


def _send(
    port: int, method: str, path: str, headers: dict, body: bytes | None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


class Delegate(threading.Thread):
    """One delegate using the portal until `until`, noting each request's category,
    latency and failure."""

    def __init__(self, port, fixtures, delegation, cookie, until, rng, record) -> None:
        super().__init__(daemon=True)
        self.port, self.fixtures, self.delegation = port, fixtures, delegation
        self.cookie, self.until, self.rng, self.record = cookie, until, rng, record

    def _request(self, category: str) -> tuple[str, str, dict, bytes | None]:
        survey = self.fixtures["survey"]
        session = {"Cookie": f"{self.cookie}={self.delegation['session']}"}
        if category == "portal page":
            return "GET", self.rng.choice(PORTAL_PAGES), session, None
        if category == "ballot page":
            return "GET", f"/en/portal/surveys/{survey}/", session, None
        headers = {
            "Authorization": f"Bearer {self.delegation['token']}",
            "Content-Type": "application/json",
        }
        body = self.delegation["body"].encode()
        return "PUT", f"/api/v1/surveys/{survey}/response", headers, body

    def run(self) -> None:
        categories, weights = list(MIX), list(MIX.values())
        while time.monotonic() < self.until:
            category = self.rng.choices(categories, weights)[0]
            method, path, headers, body = self._request(category)
            sent = time.monotonic()
            try:
                status, content = _send(self.port, method, path, headers, body)
                failure = ""
                if not 200 <= status < 400:
                    failure = f"{status} {method} {path}: {content[:200]!r}"
                elif b"database is locked" in content:
                    failure = f"{status} {method} {path}: database is locked"
            except OSError as error:
                failure = f"{method} {path}: {type(error).__name__}: {error}"
            self.record(category, time.monotonic() - sent, failure)
            time.sleep(self.rng.uniform(*PAUSE))


def sustain(port: int, fixtures: dict, duration: float, seed: int) -> dict:
    """Run the 200 delegates for `duration` seconds after they have all started."""
    from django.conf import settings

    rng = random.Random(seed)  # noqa: S311 - reproducible behaviour, not secrets
    latencies: dict[str, list[float]] = {category: [] for category in MIX}
    failures: list[str] = []
    lock = threading.Lock()

    def record(category: str, seconds: float, failure: str) -> None:
        with lock:
            if failure:
                failures.append(failure)
            else:
                latencies[category].append(seconds)

    started = time.monotonic()
    until = started + USERS / SPAWN_PER_SECOND + duration
    delegates = []
    for delegation in fixtures["delegations"][:USERS]:
        delegate = Delegate(
            port,
            fixtures,
            delegation,
            settings.SESSION_COOKIE_NAME,
            until,
            random.Random(rng.random()),  # noqa: S311
            record,
        )
        delegate.start()
        delegates.append(delegate)
        time.sleep(1 / SPAWN_PER_SECOND)
    for delegate in delegates:
        delegate.join(timeout=until - time.monotonic() + REQUEST_TIMEOUT + PAUSE[1] + 5)
    return {
        "latencies": latencies,
        "failures": failures,
        "seconds": time.monotonic() - started,
    }


def run_one(db: str, duration: float, seed: int) -> dict:
    """The whole run on a new database of kind `db`, in this process."""
    with (
        served(db) as (server, fixtures, postmaster),
        CpuMeter(server.process.pid, postmaster) as meter,
    ):
        found = sustain(server.port, fixtures, duration, seed)
    requests = sum(len(v) for v in found["latencies"].values()) + len(found["failures"])
    row = {
        "db": db,
        "duration": duration,
        "requests": requests,
        "rps": requests / found["seconds"],
        "failures": len(found["failures"]),
        "first_failure": (found["failures"] or [""])[0],
        "cpu_ms": meter.seconds * 1000 / max(1, requests),
        "categories": {},
    }
    for category, values in found["latencies"].items():
        row["categories"][category] = {
            "count": len(values),
            "p50": statistics.median(values) if values else 0.0,
            "p95": _percentile(values, 0.95),
            "p99": _percentile(values, 0.99),
            "max": max(values, default=0.0),
        }
    return row


def _verdict(row: dict) -> bool:
    submissions = row["categories"]["submission"]
    return (
        row["failures"] == 0
        and submissions["count"] > 0
        and submissions["p95"] < SUBMIT_P95_S
        and submissions["p99"] < SUBMIT_P99_S
    )


def report(rows: list[dict], args) -> str:
    """The results as Markdown."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Sustained load results",
        "",
        f"Run on {now} with `python bench/sustained.py --duration {args.duration:g} "
        f"--seed {args.seed}` on {os.cpu_count()} cores; load average afterwards "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        f"{USERS} logged-in delegates start at {SPAWN_PER_SECOND} a second, then each does one "
        f"thing after another with a pause of {PAUSE[0]:g} to {PAUSE[1]:g} s between: "
        + ", ".join(f"{share:.0%} {name}" for name, share in MIX.items())
        + f", for {args.duration:g} s once all have started. gunicorn (2 sync workers, "
        "production settings and rate limits) serves them. Target: submissions p95 under "
        f"{SUBMIT_P95_S * 1000:.0f} ms and p99 under {SUBMIT_P99_S * 1000:.0f} ms, 0 failures. "
        "CPU ms/req is the CPU time of the server and PostgreSQL per request.",
        "",
        "| database | requests | req/s | failures | CPU ms/req | request | count | p50 ms "
        "| p95 ms | p99 ms | max ms | result |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        verdict = "pass" if _verdict(row) else "FAIL"
        for number, (category, figures) in enumerate(row["categories"].items()):
            first = number == 0
            lines.append(
                (
                    f"| {row['db']} | {row['requests']:,} | {row['rps']:.0f} | "
                    f"{row['failures']} | {row['cpu_ms']:.1f} | "
                    if first
                    else "| | | | | | "
                )
                + f"{category} | {figures['count']:,} | {figures['p50'] * 1000:.0f} | "
                f"{figures['p95'] * 1000:.0f} | {figures['p99'] * 1000:.0f} | "
                f"{figures['max'] * 1000:.0f} | "
                + (verdict if category == "submission" else "")
                + " |"
            )
    failures = [r for r in rows if r["first_failure"]]
    if failures:
        lines += ["", "First failure on each database that had one:", ""]
        lines += [f"- {r['db']}: `{r['first_failure']}`" for r in failures]
    lines += ["", "Reproduce: `.venv/bin/python bench/sustained.py` (part of `make bench`).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=None)
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=2008)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--one", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        sys.stdout.write(json.dumps(run_one(args.one, args.duration, args.seed)) + "\n")
        return 0

    databases = args.db or ["sqlite", "postgres"]
    if "postgres" in databases and not on_postgres():
        return under_postgres(__file__, argv)

    rows = []
    for db in databases:
        sys.stderr.write(f"Sustained load on {db}: {USERS} delegates for {args.duration:g} s ...\n")
        command = [sys.executable, __file__, "--one", db, "--duration", str(args.duration)]
        row = child_result([*command, "--seed", str(args.seed)])
        if row is None:
            return 2
        rows.append(row)
    text = report(rows, args)
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.write(f"\nFigures written to {args.output}.\n")
    return 0 if all(_verdict(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
