"""Load benchmark: gunicorn (2 workers) on PostgreSQL, measured with wrk on loopback.

Measures requests per second and p50/p99 latency of the public home page, an event page,
the events' .ics feed, the search page, the survey page (API and portal) and response
submission by 200 delegations at once, beside a bare Django view under the same server;
first on a database with only what the pages need, then with the scale data set (200
members, 20 cycles, 500 events, 10,000 documents, 1,000,000 stored responses). Prints a
table, writes bench/RESULTS.md and exits with status 1 when a target is missed.

Usage: python bench/load.py [--duration 10] [--no-scale] [--responses N]
Without a PostgreSQL DATABASE_URL it runs itself under tools/with-postgres.
"""

import argparse
import dataclasses
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
SEED = 2008

DELEGATIONS = 200
MEMBER_STATES = 180
OBSERVER_STATES = 10
SCALE = {"cycles": 20, "events": 500, "documents": 10_000, "responses": 1_000_000}
BASE_EVENTS = 5
BASE_DOCUMENTS = 30

CONNECTIONS = 64
THREADS = 2
WORKERS = 2
WARM_UP = 2

PUBLIC_SHARE = 0.5
# RELIABILITY D13: public pages at least this fast on 2 cores, whatever the bare view does.
PUBLIC_RPS = 300
PUBLIC_P99_MS = 250
ICS_RPS = 1000
SUBMIT_RPS = 500
SUBMIT_P99_MS = 100
SCALE_RATIO = 1.2
SEARCH_QUERY = "migration"


@dataclasses.dataclass
class Measure:
    key: str
    label: str
    path: str
    kind: str  # bare | public | ics | survey | submit | floor | info
    requests_file: str = ""


@dataclasses.dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_ms: float = 0.0
    first_error: str = ""


def _console():
    from rich.console import Console

    return Console(stderr=True)


# --- the database ---------------------------------------------------------------------


def _bench_database(url: str) -> str:
    """A fresh, empty database next to the one of `url`; returns its URL."""
    import psycopg
    from psycopg import sql

    base, _slash, name = url.rpartition("/")
    name = name.split("?")[0] or "dialogue"
    bench_name = f"{name}_bench"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(bench_name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
    return f"{base}/{bench_name}"


def _drop_database(server_url: str, bench_url: str) -> None:
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    bench_name = bench_url.rpartition("/")[2]
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_name))
        )


def _environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """Production-like settings for loopback: DEBUG off, no HTTPS redirect."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DIALOGUE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "DIALOGUE_DATA_DIR": str(data_dir),
        "STATIC_ROOT": str(data_dir / "static"),
        "MEDIA_ROOT": str(data_dir / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("DEBUG", None)
    return environment


# --- the data -------------------------------------------------------------------------


def _bulk_progress(console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _region(n: int) -> str:
    return ("africa", "americas", "asia", "europe", "oceania")[n % 5]


def build_base(console) -> dict:
    """What every measured page needs: 200 delegations with a delegate, an API token and a
    logged-in session each, the current cycle with its open survey, a few public events and
    documents. Returns what the requests are made of."""
    import pycountry
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from dialogue.api import services as api_services
    from dialogue.core import clock
    from dialogue.cycles.models import Cycle
    from dialogue.members.models import Member, Person, User
    from dialogue.surveys import services as survey_services
    from dialogue.surveys.models import Question

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data
    now = clock.now()
    states = sorted(pycountry.countries, key=lambda c: c.alpha_3)[: MEMBER_STATES + OBSERVER_STATES]
    with transaction.atomic():
        staff = User.objects.create_user(email="secretariat@bench.example.org", is_staff=True)
        members = [
            Member(
                kind=Member.Kind.MEMBER_STATE if n < MEMBER_STATES else Member.Kind.OBSERVER_STATE,
                code=country.alpha_3,
                name_en=country.name,
                region=_region(n),
                status=Member.Status.ACTIVE,
                joined=datetime.date(1990 + n % 30, 1 + n % 12, 1),
            )
            for n, country in enumerate(states)
        ]
        members += [
            Member(
                kind=Member.Kind.OBSERVER_ORGANIZATION,
                code=f"ORG{n:02d}",
                name_en=f"Observer organization {n}",
                region="international",
                status=Member.Status.ACTIVE,
            )
            for n in range(1, DELEGATIONS - len(members) + 1)
        ]
        members = Member.objects.bulk_create(members)
        users = User.objects.bulk_create(
            User(email=f"delegate.{m.code.lower()}@bench.example.org", password="!")  # noqa: S106
            for m in members
        )
        Person.objects.bulk_create(
            Person(
                given_name="Delegate",
                family_name=member.name_en[:100],
                email=user.email,
                role=Person.Role.FOCAL_POINT if n % 4 == 0 else Person.Role.DELEGATE,
                delegation=member,
                user=user,
            )
            for n, (member, user) in enumerate(zip(members, users, strict=True))
        )
        cycle = Cycle.objects.create(
            year=now.year, name_en=f"IDM {now.year}", status=Cycle.Status.CURRENT
        )
        survey = survey_services.survey_create(
            actor=staff,
            cycle=cycle,
            data={
                "title_en": f"Choice of the workshop topics of {now.year}",
                "title_fr": f"Choix des thèmes des ateliers {now.year}",
                "audience": "members_and_observers",
            },
        )
        labels = ["Labour mobility", "Remittances", "Diaspora", "Return", "Climate", "Health"]
        survey_services.question_add(
            actor=staff,
            survey=survey,
            text={"en": "Which overarching theme?"},
            kind=Question.Kind.CHOOSE_ONE,
            method=Question.Method.PLURALITY,
            options=[{"label_en": label} for label in labels[:4]],
        )
        survey_services.question_add(
            actor=staff,
            survey=survey,
            text={"en": "Rank the workshop topics."},
            kind=Question.Kind.RANK,
            method=Question.Method.BORDA,
            max_choices=3,
            options=[{"label_en": label} for label in labels],
        )
        survey = survey_services.survey_publish(
            actor=staff,
            survey=survey,
            opens_at=now - datetime.timedelta(days=1),
            closes_at=now + datetime.timedelta(days=30),
            now=now,
        )
    questions = [
        (q.pk, list(q.options.order_by("position").values_list("pk", flat=True)))
        for q in survey.questions.order_by("position")
    ]
    delegations = []
    for user in users:
        _token, secret = api_services.token_create(actor=user, name="Load benchmark")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        (q1, options1), (q2, options2) = questions
        body = {
            "answers": {
                str(q1): [rng.choice(options1)],
                str(q2): rng.sample(options2, 3),
            },
            "comment": rng.choice(["", "Côte d'Ivoire supports the proposal.", "Türkiye: ok."]),
        }
        delegations.append(
            {"token": secret, "session": session.session_key, "body": json.dumps(body)}
        )
    events = build_events(cycle_years=[now.year], count=BASE_EVENTS, console=None)
    build_documents(count=BASE_DOCUMENTS, events=events, console=None)
    return {
        "survey": survey.pk,
        "event": events[0],
        "delegations": delegations,
        "staff": staff.pk,
    }


def build_events(*, cycle_years: list[int], count: int, console) -> list[int]:
    """`count` public events spread over the cycles of `cycle_years` (created as needed);
    the first is a held workshop with its outcome. Returns their ids."""
    from dialogue.cycles.models import Cycle
    from dialogue.events.models import Event

    rng = random.Random(SEED + count)  # noqa: S311 - reproducible test data
    cycles = {c.year: c for c in Cycle.objects.filter(year__in=cycle_years)}
    statuses = [Event.Status.HELD] * 5 + [Event.Status.CONFIRMED] * 3 + [Event.Status.PLANNING]
    kinds = [k.value for k in Event.Kind]
    events = []
    for n in range(count):
        year = cycle_years[n % len(cycle_years)]
        start = datetime.date(year, 1 + n % 12, 1 + n % 27)
        precision = Event.Precision.DAY if n % 10 else Event.Precision.MONTH
        events.append(
            Event(
                kind=Event.Kind.WORKSHOP if n == 0 else rng.choice(kinds),
                cycle=cycles[year],
                title_en=f"Intersessional workshop {n + 1}: migration and development",
                title_fr=f"Atelier intersessions {n + 1} : migration et développement",
                description_en="Governments, experts and partners exchange practices. " * 8,
                status=Event.Status.HELD if n == 0 else rng.choice(statuses),
                precision=precision,
                year=year,
                month=start.month,
                start_date=start if precision == Event.Precision.DAY else None,
                end_date=start + datetime.timedelta(days=1)
                if precision == Event.Precision.DAY
                else None,
                city="Geneva",
                country="CH",
                place="Palais des Nations",
                working_languages=["en", "fr", "es"],
                outcome_summary_en="The participants agreed on recommendations. " * 5,
                recommendations_en="Share data; build capacity; cooperate regionally. " * 3,
                expected_participants=120,
            )
        )
    return [e.pk for e in Event.objects.bulk_create(events, batch_size=500)]


def build_documents(*, count: int, events: list[int], console) -> None:
    """`count` documents with English, French or Spanish versions and their text, and the
    search index rebuilt over every document."""
    from django.db import transaction

    from bench.search import VOCABULARY, language_versions, sentence, text_of
    from dialogue.core import clock
    from dialogue.cycles.models import Cycle
    from dialogue.documents import search
    from dialogue.documents.models import Document, LanguageVersion

    rng = random.Random(SEED + count)  # noqa: S311 - reproducible test data
    cycles = list(Cycle.objects.values_list("pk", flat=True))
    kinds = [kind.value for kind in Document.Kind]
    now = clock.now()
    batch = 500
    progress = _bulk_progress(console) if console else None
    task = progress.add_task("Documents", total=count) if progress else None
    if progress:
        progress.start()
    try:
        for start in range(0, count, batch):
            with transaction.atomic():
                documents = Document.objects.bulk_create(
                    Document(
                        kind=rng.choice(kinds),
                        title_en=sentence(rng, VOCABULARY["en"], None, 6)[:-1],
                        title_fr=sentence(rng, VOCABULARY["fr"], None, 6)[:-1] if n % 2 else "",
                        summary_en=text_of(rng, "en", 30),
                        cycle_id=rng.choice(cycles),
                        event_id=events[n % len(events)] if n % 3 == 0 else None,
                        visibility=rng.choice(["public"] * 6 + ["members"] * 3 + ["staff"]),
                        status="published",
                        published_at=now - datetime.timedelta(days=n % 3000),
                    )
                    for n in range(start, min(start + batch, count))
                )
                versions = [
                    version
                    for document in documents
                    for version in language_versions(document, rng, now, words=120)
                ]
                LanguageVersion.objects.bulk_create(versions)
            if progress:
                progress.update(task, advance=len(documents))
        if progress:
            index = progress.add_task("Search index", total=Document.objects.count())
        search.rebuild_index(
            progress=(lambda done, total: progress.update(index, completed=done))
            if progress
            else None
        )
    finally:
        if progress:
            progress.stop()


SCALE_SURVEYS_SQL = """
INSERT INTO surveys_survey (cycle_id, title_en, title_fr, title_es, introduction_en,
    introduction_fr, introduction_es, audience, observers_counted, status, opens_at, closes_at,
    closed_at, results_published_at, reminder_days)
SELECT c.id, 'Past survey ' || c.year || '-' || n, '', '', '', '', '',
    'members_and_observers', false, 'closed',
    make_timestamptz(c.year, 1, 1, 8, 0, 0, 'UTC') + (n || ' hours')::interval,
    make_timestamptz(c.year, 1, 1, 8, 0, 0, 'UTC') + (n || ' hours')::interval
        + interval '14 days',
    make_timestamptz(c.year, 1, 1, 8, 0, 0, 'UTC') + (n || ' hours')::interval
        + interval '14 days',
    NULL, '[7, 2]'::jsonb
FROM cycles_cycle c CROSS JOIN generate_series(1, %(per_cycle)s) AS n
WHERE c.id = ANY(%(cycles)s)
"""

SCALE_QUESTIONS_SQL = [
    """
INSERT INTO surveys_question (survey_id, position, text_en, text_fr, text_es, kind,
    max_choices, method, required, option_comments, tiebreak, tie_resolution)
SELECT s.id, 1, 'Which one?', '', '', 'choose_one', 1, 'plurality', true, false, '[]'::jsonb, ''
FROM surveys_survey s WHERE s.title_en LIKE 'Past survey %%'
""",
    """
INSERT INTO surveys_option (question_id, position, label_en, label_fr, label_es)
SELECT q.id, p, 'Option ' || p, '', ''
FROM surveys_question q JOIN surveys_survey s ON s.id = q.survey_id
CROSS JOIN generate_series(1, 3) AS p
WHERE s.title_en LIKE 'Past survey %%'
""",
]

# One response, its answer, its first version and its audit entry per delegation and
# survey, for the surveys whose ids are in %(surveys)s.
SCALE_RESPONSES_SQL = [
    """
INSERT INTO surveys_response (survey_id, member_id, version, submitted_at, submitted_by_id,
    channel, letter, comment, receipt, fingerprint)
SELECT s.id, p.delegation_id, 1, s.opens_at + interval '1 day', p.user_id, 'portal', '', '',
    upper(substr(h, 1, 4) || '-' || substr(h, 5, 4) || '-' || substr(h, 9, 4) || '-'
        || substr(h, 13, 4)),
    encode(sha256(convert_to('bench-' || s.id || '-' || p.delegation_id, 'UTF8')), 'hex')
FROM surveys_survey s
CROSS JOIN members_person p
CROSS JOIN LATERAL (SELECT md5('receipt-' || s.id || '-' || p.delegation_id) AS h) r
WHERE s.id = ANY(%(surveys)s) AND p.user_id IS NOT NULL AND p.delegation_id IS NOT NULL
""",
    """
INSERT INTO surveys_answer (response_id, question_id, option_id, rank, comment)
SELECT r.id, q.id, o.id, 1, ''
FROM surveys_response r
JOIN surveys_question q ON q.survey_id = r.survey_id
JOIN surveys_option o ON o.question_id = q.id AND o.position = 1 + (r.member_id %% 3)
WHERE r.survey_id = ANY(%(surveys)s)
""",
    """
INSERT INTO surveys_responseversion (survey_id, member_id, version, submitted_at,
    submitted_by_id, channel, content, letter, receipt, fingerprint)
SELECT r.survey_id, r.member_id, 1, r.submitted_at, r.submitted_by_id, r.channel,
    jsonb_build_object('answers', jsonb_build_object(a.question_id::text,
        jsonb_build_array(a.option_id)), 'comment', ''),
    '', r.receipt, r.fingerprint
FROM surveys_response r JOIN surveys_answer a ON a.response_id = r.id
WHERE r.survey_id = ANY(%(surveys)s)
""",
    """
INSERT INTO core_auditentry (at, actor_id, actor_label, action, object_type, object_id,
    object_repr, changes, ip_address, note)
SELECT r.submitted_at, r.submitted_by_id, u.email, 'create', 'surveys.response', r.id::text,
    'response v1', jsonb_build_object('version', 1, 'channel', 'portal',
        'fingerprint', r.fingerprint), '127.0.0.1', ''
FROM surveys_response r JOIN members_user u ON u.id = r.submitted_by_id
WHERE r.survey_id = ANY(%(surveys)s)
""",
]


def build_scale(*, responses: int, console) -> dict:
    """Grow the base data to the scale set: 20 cycles, 500 events, 10,000 documents, and
    `responses` stored responses of closed surveys of past cycles (200 per survey, each
    with its answer, first version and audit entry). Written in bulk, valid for the
    models' constraints. Returns how long each part took."""
    from django.db import connection, transaction

    from dialogue.core import clock
    from dialogue.cycles.models import Cycle
    from dialogue.events.models import Event
    from dialogue.members.models import Person
    from dialogue.surveys.models import Survey

    timings = {}
    started = time.perf_counter()
    current = clock.now().year
    past_years = list(range(current - SCALE["cycles"] + 1, current))
    Cycle.objects.bulk_create(
        Cycle(year=year, name_en=f"IDM {year}", status=Cycle.Status.CLOSED) for year in past_years
    )
    events = build_events(
        cycle_years=[*past_years, current],
        count=SCALE["events"] - Event.objects.count(),
        console=console,
    )
    timings["cycles and events"] = time.perf_counter() - started

    started = time.perf_counter()
    from dialogue.documents.models import Document

    build_documents(
        count=SCALE["documents"] - Document.objects.count(),
        events=events,
        console=console,
    )
    timings["documents and search index"] = time.perf_counter() - started

    started = time.perf_counter()
    respondents = Person.objects.filter(user__isnull=False, delegation__isnull=False).count()
    surveys_needed = -(-responses // respondents)
    per_cycle = -(-surveys_needed // len(past_years))
    past = list(Cycle.objects.filter(year__in=past_years).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SCALE_SURVEYS_SQL, {"per_cycle": per_cycle, "cycles": past})
        for statement in SCALE_QUESTIONS_SQL:
            cursor.execute(statement, {})
    survey_ids = list(
        Survey.objects.filter(title_en__startswith="Past survey ")
        .order_by("pk")
        .values_list("pk", flat=True)[:surveys_needed]
    )
    batch = 50
    with _bulk_progress(console) as progress:
        task = progress.add_task("Stored responses", total=len(survey_ids) * respondents)
        for start in range(0, len(survey_ids), batch):
            chunk = survey_ids[start : start + batch]
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in SCALE_RESPONSES_SQL:
                    cursor.execute(statement, {"surveys": chunk})
            progress.update(task, advance=len(chunk) * respondents)
    timings["responses"] = time.perf_counter() - started

    started = time.perf_counter()
    console.print("VACUUM ANALYZE (statistics, as autovacuum would gather them)")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - started
    return timings


def row_counts() -> dict[str, int]:
    from dialogue.core.models import AuditEntry
    from dialogue.cycles.models import Cycle
    from dialogue.documents.models import Document
    from dialogue.events.models import Event
    from dialogue.members.models import Member
    from dialogue.surveys.models import Answer, Response, ResponseVersion, Survey

    return {
        "members": Member.objects.count(),
        "cycles": Cycle.objects.count(),
        "events": Event.objects.count(),
        "documents": Document.objects.count(),
        "surveys": Survey.objects.count(),
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "response versions": ResponseVersion.objects.count(),
        "audit entries": AuditEntry.objects.count(),
    }


# --- the server and the load ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving Dialogue with the bench settings on a free port of 127.0.0.1."""

    def __init__(self, environment: dict[str, str], workers: int):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn) if gunicorn.exists() else "gunicorn",
            "dialogue.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--chdir={ROOT}",
            "--log-level=warning",
            "--timeout=120",
        ]
        self.process = subprocess.Popen(command, env=environment, cwd=ROOT)  # noqa: S603
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _headers, _body = fetch(f"{self.base}/bench/bare/")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start; see its messages above.")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def fetch(url: str, *, method: str = "GET", headers=None, body: bytes | None = None):
    """One request: (status, headers, body)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_table() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU seconds used)} of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    return table


def _tree_cpu(table: dict[int, tuple[int, float]], roots: set[int]) -> float:
    """CPU seconds of the processes in `roots` and of all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack, seen = 0.0, list(roots), set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


def _postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    connection.close()
    table = _process_table()
    return table[backend][0] if backend in table else None


class CpuMeter:
    """CPU time used by the server, PostgreSQL and wrk together during a measurement: with
    other work on the machine, CPU time per request is steadier than requests per second."""

    def __init__(self, server_pid: int, postmaster: int | None):
        self.roots = {server_pid} | ({postmaster} if postmaster else set())

    def __enter__(self):
        import resource

        self.start = _tree_cpu(_process_table(), self.roots)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.start_children = usage.ru_utime + usage.ru_stime
        return self

    def __exit__(self, *exc_info):
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = usage.ru_utime + usage.ru_stime - self.start_children
        self.seconds = _tree_cpu(_process_table(), self.roots) - self.start + children


def run_wrk(base: str, measure: Measure, seconds: float, work_dir: Path) -> Figures:
    script = "rotate.lua" if measure.requests_file else "report.lua"
    environment = {**os.environ}
    if measure.requests_file:
        environment["BENCH_REQUESTS"] = measure.requests_file
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout=10s",
        "-s",
        str(BENCH_DIR / script),
        base + measure.path,
    ]
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command, env=environment, cwd=work_dir, capture_output=True, text=True, check=False
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed on {measure.path}:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"] + data["non2xx"]
    if data["requests"] == 0:
        errors += 1
    return Figures(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        requests=data["requests"],
        first_error=data.get("first_error", ""),
    )


def write_requests(path: Path, lines: list[tuple[str, str, list[str], str]]) -> str:
    with path.open("w", encoding="utf-8") as handle:
        for method, target, headers, body in lines:
            handle.write("\t".join([method, target, *headers, body]) + "\n")
    return str(path)


def measures(fixtures: dict, work_dir: Path) -> list[Measure]:
    survey = fixtures["survey"]
    delegations = fixtures["delegations"]
    submit = write_requests(
        work_dir / "submit.tsv",
        [
            (
                "PUT",
                f"/api/v1/surveys/{survey}/response",
                [f"Authorization: Bearer {d['token']}", "Content-Type: application/json"],
                d["body"],
            )
            for d in delegations
        ],
    )
    write_floor = write_requests(
        work_dir / "write-floor.tsv",
        [
            (
                "PUT",
                f"/bench/write-floor/{survey}/",
                [f"Authorization: Bearer {d['token']}", "Content-Type: application/json"],
                d["body"],
            )
            for d in delegations
        ],
    )
    survey_api = write_requests(
        work_dir / "survey-api.tsv",
        [
            ("GET", f"/api/v1/surveys/{survey}", [f"Authorization: Bearer {d['token']}"], "")
            for d in delegations
        ],
    )
    from django.conf import settings

    cookie = settings.SESSION_COOKIE_NAME
    survey_portal = write_requests(
        work_dir / "survey-portal.tsv",
        [
            ("GET", f"/en/portal/surveys/{survey}/", [f"Cookie: {cookie}={d['session']}"], "")
            for d in delegations
        ],
    )
    return [
        Measure("bare", "bare Django view (reference)", "/bench/bare/", "bare"),
        Measure("home", "home page", "/en/", "public"),
        Measure("event", "event page", f"/en/events/{fixtures['event']}/", "public"),
        Measure("documents", "document list", "/en/publications/", "public"),
        Measure("ics", "events .ics feed", "/en/events/feed.ics", "ics"),
        Measure(
            "search", f"search page ({SEARCH_QUERY!r})", f"/en/search/?q={SEARCH_QUERY}", "public"
        ),
        Measure(
            "survey_api", "survey, API (GET)", f"/api/v1/surveys/{survey}", "survey", survey_api
        ),
        Measure(
            "survey_portal",
            "survey page, portal",
            f"/en/portal/surveys/{survey}/",
            "survey",
            survey_portal,
        ),
        Measure(
            "submit",
            "response submission (PUT)",
            f"/api/v1/surveys/{survey}/response",
            "submit",
            submit,
        ),
        # After the submissions: every delegation then has a response to update.
        Measure(
            "write_floor",
            "write floor (token + one UPDATE, reference)",
            f"/bench/write-floor/{survey}/",
            "floor",
            write_floor,
        ),
    ]


def preflight(base: str, measure: Measure) -> None:
    """One request as wrk will send it must succeed, or the figures would measure errors."""
    if measure.requests_file:
        line = Path(measure.requests_file).read_text(encoding="utf-8").splitlines()[0]
        method, target, *headers, body = line.split("\t")
        header_map = dict(h.split(": ", 1) for h in headers)
        status, _headers, content = fetch(
            base + target, method=method, headers=header_map, body=body.encode() or None
        )
    else:
        status, _headers, content = fetch(base + measure.path)
    if not 200 <= status < 300:
        raise RuntimeError(f"{measure.path} answered {status}: {content[:500]!r}")


def run_phase(name: str, environment, fixtures, args, work_dir: Path, console) -> dict:
    """Every measurement, each against a server of its own: requests that a slow page
    leaves queued when wrk stops would otherwise delay the next measurement."""
    results = {}
    postmaster = _postmaster_pid()
    wanted = set(args.only)
    if "write_floor" in wanted:
        wanted.add("submit")  # the floor updates the responses the submissions stored
    for measure in measures(fixtures, work_dir):
        if wanted and measure.key not in wanted and measure.key != "bare":
            continue
        console.print(f"({name}) {measure.label}: {args.duration:g} s ...", markup=False)
        server = Server(environment, args.workers)
        try:
            preflight(server.base, measure)
            run_wrk(server.base, measure, WARM_UP, work_dir)
            with CpuMeter(server.process.pid, postmaster) as meter:
                figures = run_wrk(server.base, measure, args.duration, work_dir)
            figures.cpu_ms = meter.seconds * 1000 / figures.requests if figures.requests else 0
        except (OSError, RuntimeError) as error:
            figures = Figures(0, 0, 0, errors=1, requests=0, first_error=str(error)[:300])
        finally:
            server.stop()
        results[measure.key] = (measure, figures)
        console.print(
            f"    {figures.rps:,.0f} req/s, p50 {figures.p50_ms:.1f} ms, "
            f"p99 {figures.p99_ms:.1f} ms, errors {figures.errors}, "
            f"CPU {figures.cpu_ms:.2f} ms/request"
            + (f" (first: {figures.first_error[:160]})" if figures.first_error else ""),
            markup=False,
        )
    return results


# --- targets and report ---------------------------------------------------------------


def judge(phase: dict) -> list[dict]:
    """Each measurement of a phase with its ratio to the bare view, target and verdict."""
    bare = phase["bare"][1].rps
    bare_cpu = phase["bare"][1].cpu_ms
    rows = []
    for key, (measure, figures) in phase.items():
        ratio = figures.rps / bare if bare else 0.0
        target, passed = "reference", figures.errors == 0
        if measure.kind == "public":
            target = f"≥ {PUBLIC_SHARE:.0%} of bare, ≥ {PUBLIC_RPS} req/s, p99 < {PUBLIC_P99_MS} ms"
            passed = (
                passed
                and ratio >= PUBLIC_SHARE
                and figures.rps >= PUBLIC_RPS
                and figures.p99_ms < PUBLIC_P99_MS
            )
        elif measure.kind == "ics":
            target = f"≥ {ICS_RPS:,} req/s"
            passed = passed and figures.rps >= ICS_RPS
        elif measure.kind == "submit":
            target = f"≥ {SUBMIT_RPS} req/s, p99 < {SUBMIT_P99_MS} ms"
            passed = passed and figures.rps >= SUBMIT_RPS and figures.p99_ms < SUBMIT_P99_MS
        elif measure.kind == "survey":
            target = "0 errors"
        rows.append(
            {
                "key": key,
                "label": measure.label,
                "figures": figures,
                "ratio": ratio,
                "cpu_share": bare_cpu / figures.cpu_ms if figures.cpu_ms else 0.0,
                "target": target
                if measure.kind in ("bare", "survey", "floor")
                else f"{target}, 0 errors",
                "passed": passed,
            }
        )
    return rows


def judge_scale(empty: dict, scaled: dict) -> list[dict]:
    """Cost with the scale data against the empty database: req/s ratio empty / scaled."""
    rows = []
    for key, (measure, before) in empty.items():
        if key not in scaled:
            continue
        after = scaled[key][1]
        ratio = before.rps / after.rps if after.rps else float("inf")
        limited = measure.kind in ("survey", "submit")
        rows.append(
            {
                "key": key,
                "label": measure.label,
                "empty": before,
                "scaled": after,
                "ratio": ratio,
                "target": f"≤ {SCALE_RATIO}x" if limited else "",
                "passed": ratio <= SCALE_RATIO if limited else None,
            }
        )
    return rows


def _over_floor(rows: list[dict]) -> list[str]:
    """A sentence on what a submission costs above the write floor, when both ran."""
    found = {row["key"]: row["figures"] for row in rows}
    submit, floor = found.get("submit"), found.get("write_floor")
    if not submit or not floor or not floor.cpu_ms or not submit.cpu_ms:
        return []
    return [
        f"A response submission costs {submit.cpu_ms:.2f} ms of CPU, the write floor "
        f"{floor.cpu_ms:.2f} ms: the submission's own work is {submit.cpu_ms - floor.cpu_ms:.2f}"
        f" ms ({submit.cpu_ms / floor.cpu_ms:.1f}x the floor). The floor answers "
        f"{floor.rps:,.0f} req/s with a p99 of {floor.p99_ms:.0f} ms.",
        "",
    ]


def _verdict(passed) -> str:
    return "" if passed is None else ("pass" if passed else "FAIL")


def print_tables(phases: dict, scale_rows: list[dict], console_out) -> None:
    from rich.table import Table

    for name, rows in phases.items():
        table = Table(title=f"Load, {name} database (wrk -t{THREADS} -c{CONNECTIONS})")
        for column in (
            "measurement",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "CPU ms/req",
            "x bare",
            "x bare (CPU)",
            "target",
            "result",
        ):
            table.add_column(
                column, justify="left" if column in ("measurement", "target") else "right"
            )
        for row in rows:
            f = row["figures"]
            table.add_row(
                row["label"],
                f"{f.rps:,.0f}",
                f"{f.p50_ms:.1f}",
                f"{f.p99_ms:.1f}",
                str(f.errors),
                f"{f.cpu_ms:.2f}",
                f"{row['ratio']:.0%}",
                f"{row['cpu_share']:.0%}",
                row["target"],
                _verdict(row["passed"]),
            )
        console_out.print(table)
    if scale_rows:
        table = Table(title="Cost with stored data: empty database against the scale set")
        for column in (
            "measurement",
            "req/s empty",
            "req/s scaled",
            "p50 empty",
            "p50 scaled",
            "CPU ms empty",
            "CPU ms scaled",
            "cost ratio",
            "target",
            "result",
        ):
            table.add_column(
                column, justify="left" if column in ("measurement", "target") else "right"
            )
        for row in scale_rows:
            table.add_row(
                row["label"],
                f"{row['empty'].rps:,.0f}",
                f"{row['scaled'].rps:,.0f}",
                f"{row['empty'].p50_ms:.1f}",
                f"{row['scaled'].p50_ms:.1f}",
                f"{row['empty'].cpu_ms:.2f}",
                f"{row['scaled'].cpu_ms:.2f}",
                f"{row['ratio']:.2f}x",
                row["target"],
                _verdict(row["passed"]),
            )
        console_out.print(table)


def machine() -> dict[str, str]:
    import django
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    gunicorn = subprocess.run(  # noqa: S603 - the virtualenv's gunicorn
        [str(Path(sys.executable).with_name("gunicorn")), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "gunicorn": gunicorn.stdout.strip().removeprefix("gunicorn (version ").rstrip(")"),
        "wrk": (wrk.stdout + wrk.stderr).split()[1] if (wrk.stdout + wrk.stderr).strip() else "",
    }


def write_results(
    path: Path, *, args, info, loads, phases, scale_rows, counts, timings, passed: bool
) -> None:
    today = datetime.datetime.now(datetime.UTC)
    lines = [
        "# Load benchmark results",
        "",
        f"Run on {today:%Y-%m-%d %H:%M} UTC with `python bench/load.py "
        f"--duration {args.duration:g}"
        + ("" if args.scale else " --no-scale")
        + (f" --responses {args.responses}" if args.responses != SCALE["responses"] else "")
        + "`. Overall: **"
        + ("all targets met" if passed else "some targets missed")
        + "**.",
        "",
        "## Machine",
        "",
        f"- {info['cores']} cores ({info['cpu']}), {info['os']}",
        f"- Python {info['python']}, Django {info['django']}, PostgreSQL {info['postgresql']}, "
        f"gunicorn {info['gunicorn']} ({args.workers} sync workers), wrk {info['wrk']}",
        f"- load average before/after the run: {loads[0]} / {loads[1]} "
        "(other work on the machine lowers every figure)",
        "",
        "## Method",
        "",
        f"gunicorn with {args.workers} workers serves Dialogue with production settings "
        "(`DIALOGUE_ENV=production`, DEBUG off; `SECURE_SSL_REDIRECT=0` for plain HTTP on "
        "loopback) and `bench.settings`, which only adds the bare view at `/bench/bare/` and "
        "raises the rate limits above what the run can reach. PostgreSQL is a throwaway "
        "cluster (`tools/with-postgres`) on the same machine. Each measurement is "
        f"`wrk -t{THREADS} -c{CONNECTIONS} -d{args.duration:g}s` after a {WARM_UP} s warm-up, "
        "each against a freshly started server; anonymous pages are served from the "
        "page cache after the first request, as they are in production. The survey page and "
        "response submission rotate over the 200 delegations' API tokens (`bench/rotate.lua`) "
        "or logged-in sessions; each submission body is that delegation's answer to the two "
        "questions (choose one of 4, rank 3 of 6), and every non-2xx answer counts as an error.",
        "CPU ms/req is the CPU time of gunicorn, PostgreSQL and wrk together per request; "
        "'x bare (CPU)' is the bare view's CPU time per request over the page's, the share of "
        "the bare view's throughput the page gets when the machine does nothing else.",
        "The write floor (`/bench/write-floor/`, after the submissions) is the least an "
        "authenticated write costs under the same server: the API token looked up and "
        "checked, and one UPDATE of the delegation's response in a transaction. "
        f"wrk keeps {CONNECTIONS} requests in flight, so the mean latency is {CONNECTIONS} "
        "divided by the throughput: a p99 under "
        f"{SUBMIT_P99_MS} ms needs more than {CONNECTIONS * 1000 // SUBMIT_P99_MS} req/s.",
        "",
    ]
    for name, rows in phases.items():
        lines += [
            f"## {name.capitalize()} database",
            "",
            "| measurement | req/s | p50 ms | p99 ms | errors | CPU ms/req | x bare | "
            "x bare (CPU) | target | result |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for row in rows:
            f = row["figures"]
            lines.append(
                f"| {row['label']} | {f.rps:,.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | "
                f"{f.errors} | {f.cpu_ms:.2f} | {row['ratio']:.0%} | {row['cpu_share']:.0%} | "
                f"{row['target']} | {_verdict(row['passed'])} |"
            )
        lines.append("")
        lines += _over_floor(rows)
    if scale_rows:
        lines += [
            "## Cost with stored data",
            "",
            "Cost ratio = req/s on the empty database / req/s with the scale data set.",
            "",
            "| measurement | req/s empty | req/s scaled | p50 ms empty | p50 ms scaled | "
            "CPU ms empty | CPU ms scaled | cost ratio | target | result |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for row in scale_rows:
            lines.append(
                f"| {row['label']} | {row['empty'].rps:,.0f} | {row['scaled'].rps:,.0f} | "
                f"{row['empty'].p50_ms:.1f} | {row['scaled'].p50_ms:.1f} | "
                f"{row['empty'].cpu_ms:.2f} | {row['scaled'].cpu_ms:.2f} | "
                f"{row['ratio']:.2f}x | {row['target']} | {_verdict(row['passed'])} |"
            )
        lines.append("")
    lines += ["## Data", "", "| rows | empty | scaled |", "|---|---:|---:|"]
    for key, value in counts["empty"].items():
        lines.append(f"| {key} | {value:,} | {counts.get('scaled', {}).get(key, 0):,} |")
    lines.append("")
    if timings:
        lines.append(
            "Loading the scale set took "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
            + "."
        )
        lines.append("")
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench                                  # everything, with the other benchmarks",
        ".venv/bin/python bench/load.py --duration 30  # this benchmark only",
        ".venv/bin/python bench/load.py --no-scale     # the empty database only",
        "```",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


# --- main -----------------------------------------------------------------------------


def on_postgres() -> bool:
    """True when DATABASE_URL names a PostgreSQL server."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def under_postgres(script: str, argv: list[str]) -> int:
    """Run `script` again with `argv` inside a throwaway PostgreSQL cluster."""
    environment = {**os.environ, "PYTHON": str(Path(sys.executable).absolute())}
    command = ["bash", str(ROOT / "tools" / "with-postgres"), sys.executable, script, *argv]
    return subprocess.run(command, env=environment, cwd=ROOT, check=False).returncode  # noqa: S603


def child_result(command: list[str]):
    """The JSON its last line of output holds, of a benchmark run in a process of its own
    (a fresh Django for each database); None, after showing its output, when it failed."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure with the scale data set (--no-scale skips it)",
    )
    parser.add_argument("--responses", type=int, default=SCALE["responses"])
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="NAME", help="measure only these (and bare)"
    )
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        sys.stderr.write("wrk is needed: bash tools/ensure-debian-packages wrk\n")
        return 2
    if not on_postgres():
        return under_postgres(__file__, argv)
    server_url = os.environ["DATABASE_URL"]

    console = _console()
    bench_url = _bench_database(server_url)
    with tempfile.TemporaryDirectory(prefix="dialogue-load-") as directory:
        work_dir = Path(directory)
        environment = _environment(bench_url, work_dir)
        os.environ.update(environment)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        try:
            loads = [", ".join(f"{x:.2f}" for x in os.getloadavg())]
            console.print("Migrating the benchmark database and collecting static files ...")
            call_command("migrate", verbosity=0)
            call_command("collectstatic", verbosity=0, interactive=False)
            console.print("Creating 200 delegations, the open survey, events and documents ...")
            fixtures = build_base(console)
            counts = {"empty": row_counts()}
            phases_raw = {
                "empty": run_phase("empty", environment, fixtures, args, work_dir, console)
            }
            timings = {}
            if args.scale:
                console.print("Loading the scale data set ...")
                timings = build_scale(responses=args.responses, console=console)
                cache.clear()
                counts["scaled"] = row_counts()
                phases_raw["scaled"] = run_phase(
                    "scaled", environment, fixtures, args, work_dir, console
                )
            loads.append(", ".join(f"{x:.2f}" for x in os.getloadavg()))
            info = machine()
        finally:
            if not args.keep_database:
                _drop_database(server_url, bench_url)

    phases = {name: judge(results) for name, results in phases_raw.items()}
    scale_rows = judge_scale(phases_raw["empty"], phases_raw["scaled"]) if args.scale else []
    passed = all(row["passed"] for rows in phases.values() for row in rows) and all(
        row["passed"] is not False for row in scale_rows
    )
    from rich.console import Console

    print_tables(phases, scale_rows, Console(width=170))
    write_results(
        args.output,
        args=args,
        info=info,
        loads=loads,
        phases=phases,
        scale_rows=scale_rows,
        counts=counts,
        timings=timings,
        passed=passed,
    )
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    Console().print(f"Figures written to {shown}.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
