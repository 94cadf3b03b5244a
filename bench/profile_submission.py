"""Profile one response submission in-process: the queries it runs and its time.

Builds the load benchmark's data (bench/load.py: 200 delegations with an API token each,
the open survey of two questions) in a throwaway database, then sends
`PUT /api/v1/surveys/<id>/response` through Django's WSGI handler exactly as gunicorn
does (request_started and request_finished included, so connection reuse and its health
check count), rotating over the delegations' tokens and answers. Production settings, as
in the load benchmark (bench.settings: DEBUG off, rate limits raised).

It prints the number of queries per submission, every query of one submission, and the
wall and CPU time per request of this process (on PostgreSQL the server's own CPU is not
in it: bench/load.py measures that). With --profile it also prints the functions that
take the most time (cProfile).

With --layers it measures instead what each layer of a submission costs, in CPU of this
process and (on PostgreSQL) of the database server: the bare view, the write floor, then
the submission built up one layer at a time (bench/urls.py) up to the real operation,
each the median of --rounds rounds.

Usage:
    python bench/profile_submission.py                      # SQLite, in a temporary file
    tools/with-postgres .venv/bin/python bench/profile_submission.py   # PostgreSQL
Options: --requests N (timed submissions, default 400), --profile, --top N, --layers,
--rounds N.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import _bench_database, _drop_database, _environment, build_base  # noqa: E402


def _say(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")


def _environ_factory():
    from django.test.client import RequestFactory

    class EnvironFactory(RequestFactory):
        """Builds the WSGI environ of a request instead of a request object."""

        def request(self, **request):
            return self._base_environ(**request)

    return EnvironFactory()


def _submissions(fixtures: dict):
    """An endless rotation over the delegations' submissions, as bench/rotate.lua sends."""
    factory = _environ_factory()
    path = f"/api/v1/surveys/{fixtures['survey']}/response"
    delegations = fixtures["delegations"]
    position = 0
    while True:
        delegation = delegations[position % len(delegations)]
        position += 1
        yield lambda d=delegation: factory.put(
            path,
            d["body"],
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {d['token']}",
            HTTP_HOST="127.0.0.1",
        )


def _send(handler, environ) -> tuple[int, bytes]:
    status = []
    result = handler(environ, lambda code, headers, exc_info=None: status.append(code))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return int(status[0].split()[0]), body


def _one_with_queries(handler, make_environ) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        code, body = _send(handler, make_environ())
    if code != 200:
        raise SystemExit(f"submission answered {code}: {body[:300]!r}")
    return len(captured), [query["sql"] for query in captured.captured_queries]


def _backend_cpu() -> tuple[int, float] | None:
    """The process id of this connection's PostgreSQL backend and the CPU seconds it has
    used so far, when it runs on this machine; None on SQLite or when it cannot be read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _shorten(sql: str, width: int = 150) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 3] + "..."


def measure(fixtures: dict, *, requests: int, profile: bool, top: int) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    handler = WSGIHandler()
    rotation = _submissions(fixtures)
    # Warm up: every delegation's first submission creates its response; the timed ones
    # replace it, as in most of the load benchmark's requests.
    for _n in range(len(fixtures["delegations"])):
        code, body = _send(handler, next(rotation)())
        if code != 200:
            raise SystemExit(f"submission answered {code}: {body[:300]!r}")
    count, queries = _one_with_queries(handler, next(rotation))
    _say(f"\nDatabase: {connection.vendor}")
    _say(f"Queries per submission (a replacement): {count}")
    for number, sql in enumerate(queries, start=1):
        _say(f"  {number:2d}. {_shorten(sql)}")

    environs = [next(rotation)() for _n in range(requests)]
    profiler = cProfile.Profile() if profile else None
    walls = []
    backend_start = _backend_cpu()
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for environ in environs:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        code, body = _send(handler, environ)
        if profiler:
            profiler.disable()
        walls.append(time.perf_counter() - started)
        if code != 200:
            raise SystemExit(f"submission answered {code}: {body[:300]!r}")
    cpu = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    backend_end = _backend_cpu()
    walls.sort()
    _say(
        f"\n{requests} submissions: {wall / requests * 1000:.2f} ms wall and "
        f"{cpu / requests * 1000:.2f} ms CPU of this process per request "
        f"(median {statistics.median(walls) * 1000:.2f} ms, "
        f"p99 {walls[int(len(walls) * 0.99) - 1] * 1000:.2f} ms)"
    )
    if backend_start and backend_end and backend_start[0] == backend_end[0]:
        backend = (backend_end[1] - backend_start[1]) / requests
        _say(f"PostgreSQL backend: {backend * 1000:.2f} ms CPU per request")
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        _say(out.getvalue())


LAYERS = [
    ("bare view", "GET", "/bench/bare/"),
    ("write floor: token and one UPDATE", "PUT", "/bench/write-floor/{survey}/"),
    ("API operation: token and body checked", "PUT", "/bench/layers/api/{survey}/"),
    ("+ the submission's rate limits", "PUT", "/bench/layers/limits/{survey}/"),
    ("+ transaction and the service", "PUT", "/bench/layers/service/{survey}/"),
    ("+ its reply: the real operation", "PUT", "/api/v1/surveys/{survey}/response"),
]
# wrk keeps 64 requests in flight (bench/load.py): a p99 under 100 ms needs more than
# 640 req/s, which 2 cores serve at no more than this much CPU per request, all included.
CPU_BUDGET_MS = 2 * 1000 / 640


def _vacuum() -> None:
    """On PostgreSQL, clear the row versions the last layer left dead, so that each layer
    starts from the same tables (their cost grows with dead versions until autovacuum)."""
    from django.db import connection

    from dialogue.core.models import AuditEntry, RateCounter
    from dialogue.surveys.models import Answer, Response, ResponseVersion

    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Response, Answer, ResponseVersion, AuditEntry, RateCounter)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {tables}")


def _cpu_of(handler, environs) -> tuple[float, float]:
    """CPU ms per request of this process and of the database server's backend."""
    backend_start = _backend_cpu()
    cpu_start = time.process_time()
    for environ in environs:
        code, body = _send(handler, environ)
        if not 200 <= code < 300:
            raise SystemExit(f"{environ['PATH_INFO']} answered {code}: {body[:300]!r}")
    own = (time.process_time() - cpu_start) * 1000 / len(environs)
    backend_end = _backend_cpu()
    server = 0.0
    if backend_start and backend_end and backend_start[0] == backend_end[0]:
        server = (backend_end[1] - backend_start[1]) * 1000 / len(environs)
    return own, server


def measure_layers(fixtures: dict, *, requests: int, rounds: int) -> None:
    """Print the CPU cost of each layer of a submission, and what each layer adds."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    factory = _environ_factory()
    delegations = fixtures["delegations"]
    rotation = _submissions(fixtures)
    for _n in range(len(delegations)):
        _send(handler, next(rotation)())

    def environs(method: str, path: str) -> list[dict]:
        made = []
        for n in range(requests):
            delegation = delegations[n % len(delegations)]
            extra = {
                "HTTP_AUTHORIZATION": f"Bearer {delegation['token']}",
                "HTTP_HOST": "127.0.0.1",
            }
            if method == "GET":
                made.append(factory.get(path, **extra))
            else:
                made.append(
                    factory.put(path, delegation["body"], content_type="application/json", **extra)
                )
        return made

    figures: dict[str, list[tuple[float, float]]] = {label: [] for label, *_rest in LAYERS}
    for _round in range(rounds):
        for label, method, path in LAYERS:
            batch = environs(method, path.format(survey=fixtures["survey"]))
            _vacuum()
            figures[label].append(_cpu_of(handler, batch))
    _say(f"\nCPU ms per request, median of {rounds} rounds of {requests} requests")
    _say(f"{'layer':42s} {'app':>6s} {'database':>9s} {'total':>6s} {'added':>6s}")
    previous = None
    for label, *_rest in LAYERS:
        own = statistics.median(f[0] for f in figures[label])
        server = statistics.median(f[1] for f in figures[label])
        total = own + server
        added = "" if previous is None or label.startswith("write") else f"{total - previous:+.2f}"
        _say(f"{label:42s} {own:6.2f} {server:9.2f} {total:6.2f} {added:>6s}")
        if not label.startswith("write"):
            previous = total
    _say(
        f"\nA p99 under 100 ms at 64 connections on 2 cores leaves {CPU_BUDGET_MS:.2f} ms of CPU "
        "per request for the server, the database and the load generator together; the "
        "HTTP server and the load generator add about 0.35 ms to the figures above "
        "(bench/load.py measures them all)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="timed submissions")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    parser.add_argument("--top", type=int, default=40, help="functions in the summary")
    parser.add_argument("--layers", action="store_true", help="the cost of each layer")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --layers")
    args = parser.parse_args(argv)

    server_url = os.environ.get("DATABASE_URL", "")
    on_postgres = server_url.startswith(("postgres://", "postgresql://"))
    with tempfile.TemporaryDirectory(prefix="dialogue-profile-") as directory:
        work_dir = Path(directory)
        (work_dir / "static").mkdir()
        database_url = (
            _bench_database(server_url)
            if on_postgres
            else f"sqlite:///{work_dir / 'dialogue.sqlite3'}"
        )
        os.environ.update(_environment(database_url, work_dir))
        import django

        django.setup()
        from django.core.management import call_command

        try:
            call_command("migrate", verbosity=0)
            fixtures = build_base(None)
            if args.layers:
                measure_layers(fixtures, requests=args.requests, rounds=args.rounds)
            else:
                measure(fixtures, requests=args.requests, profile=args.profile, top=args.top)
        finally:
            if on_postgres:
                _drop_database(server_url, database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
