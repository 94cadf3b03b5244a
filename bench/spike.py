"""Deadline spike: every delegation submits its response once, just before the close.

The 200 delegations of the load benchmark (bench/load.py) each send
`PUT /api/v1/surveys/<id>/response` once, at moments spread at random over a short
window, as they do in the last seconds before a survey closes; nothing waits for an
answer before the next delegation sends (an open load, unlike wrk's). gunicorn with 2
sync workers serves Dialogue with production settings and the product's own rate limits,
on SQLite (a file in WAL mode, as `make demo` runs it) and on PostgreSQL (a throwaway
cluster). Afterwards the database must hold exactly one response per delegation.

Target (RELIABILITY D12): over a 10-second window, 200 of 200 submissions acknowledged,
0 failures, p99 under 2 s. The same 200 within 1 second are measured too, without a
target, to show the margin.

Prints a table, writes bench/RESULTS-spike.md and exits with status 1 when a target is
missed.

Usage: python bench/spike.py [--db sqlite postgres] [--windows 10 1] [--seed N]
Without a PostgreSQL DATABASE_URL it runs itself under tools/with-postgres.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    WORKERS,
    CpuMeter,
    Server,
    _bench_database,
    _drop_database,
    _environment,
    _postmaster_pid,
    build_base,
    child_result,
    on_postgres,
    under_postgres,
)

RESULTS = ROOT / "bench" / "RESULTS-spike.md"
TARGET_WINDOW = 10.0
TARGET_P99_S = 2.0
REQUEST_TIMEOUT = 60.0


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def _submit(port: int, path: str, token: str, body: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(
            "PUT",
            path,
            body=body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        answer = connection.getresponse()
        return answer.status, answer.read(300).decode(errors="replace")
    finally:
        connection.close()


def spike(port: int, fixtures: dict, window: float, rng: random.Random) -> dict:
    """Every delegation submits once at its own moment within `window` seconds; returns
    the answers' statuses and latencies."""
    path = f"/api/v1/surveys/{fixtures['survey']}/response"
    delegations = fixtures["delegations"]
    moments = [rng.uniform(0, window) for _ in delegations]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def one(delegation: dict, moment: float) -> None:
        time.sleep(max(0.0, start + moment - time.monotonic()))
        sent = time.monotonic()
        try:
            status, text = _submit(port, path, delegation["token"], delegation["body"])
        except OSError as error:
            status, text = 0, f"{type(error).__name__}: {error}"
        took = time.monotonic() - sent
        with lock:
            if 200 <= status < 300:
                latencies.append(took)
            else:
                failures.append(f"{status} {text[:200]}")

    threads = [
        threading.Thread(target=one, args=(d, m), daemon=True)
        for d, m in zip(delegations, moments, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=window + REQUEST_TIMEOUT + 5)
    return {"latencies": latencies, "failures": failures, "sent": len(delegations)}


def _stored(survey_id: int) -> tuple[int, int]:
    """(responses stored for the survey, delegations with more than one)."""
    from django.db.models import Count

    from dialogue.surveys.models import Response

    responses = Response.objects.filter(survey_id=survey_id)
    doubled = responses.values("member_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return responses.count(), doubled


@contextlib.contextmanager
def served(db: str):
    """A new database of kind `db` with the load benchmark's delegations and open survey,
    Django set up on it in this process, and gunicorn serving it with the product's rate
    limits; yields (server, fixtures, the PostgreSQL server's pid or None). The database
    is dropped afterwards."""
    server_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="dialogue-bench-") as directory:
        work_dir = Path(directory)
        (work_dir / "static").mkdir()
        url = (
            _bench_database(server_url)
            if db == "postgres"
            else f"sqlite:///{work_dir / 'dialogue.sqlite3'}"
        )
        environment = {**_environment(url, work_dir), "BENCH_PRODUCT_LIMITS": "1"}
        os.environ.update(environment)
        import django

        django.setup()
        from django.core.management import call_command

        try:
            call_command("migrate", verbosity=0)
            call_command("collectstatic", verbosity=0, interactive=False)
            fixtures = build_base(None)
            postmaster = _postmaster_pid() if db == "postgres" else None
            server = Server(environment, WORKERS)
            try:
                yield server, fixtures, postmaster
            finally:
                server.stop()
        finally:
            if db == "postgres":
                _drop_database(server_url, url)


def run_one(db: str, window: float, seed: int) -> dict:
    """One window on a new database of kind `db`, in this process."""
    with served(db) as (server, fixtures, postmaster):
        with CpuMeter(server.process.pid, postmaster) as meter:
            found = spike(server.port, fixtures, window, random.Random(seed))  # noqa: S311
        stored, doubled = _stored(fixtures["survey"])
    latencies = found["latencies"]
    return {
        "db": db,
        "window": window,
        "sent": found["sent"],
        "acknowledged": len(latencies),
        "failures": len(found["failures"]),
        "first_failure": (found["failures"] or [""])[0],
        "stored": stored,
        "doubled": doubled,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": _percentile(latencies, 0.95),
        "p99": _percentile(latencies, 0.99),
        "max": max(latencies, default=0.0),
        "cpu_ms": meter.seconds * 1000 / max(1, found["sent"]),
    }


def _verdict(row: dict) -> bool | None:
    """Whether a window meets the target; None for a window without one."""
    whole = (
        row["acknowledged"] == row["sent"]
        and row["failures"] == 0
        and row["stored"] == row["sent"]
        and row["doubled"] == 0
    )
    if row["window"] != TARGET_WINDOW:
        return None if whole else False
    return whole and row["p99"] < TARGET_P99_S


def report(rows: list[dict], args) -> str:
    """The results as Markdown."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Deadline spike results",
        "",
        f"Run on {now} with `python bench/spike.py --windows "
        f"{' '.join(f'{w:g}' for w in args.windows)} --seed {args.seed}` on {os.cpu_count()} "
        f"cores; load average afterwards {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "Each of the 200 delegations sends its response once, at a random moment within the "
        "window, to gunicorn (2 sync workers, production settings and rate limits). "
        f"Target for the {TARGET_WINDOW:g}-second window: every submission acknowledged and "
        f"stored once, 0 failures, p99 under {TARGET_P99_S:g} s. CPU ms/req is the CPU time "
        "the server and PostgreSQL used during the window, per submission (each worker's "
        "first requests, which load what later ones reuse, included).",
        "",
        "| database | window s | acknowledged | failures | stored | p50 ms | p95 ms | p99 ms "
        "| max ms | CPU ms/req | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        verdict = _verdict(row)
        lines.append(
            f"| {row['db']} | {row['window']:g} | {row['acknowledged']} of {row['sent']} | "
            f"{row['failures']} | {row['stored']} | {row['p50'] * 1000:.0f} | "
            f"{row['p95'] * 1000:.0f} | {row['p99'] * 1000:.0f} | {row['max'] * 1000:.0f} | "
            f"{row['cpu_ms']:.1f} | "
            + ("" if verdict is None else ("pass" if verdict else "FAIL"))
            + " |"
        )
    failures = [r for r in rows if r["first_failure"]]
    if failures:
        lines += ["", "First failure of each window that had one:", ""]
        lines += [f"- {r['db']}, {r['window']:g} s: `{r['first_failure']}`" for r in failures]
    lines += ["", "Reproduce: `.venv/bin/python bench/spike.py` (part of `make bench`).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=None)
    parser.add_argument("--windows", nargs="+", type=float, default=[TARGET_WINDOW, 1.0])
    parser.add_argument("--seed", type=int, default=2008)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--one", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        row = run_one(args.one, args.windows[0], args.seed)
        sys.stdout.write(json.dumps(row) + "\n")
        return 0

    databases = args.db or ["sqlite", "postgres"]
    if "postgres" in databases and not on_postgres():
        return under_postgres(__file__, argv)

    rows = []
    for db in databases:
        for window in args.windows:
            sys.stderr.write(f"Deadline spike on {db}, 200 submissions within {window:g} s ...\n")
            command = [sys.executable, __file__, "--one", db, "--windows", str(window)]
            row = child_result([*command, "--seed", str(args.seed)])
            if row is None:
                return 2
            rows.append(row)
    text = report(rows, args)
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.write(f"\nFigures written to {args.output}.\n")
    return 0 if all(_verdict(r) is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
