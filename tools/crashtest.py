#!/usr/bin/env python3
"""Crash test: survey responses go in through the API while the server is killed.

    python tools/crashtest.py --db sqlite --ballots 1000 --kill-every 2 --clients 16
    python tools/crashtest.py --db postgres --ballots 1000 --kill-every 2 --pg-immediate-every 10
    python tools/crashtest.py --db sqlite --broken        # negative control: must report losses
    python tools/crashtest.py --db postgres --backup-every 10 --kill-every 0   # backups under load

gunicorn (2 workers, its own process group, a free port of 127.0.0.1) serves Dialogue
(through tools/crash_wsgi.py: `dialogue.wsgi` with its URLconf loaded before the workers
fork) on a database made for the run: a new SQLite file in WAL mode, or a new database on
the PostgreSQL server of --database-url (default: $DATABASE_URL), with
synchronous_commit on, dropped afterwards. Delegations, each
with a delegate's account and API token, answer open surveys through
`PUT /api/v1/surveys/{id}/response`. Every submission carries its own Idempotency-Key
and is sent again, same key and body, until it is acknowledged (200); each
acknowledgement is appended to an fsynced log. Meanwhile the whole process group gets
SIGKILL after about --kill-every seconds of service (jittered by ±50 %, counted from the
moment the server answers again, since a restart itself takes a few seconds) and is
restarted at once. On PostgreSQL the database server itself can be stopped with
`pg_ctl restart -m immediate` every --pg-immediate-every seconds: it needs the
cluster's data directory on this machine (--pg-data DIR, or "auto" to ask the server,
which needs a superuser); it runs pg_ctl as the owner of that directory.

The verifier then checks that every acknowledged submission is in the response history
exactly as acknowledged (version, receipt, fingerprint, answers); that each delegation's
current response is its last acknowledged submission or a later one it sent (never
older, never a mix of two); that no submission was stored twice and no delegation has
two responses; that every fingerprint chain recomputes; and, on SQLite, that
`PRAGMA integrity_check` says ok after every kill and at the end.

With --backup-every SECONDS, `dialogue backup` also runs that often while the clients
submit (RELIABILITY D10). Afterwards each archive is restored with `dialogue restore` into
an empty database of its own, and the same verifier checks it against the
acknowledgements logged before that backup started: every one of them must be in it
exactly as acknowledged, and the snapshot must be consistent (no submission half-stored
or doubled, every chain recomputes, integrity_check ok on SQLite). --kill-every 0 serves
without kills.

--broken serves through tools/crash_wsgi.py, which sends each answer before its
transaction commits: the run must then report lost submissions, or the harness could
not see a loss at all.

Exit status: 0 when nothing acknowledged was lost or duplicated, 1 otherwise; with
--broken the other way round (0 when the run saw at least one loss).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TOOLS = PROJECT / "tools"
BROKEN_ENV = "CRASHTEST_ANSWER_BEFORE_COMMIT"
READY_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0


# --- configuration and figures -------------------------------------------------------


@dataclass
class Config:
    """One run of the harness."""

    db: str = "sqlite"
    database_url: str | None = None
    ballots: int = 1000
    clients: int = 16
    delegations: int = 48
    surveys: int = 2
    kill_every: float = 2.0
    min_kills: int = 0
    min_kills_mid_request: int = 0
    backup_every: float = 0.0
    min_backups: int = 0
    pg_immediate_every: float = 0.0
    pg_data: str | None = None
    max_pg_recovery: float = 0.0
    broken: bool = False
    broken_delay: float = 0.3
    time_limit: float = 600.0
    workdir: Path | None = None
    keep: bool = False
    seed: int | None = None
    quiet: bool = False


@dataclass
class Report:
    """What a run did and what the verifier found."""

    db: str
    broken: bool = False
    acknowledged: int = 0
    replayed: int = 0
    submissions: int = 0
    requests: int = 0
    retried: int = 0
    interrupted: int = 0
    unreachable: int = 0
    refused: int = 0
    rate_limited: int = 0
    kills: int = 0
    kills_mid_request: int = 0
    restarts: int = 0
    restart_seconds_max: float = 0.0
    integrity_checks: int = 0
    integrity_failures: int = 0
    backups: int = 0
    backups_restored: int = 0
    backup_acknowledged_min: int = 0
    backup_acknowledged_max: int = 0
    backup_seconds_max: float = 0.0
    backup_failures: int = 0
    pg_immediate_stops: int = 0
    pg_recovery_seconds_max: float = 0.0
    pg_settings: dict = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    stale: int = 0
    mixed: int = 0
    chain_errors: int = 0
    unknown_versions: int = 0
    mismatched_acks: int = 0
    committed_unacknowledged: int = 0
    responses: int = 0
    versions: int = 0
    seconds: float = 0.0
    setup_seconds: float = 0.0
    problems: list = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (
            self.lost
            + self.duplicates
            + self.stale
            + self.mixed
            + self.chain_errors
            + self.unknown_versions
            + self.mismatched_acks
            + self.integrity_failures
            + self.backup_failures
        )

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def summary(self) -> str:
        lines = [
            f"crash test on {self.db}"
            + (" (BROKEN build: answers before commit)" if self.broken else ""),
            f"  submissions acknowledged {self.acknowledged} "
            f"({self.replayed} of them replayed answers to a retry); "
            f"{self.submissions} submissions, {self.requests} requests "
            f"({self.unreachable} while the server was down), {self.retried} retries",
            f"  kills {self.kills} ({self.kills_mid_request} landed mid-request, "
            f"{self.interrupted} requests cut off), restarts {self.restarts} "
            f"(slowest {self.restart_seconds_max:.1f} s to answer again)",
        ]
        if self.db == "sqlite":
            lines.append(
                f"  integrity_check after each kill and at the end: {self.integrity_checks} "
                f"run, {self.integrity_failures} not ok"
            )
        if self.backups:
            lines.append(
                f"  backups under load {self.backups} (slowest {self.backup_seconds_max:.1f} s), "
                f"restored and verified {self.backups_restored}, each holding the "
                f"{self.backup_acknowledged_min} to {self.backup_acknowledged_max} submissions "
                f"acknowledged before it started; {self.backup_failures} not as acknowledged"
            )
        if self.pg_settings:
            shown = ", ".join(f"{k}={v}" for k, v in self.pg_settings.items())
            lines.append(f"  PostgreSQL: {shown}")
        if self.pg_immediate_stops:
            lines.append(
                f"  pg_ctl immediate stops {self.pg_immediate_stops} "
                f"(slowest recovery {self.pg_recovery_seconds_max:.1f} s)"
            )
        lines += [
            f"  stored: {self.responses} current responses, {self.versions} versions; "
            f"{self.committed_unacknowledged} committed but never acknowledged",
            f"  lost {self.lost}, duplicates {self.duplicates}, older than acknowledged "
            f"{self.stale}, mixed {self.mixed}, chain errors {self.chain_errors}, "
            f"unknown versions {self.unknown_versions}, wrong acknowledgements "
            f"{self.mismatched_acks}; refused {self.refused}, rate-limited "
            f"{self.rate_limited}",
            f"  time {self.seconds:.1f} s ({self.setup_seconds:.1f} s of it to migrate and "
            "prepare)",
            f"{self.acknowledged - self.lost} passed, {self.failures} failed",
        ]
        lines += [f"  problem: {problem}" for problem in self.problems[:20]]
        return "\n".join(lines)


def _say(config: Config, message: str) -> None:
    if not config.quiet:
        print(f"crashtest: {message}", file=sys.stderr, flush=True)  # noqa: T201


# --- the database of a run -----------------------------------------------------------


def _admin_url(config: Config) -> str:
    url = config.database_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("crashtest: --db postgres needs --database-url or DATABASE_URL.")
    return url


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


class RunDatabase:
    """The run's own database: created empty, and removed afterwards unless kept."""

    def __init__(self, config: Config, workdir: Path) -> None:
        self.config = config
        self.kind = config.db
        self.name = f"crashtest_{secrets.token_hex(4)}"
        self.settings: dict[str, str] = {}
        if self.kind == "sqlite":
            self.path = workdir / "crashtest.sqlite3"
            self.url = f"sqlite:///{self.path}"
        elif self.kind == "postgres":
            self.admin_url = _admin_url(config)
            self.url = _with_database(self.admin_url, self.name)
        else:
            raise SystemExit(f"crashtest: unknown --db {self.kind!r} (sqlite or postgres).")

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)

    def create(self, template: Template | None = None) -> None:
        """Create the database, empty or as a copy of a prepared template."""
        if self.kind == "sqlite":
            if template is not None:
                shutil.copyfile(template.database.path, self.path)
            return
        from psycopg import sql

        name = sql.Identifier(self.name)
        with self._admin() as admin:
            if template is None:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
            else:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        name, sql.Identifier(template.database.name)
                    )
                )
            # Durable commits for this database whatever the cluster's default; fsync and
            # full_page_writes are cluster-wide and matter only for an OS crash.
            admin.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = on").format(name))
        with contextlib.closing(self.connect()) as connection:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                self.settings[setting] = connection.execute(f"SHOW {setting}").fetchone()[0]

    def connect(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def data_directory(self) -> str:
        with self._admin() as admin:
            return admin.execute("SHOW data_directory").fetchone()[0]

    def integrity_ok(self) -> bool:
        with contextlib.closing(sqlite3.connect(self.path, timeout=60)) as connection:
            # Check constraints call REGEXP, which Django's connections provide.
            connection.create_function("REGEXP", 2, _regexp, deterministic=True)
            return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def drop(self) -> None:
        if self.kind != "postgres" or self.config.keep:
            return
        from psycopg import sql

        for _attempt in range(30):
            try:
                with self._admin() as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(self.name)
                        )
                    )
                return
            except Exception:  # the server may be restarting after an immediate stop
                time.sleep(1)


def _regexp(pattern, value) -> bool | None:
    if pattern is None or value is None:
        return None
    return bool(re.search(pattern, str(value)))


def django_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a Dialogue process on `database_url`: development settings,
    tasks kept in memory, rate limits raised far above what a run sends."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DIALOGUE_ENV", "DEBUG", "SQLITE_TEST_NAME", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="dialogue.settings",
        DIALOGUE_DATA_DIR=str(data_dir),
        TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        RATE_LIMIT_FACTOR="100000",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")])),
    )
    env.update(extra)
    return env


def run_django(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run manage.py (or this script's set-up and check steps) and return its output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        [sys.executable, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- gunicorn -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in its own process group on 127.0.0.1, killed with SIGKILL as a whole."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        *,
        app: str = "dialogue.wsgi:application",
        port: int | None = None,
        workers: int = 2,
    ) -> None:
        self.env = env
        self.log = log
        self.app = app
        self.port = port or free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    self.app,
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--preload",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "2",
                    "--log-level",
                    "warning",
                    "--chdir",
                    str(PROJECT),
                    "--pythonpath",
                    f"{PROJECT},{TOOLS}",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Wait until the server answers HTTP (any status); False if it died or timed out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                connection = http.client.HTTPConnection(*self.address, timeout=REQUEST_TIMEOUT)
                connection.request("GET", "/api/v1/surveys")
                connection.getresponse().read()
                connection.close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log, as the reason it did not start (the work
        directory holding the log is deleted when the run ends)."""
        try:
            text = Path(self.log).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL to the whole process group, the master and its workers at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        self._wait_until_port_free()

    def _wait_until_port_free(self, timeout: float = 60.0) -> None:
        """A killed worker leaves only once the kernel lets it (a worker in the middle
        of an fsync on a busy disk waits for it), and until then it holds the listening
        socket: a server started meanwhile finds its port in use and gives up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(self.address)
                except OSError:
                    time.sleep(0.05)
                    continue
                return

    def stop(self) -> None:
        """A normal stop (SIGTERM), then SIGKILL if it takes too long."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.kill()


# --- PostgreSQL immediate stops -------------------------------------------------------


def _pg_ctl(major: str) -> str:
    """The pg_ctl of the server's major version, else the one next to pg_config or on PATH."""
    candidates = [f"/usr/lib/postgresql/{major}/bin/pg_ctl"]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            bindir = subprocess.run(  # noqa: S603 - the local PostgreSQL install
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(f"{bindir}/pg_ctl")
    candidates.append(shutil.which("pg_ctl") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("crashtest: pg_ctl not found for the immediate stops.")


class PgStopper(threading.Thread):
    """Every `every` seconds: `pg_ctl restart -m immediate` (the server restarts with the
    options of its last start and replays its WAL, as after a crash)."""

    def __init__(self, data_dir: str, major: str, every: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.data_dir = data_dir
        self.every = every
        self.stop_event = stop
        self.pg_ctl = _pg_ctl(major)
        self.stops = 0
        self.recovery: list[float] = []
        self.errors: list[str] = []
        owner = os.stat(data_dir).st_uid
        self.as_owner = (
            ["runuser", "-u", pwd.getpwuid(owner).pw_name, "--"]
            if os.geteuid() == 0 and owner != 0
            else []
        )
        parent = Path(data_dir).parent
        self.cwd = parent if os.stat(parent).st_uid == owner else Path(data_dir)
        self.log = self.cwd / "crashtest-server.log"

    def run(self) -> None:
        while not self.stop_event.wait(self.every * random.uniform(0.75, 1.25)):  # noqa: S311
            started = time.monotonic()
            done = subprocess.run(  # noqa: S603 - the local PostgreSQL install
                [
                    *self.as_owner,
                    self.pg_ctl,
                    "restart",
                    "-D",
                    self.data_dir,
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "60",
                    "-s",
                    "-l",
                    str(self.log),
                ],
                cwd=self.cwd,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                self.errors.append(done.stderr.strip() or done.stdout.strip())
                return
            self.stops += 1
            self.recovery.append(time.monotonic() - started)


# --- the clients ---------------------------------------------------------------------


@dataclass
class Intent:
    """One submission a client means to make, sent again until acknowledged."""

    key: str
    survey: int
    member: str
    order: int
    body: dict
    acked: bool = False
    refused: str = ""


class Tally:
    """Counters shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.acknowledged = 0
        self.replayed = 0
        self.requests = 0
        self.retried = 0
        self.interrupted = 0
        self.unreachable = 0
        self.refused = 0
        self.rate_limited = 0
        self.mismatched = 0
        self.problems: list[str] = []

    def add(self, **amounts: int) -> None:
        with self.lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)


class AckLog:
    """Acknowledgements, one JSON line each, fsynced before the next submission."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.lock = threading.Lock()

    def append(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock:
            self.file.write(line)
            self.file.flush()
            os.fsync(self.file.fileno())

    def count(self) -> int:
        """How many acknowledgements are logged (and fsynced) so far."""
        with self.lock:
            return self.path.read_text(encoding="utf-8").count("\n")

    def close(self) -> None:
        self.file.close()


def _answers(survey: dict, rng: random.Random) -> dict[str, list[int]]:
    answers = {}
    for question in survey["questions"]:
        options = list(question["options"])
        if question["kind"] == "rank":
            rng.shuffle(options)
            answers[str(question["id"])] = options[: rng.randint(1, len(options))]
        else:
            answers[str(question["id"])] = [rng.choice(options)]
    return answers


def marker(key: str) -> str:
    """The comment that ties a stored version to the submission that made it."""
    return f"crash test submission {key}"


class Client(threading.Thread):
    """Submits for its own delegations, one submission at a time, each until acknowledged."""

    def __init__(self, *, index, server, pairs, run_tag, tally, acks, stop, seed) -> None:
        super().__init__(daemon=True)
        self.index = index
        self.server = server
        self.pairs = pairs
        self.run_tag = run_tag
        self.tally = tally
        self.acks = acks
        self.stop_event = stop
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.intents: list[Intent] = []

    def run(self) -> None:
        counters: dict[tuple[int, str], itertools.count] = defaultdict(itertools.count)
        for survey, delegation in itertools.cycle(self.pairs):
            if self.stop_event.is_set():
                return
            order = next(counters[(survey["id"], delegation["code"])])
            key = f"{self.run_tag}-{survey['id']}-{delegation['code']}-{order}"
            intent = Intent(
                key=key,
                survey=survey["id"],
                member=delegation["code"],
                order=order,
                body={"answers": _answers(survey, self.rng), "comment": marker(key)},
            )
            self.intents.append(intent)
            self._submit(intent, delegation["token"])

    def _submit(self, intent: Intent, token: str) -> None:
        body = json.dumps(intent.body).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": intent.key,
            "Content-Type": "application/json",
        }
        path = f"/api/v1/surveys/{intent.survey}/response"
        first = True
        while not self.stop_event.is_set():
            if not first:
                self.tally.add(retried=1)
            first = False
            status, answer, replayed = self._send(path, body, headers)
            if status == 200:
                self._acknowledge(intent, answer, replayed)
                return
            if status == 429:
                self.tally.add(rate_limited=1)
                self.stop_event.wait(0.5)
            elif status is None or status >= 500:
                self.stop_event.wait(self.rng.uniform(0.02, 0.2))
            else:
                intent.refused = f"{status} {answer}"
                self.tally.add(refused=1)
                with self.tally.lock:
                    self.tally.problems.append(f"{intent.key} refused: {intent.refused[:200]}")
                return

    def _send(self, path, body, headers):
        self.tally.add(requests=1, in_flight=1)
        try:
            connection = http.client.HTTPConnection(*self.server.address, timeout=REQUEST_TIMEOUT)
            try:
                connection.request("PUT", path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                return response.status, data, response.getheader("Idempotent-Replayed") == "true"
            finally:
                connection.close()
        except ConnectionRefusedError:
            self.tally.add(unreachable=1)
            self.stop_event.wait(0.2)
            return None, b"", False
        except (OSError, http.client.HTTPException):
            self.tally.add(interrupted=1)
            return None, b"", False
        finally:
            self.tally.add(in_flight=-1)

    def _acknowledge(self, intent: Intent, data: bytes, replayed: bool) -> None:
        answer = json.loads(data)
        expected = {int(q): options for q, options in intent.body["answers"].items() if options}
        given = {a["question"]: a["options"] for a in answer["answers"]}
        if answer.get("comment") != marker(intent.key) or given != expected:
            self.tally.add(mismatched=1)
            with self.tally.lock:
                self.tally.problems.append(f"{intent.key}: acknowledged another submission")
        self.acks.append(
            {
                "key": intent.key,
                "survey": intent.survey,
                "member": intent.member,
                "version": answer["version"],
                "receipt": answer["receipt"],
                "fingerprint": answer["fingerprint"],
                "replayed": replayed,
            }
        )
        intent.acked = True
        self.tally.add(acknowledged=1, replayed=int(replayed))


# --- one run -------------------------------------------------------------------------


@dataclass
class Backup:
    """One archive written under load, and how many acknowledgements preceded it."""

    path: Path
    acknowledged_before: int
    seconds: float


class BackupTaker(threading.Thread):
    """Runs `dialogue backup` every `every` seconds until `stop` is set."""

    def __init__(self, env, workdir: Path, acks: AckLog, every: float, stop) -> None:
        super().__init__(name="backups", daemon=True)
        self.env, self.workdir, self.acks, self.every, self.stop = env, workdir, acks, every, stop
        self.backups: list[Backup] = []
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.wait(self.every):
            path = self.workdir / f"backup-{len(self.backups) + 1}.tar.gz"
            acknowledged = self.acks.count()
            started = time.monotonic()
            try:
                run_django(self.env, "manage.py", "backup", "-o", str(path))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                self.errors.append(str(error)[:500])
                continue
            self.backups.append(Backup(path, acknowledged, time.monotonic() - started))


def verify_backup(config: Config, backup: Backup, acks_path: Path, intents_path: Path) -> dict:
    """Restore `backup` into an empty database of its own and verify it against the
    acknowledgements logged before it started."""
    workdir = Path(
        tempfile.mkdtemp(
            prefix=f"restore-{backup.path.name.split('.')[0]}-", dir=backup.path.parent
        )
    )
    lines = acks_path.read_text(encoding="utf-8").splitlines(keepends=True)
    before = workdir / "acks-before.jsonl"
    before.write_text("".join(lines[: backup.acknowledged_before]), encoding="utf-8")
    database = RunDatabase(config, workdir)
    try:
        database.create()
        env = django_env(database.url, workdir / "data")
        run_django(env, "manage.py", "restore", str(backup.path), "--yes")
        found = json.loads(
            run_django(
                env, str(Path(__file__).resolve()), "_verify", str(before), str(intents_path)
            )
            .strip()
            .splitlines()[-1]
        )
        found["integrity_ok"] = config.db != "sqlite" or database.integrity_ok()
        return found
    finally:
        database.drop()


def _check_backups(config: Config, taker: BackupTaker, workdir: Path, report: Report) -> None:
    """Restore and verify every backup of the run; fill in the report's backup figures."""
    report.backups = len(taker.backups)
    report.backup_failures += len(taker.errors)
    report.problems += [f"backup: {error}" for error in taker.errors]
    if not taker.backups:
        return
    report.backup_seconds_max = max(b.seconds for b in taker.backups)
    report.backup_acknowledged_min = min(b.acknowledged_before for b in taker.backups)
    report.backup_acknowledged_max = max(b.acknowledged_before for b in taker.backups)
    counted = ("lost", "duplicates", "stale", "mixed", "chain_errors", "unknown_versions")
    for number, backup in enumerate(taker.backups, start=1):
        _say(config, f"restoring and verifying backup {number} of {len(taker.backups)}")
        try:
            found = verify_backup(config, backup, workdir / "acks.jsonl", workdir / "intents.json")
        except RuntimeError as error:
            report.backup_failures += 1
            report.problems.append(f"backup {number}: {str(error)[:500]}")
            continue
        report.backups_restored += 1
        wrong = sum(found[name] for name in counted) + int(not found["integrity_ok"])
        report.backup_failures += int(wrong > 0)
        report.problems += [f"backup {number}: {problem}" for problem in found["problems"]]
        if not found["integrity_ok"]:
            report.problems.append(f"backup {number}: integrity_check is not ok")


@dataclass
class Template:
    """A migrated database with prepared delegations and surveys, copied by each run that
    is given it instead of being migrated and prepared again."""

    database: RunDatabase
    prepared: dict
    workdir: Path

    def drop(self) -> None:
        self.database.drop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _migrate_and_prepare(config: Config, env: dict[str, str]) -> dict:
    _say(config, f"migrating a new {config.db} database")
    run_django(env, "manage.py", "migrate", "--noinput", "--verbosity", "0")
    _say(config, f"{config.delegations} delegations, {config.surveys} open surveys")
    output = run_django(
        env,
        str(Path(__file__).resolve()),
        "_prepare",
        json.dumps({"delegations": config.delegations, "surveys": config.surveys}),
    )
    return json.loads(output.strip().splitlines()[-1])


def build_template(config: Config) -> Template:
    """Migrate and prepare a database once for several runs of the same kind."""
    workdir = Path(tempfile.mkdtemp(prefix="dialogue-crashtest-template-"))
    database = RunDatabase(config, workdir)
    try:
        database.create()
        prepared = _migrate_and_prepare(config, django_env(database.url, workdir / "data"))
    except BaseException:
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Template(database=database, prepared=prepared, workdir=workdir)


def run(config: Config, template: Template | None = None) -> Report:
    """Run the crash test described by `config` and return its report; with a template
    (see build_template) its database is copied instead of migrated and prepared."""
    started = time.monotonic()
    rng = random.Random(config.seed)  # noqa: S311 - scheduling jitter, not secrets
    owned_workdir = config.workdir is None
    workdir = Path(config.workdir or tempfile.mkdtemp(prefix="dialogue-crashtest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = RunDatabase(config, workdir)
    report = Report(db=config.db, broken=config.broken)
    server = None
    stop = threading.Event()
    stopper = None
    backups = None
    try:
        database.create(template)
        report.pg_settings = dict(database.settings)
        env = django_env(database.url, workdir / "data")
        prepared = template.prepared if template else _migrate_and_prepare(config, env)

        report.setup_seconds = time.monotonic() - started
        if config.broken:
            env = {**env, BROKEN_ENV: str(config.broken_delay)}
        server = Server(env, workdir / "gunicorn.log", app="crash_wsgi:application")
        pairs = [(s, d) for s in prepared["surveys"] for d in prepared["delegations"]]
        rng.shuffle(pairs)
        tally = Tally()
        acks = AckLog(workdir / "acks.jsonl")
        run_tag = secrets.token_hex(3)
        clients = [
            Client(
                index=i,
                server=server,
                pairs=pairs[i :: config.clients],
                run_tag=run_tag,
                tally=tally,
                acks=acks,
                stop=stop,
                seed=rng.random(),
            )
            for i in range(min(config.clients, len(pairs)))
        ]

        if config.db == "postgres" and config.pg_immediate_every > 0:
            if not config.pg_data:
                raise SystemExit("crashtest: --pg-immediate-every needs --pg-data DIR or auto.")
            data_dir = database.data_directory() if config.pg_data == "auto" else config.pg_data
            if not os.path.isdir(data_dir):
                raise SystemExit(
                    f"crashtest: no PostgreSQL data directory at {data_dir} on this machine."
                )
            with contextlib.closing(database.connect()) as connection:
                major = str(
                    int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000
                )
            stopper = PgStopper(data_dir, major, config.pg_immediate_every, stop)
        if config.backup_every > 0:
            backups = BackupTaker(env, workdir, acks, config.backup_every, stop)

        _say(config, f"serving on 127.0.0.1:{server.port}; {len(clients)} clients start")
        server.start()
        if not server.wait_ready():
            raise RuntimeError(f"gunicorn did not start:\n{server.log_tail()}")
        for client in clients:
            client.start()
        if stopper is not None:
            stopper.start()
        if backups is not None:
            backups.start()
        deadline = started + config.time_limit

        def finished() -> bool:
            enough = (
                tally.acknowledged >= config.ballots
                and report.kills >= config.min_kills
                and report.kills_mid_request >= config.min_kills_mid_request
                and (backups is None or len(backups.backups) >= config.min_backups)
            )
            return enough or time.monotonic() >= deadline or not any(c.is_alive() for c in clients)

        while not finished() and config.kill_every <= 0:
            time.sleep(0.05)
        while not finished():
            serve_until = time.monotonic() + config.kill_every * rng.uniform(0.5, 1.5)
            while time.monotonic() < serve_until and not finished():
                time.sleep(0.02)
            if finished():
                break
            with tally.lock:
                in_flight = tally.in_flight
            server.kill()
            report.kills += 1
            report.kills_mid_request += int(in_flight > 0)
            if config.db == "sqlite":
                report.integrity_checks += 1
                report.integrity_failures += int(not database.integrity_ok())
            down = time.monotonic()
            server.start()
            if not server.wait_ready():
                raise RuntimeError(f"gunicorn did not restart:\n{server.log_tail()}")
            report.restarts += 1
            report.restart_seconds_max = max(report.restart_seconds_max, time.monotonic() - down)
            _say(
                config,
                f"kill {report.kills}: {tally.acknowledged} acknowledged, "
                f"{in_flight} requests were in flight",
            )

        stop.set()
        server.kill()
        for client in clients:
            client.join(timeout=REQUEST_TIMEOUT + 5)
        if stopper is not None:
            stopper.join(timeout=90)
            report.pg_immediate_stops = stopper.stops
            report.pg_recovery_seconds_max = max(stopper.recovery, default=0.0)
            report.problems += [f"pg_ctl: {error}" for error in stopper.errors]
        if backups is not None:
            backups.join(timeout=600)
        acks.close()

        for name in (
            "acknowledged",
            "replayed",
            "requests",
            "retried",
            "interrupted",
            "unreachable",
            "refused",
            "rate_limited",
        ):
            setattr(report, name, getattr(tally, name))
        report.mismatched_acks = tally.mismatched
        report.problems += tally.problems
        intents = [asdict(intent) for client in clients for intent in client.intents]
        report.submissions = len(intents)
        (workdir / "intents.json").write_text(json.dumps(intents))

        _say(config, "verifying")
        if config.db == "sqlite":
            report.integrity_checks += 1
            report.integrity_failures += int(not database.integrity_ok())
        found = json.loads(
            run_django(
                env,
                str(Path(__file__).resolve()),
                "_verify",
                str(workdir / "acks.jsonl"),
                str(workdir / "intents.json"),
            )
            .strip()
            .splitlines()[-1]
        )
        problems = found.pop("problems")
        for name, value in found.items():
            setattr(report, name, value)
        report.problems += problems
        if backups is not None:
            _check_backups(config, backups, workdir, report)
    finally:
        stop.set()
        if server is not None:
            server.kill()
        database.drop()
        report.seconds = time.monotonic() - started
        if owned_workdir and not config.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


# --- set-up and verification, run inside Django --------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()


def prepare(delegations: int, surveys: int) -> dict:
    """Delegations with a delegate's account and token each, and open surveys."""
    import pycountry

    from dialogue.api import services as api_services
    from dialogue.cycles import services as cycle_services
    from dialogue.members import services as member_services
    from dialogue.members.models import Member, User
    from dialogue.surveys import services as survey_services
    from dialogue.surveys.models import Question, Survey

    staff = User.objects.create_superuser(email="crashtest-staff@example.org")
    codes = sorted(country.alpha_3 for country in pycountry.countries)[:delegations]
    prepared_delegations = []
    for code in codes:
        member = member_services.member_create(
            actor=staff, data={"kind": Member.Kind.MEMBER_STATE, "code": code}
        )
        person = member_services.delegate_add(
            actor=staff,
            delegation=member,
            given_name="Delegate",
            family_name=code,
            email=f"delegate-{code.lower()}@crashtest.example.org",
            invite=False,
        )
        _token, secret = api_services.token_create(actor=person.user, name="crash test")
        prepared_delegations.append({"code": code, "token": secret})

    cycle = cycle_services.cycle_save(actor=staff, data={"year": 2099, "name_en": "Crash test"})
    prepared_surveys = []
    for number in range(1, surveys + 1):
        survey = survey_services.survey_create(
            actor=staff,
            cycle=cycle,
            data={
                "title_en": f"Crash test survey {number}",
                "audience": Survey.Audience.MEMBERS_AND_OBSERVERS,
            },
        )
        labels = [{"label_en": label} for label in ("North", "South", "East", "West")]
        survey_services.question_add(
            actor=staff,
            survey=survey,
            text={"en": "Which theme?"},
            kind=Question.Kind.CHOOSE_ONE,
            method=Question.Method.PLURALITY,
            options=labels,
        )
        survey_services.question_add(
            actor=staff,
            survey=survey,
            text={"en": "Rank the workshops."},
            kind=Question.Kind.RANK,
            method=Question.Method.BORDA,
            options=labels,
            max_choices=4,
        )
        survey_services.survey_publish(actor=staff, survey=survey)
        prepared_surveys.append(
            {
                "id": survey.pk,
                "questions": [
                    {
                        "id": question.pk,
                        "kind": question.kind,
                        "options": list(question.options.values_list("id", flat=True)),
                    }
                    for question in survey.questions.order_by("position")
                ],
            }
        )
    return {"delegations": prepared_delegations, "surveys": prepared_surveys}


def verify(acks_path: Path, intents_path: Path) -> dict:
    """Compare the acknowledgements and submissions of a run with what the database holds."""
    from django.db.models import Count

    from dialogue.members.models import Member
    from dialogue.surveys.models import Answer, Response, ResponseVersion
    from dialogue.surveys.services import fingerprint

    problems: list[str] = []
    found = dict.fromkeys(
        (
            "lost",
            "duplicates",
            "stale",
            "mixed",
            "chain_errors",
            "unknown_versions",
            "committed_unacknowledged",
        ),
        0,
    )

    def problem(kind: str, message: str) -> None:
        found[kind] += 1
        problems.append(f"{kind}: {message}")

    intents = {i["key"]: i for i in json.loads(intents_path.read_text())}
    acks = [json.loads(line) for line in acks_path.read_text().splitlines() if line.strip()]
    codes = dict(Member.objects.values_list("pk", "code"))
    surveys = {i["survey"] for i in intents.values()}

    versions = defaultdict(list)
    by_key = defaultdict(list)
    prefix = marker("")
    for version in ResponseVersion.objects.filter(survey_id__in=surveys).order_by(
        "survey_id", "member_id", "version"
    ):
        pair = (version.survey_id, codes[version.member_id])
        versions[pair].append(version)
        comment = version.content.get("comment", "")
        key = comment[len(prefix) :] if comment.startswith(prefix) else None
        if key not in intents:
            problem("unknown_versions", f"{pair} v{version.version} matches no submission")
        else:
            by_key[key].append(version)

    for key, stored in by_key.items():
        if len(stored) > 1:
            problem("duplicates", f"{key} stored {len(stored)} times")
    for row in (
        Response.objects.filter(survey_id__in=surveys)
        .values("survey_id", "member_id")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
    ):
        problem("duplicates", f"{row} has several current responses")
    receipts = defaultdict(int)
    for stored in versions.values():
        for version in stored:
            receipts[version.receipt] += 1
    for receipt, times in receipts.items():
        if times > 1:
            problem("duplicates", f"receipt {receipt} issued {times} times")

    acked_keys = set()
    last_ack: dict[tuple[int, str], dict] = {}
    for ack in acks:
        if ack["key"] in acked_keys:
            continue
        acked_keys.add(ack["key"])
        intent = intents.get(ack["key"])
        pair = (ack["survey"], ack["member"])
        stored = [v for v in versions.get(pair, []) if v.version == ack["version"]]
        if intent is None or not stored:
            problem("lost", f"{ack['key']} v{ack['version']} is not stored")
            continue
        version = stored[0]
        content = version.content
        expected = {q: o for q, o in intent["body"]["answers"].items() if o}
        stored_answers = {q: o for q, o in content["answers"].items() if o}
        if (
            version.receipt != ack["receipt"]
            or version.fingerprint != ack["fingerprint"]
            or content.get("comment") != marker(ack["key"])
            or stored_answers != expected
        ):
            problem("lost", f"{ack['key']} v{ack['version']} is stored differently")
            continue
        if pair not in last_ack or intent["order"] > intents[last_ack[pair]["key"]]["order"]:
            last_ack[pair] = ack

    for key in intents:
        if key in by_key and key not in acked_keys:
            found["committed_unacknowledged"] += 1

    responses = {
        (r.survey_id, codes[r.member_id]): r for r in Response.objects.filter(survey_id__in=surveys)
    }
    answers = defaultdict(lambda: defaultdict(list))
    for answer in Answer.objects.filter(response__survey_id__in=surveys).order_by(
        "response_id", "question_id", "rank"
    ):
        answers[answer.response_id][str(answer.question_id)].append(answer.option_id)

    for pair, stored in versions.items():
        previous = ""
        for number, version in enumerate(stored, start=1):
            recomputed = fingerprint(
                survey_id=pair[0],
                member_code=pair[1],
                version=version.version,
                content=version.content,
                receipt=version.receipt,
                submitted_at=version.submitted_at,
                previous=previous,
            )
            if version.version != number or recomputed != version.fingerprint:
                problem("chain_errors", f"{pair} v{version.version} does not chain")
            previous = version.fingerprint
        current = responses.get(pair)
        last = stored[-1]
        if current is None:
            problem("lost", f"{pair} has versions but no current response")
            continue
        stored_answers = {q: o for q, o in last.content["answers"].items() if o}
        if (
            current.version != last.version
            or current.receipt != last.receipt
            or current.fingerprint != last.fingerprint
            or current.comment != last.content.get("comment")
            or dict(answers[current.pk]) != stored_answers
        ):
            problem("mixed", f"{pair}: the current response is not its last version")
        ack = last_ack.get(pair)
        key = last.content.get("comment", "")[len(prefix) :]
        if (
            ack is not None
            and key in intents
            and intents[key]["order"] < intents[ack["key"]]["order"]
        ):
            problem("stale", f"{pair}: current is older than acknowledged {ack['key']}")
    for pair in last_ack:
        if pair not in responses:
            problem("lost", f"{pair}: acknowledged but no current response")
    for pair in responses:
        if pair not in versions:
            problem("unknown_versions", f"{pair}: a current response without any version")

    found["responses"] = len(responses)
    found["versions"] = sum(len(v) for v in versions.values())
    found["problems"] = problems
    return found


# --- command line --------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL server (default: $DATABASE_URL)")
    parser.add_argument("--ballots", type=int, default=1000, help="acknowledgements to reach")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--delegations", type=int, default=48)
    parser.add_argument("--surveys", type=int, default=2)
    parser.add_argument(
        "--kill-every", type=float, default=2.0, help="seconds of service between kills"
    )
    parser.add_argument("--min-kills", type=int, default=0, help="go on until this many kills")
    parser.add_argument(
        "--min-kills-mid-request",
        type=int,
        default=0,
        help="go on until this many kills landed while requests were in flight",
    )
    parser.add_argument(
        "--backup-every", type=float, default=0.0, help="seconds between backups (0: none)"
    )
    parser.add_argument("--min-backups", type=int, default=0, help="go on until this many backups")
    parser.add_argument("--pg-immediate-every", type=float, default=0.0)
    parser.add_argument("--pg-data", help="the cluster's data directory, or auto")
    parser.add_argument(
        "--max-pg-recovery",
        type=float,
        default=0.0,
        help="fail when PostgreSQL takes longer than this to recover from a stop (seconds)",
    )
    parser.add_argument("--broken", action="store_true", help="answer before commit (control)")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--workdir", type=Path, help="keep the logs and ack log here")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_prepare"]:
        _setup_django()
        print(json.dumps(prepare(**json.loads(argv[1]))))  # noqa: T201
        return 0
    if argv[:1] == ["_verify"]:
        _setup_django()
        print(json.dumps(verify(Path(argv[1]), Path(argv[2]))))  # noqa: T201
        return 0
    parser = _parser()
    options = parser.parse_args(argv)
    if options.backup_every > 0 and options.pg_immediate_every > 0:
        parser.error("--backup-every and --pg-immediate-every do not go together")
    if options.backup_every <= 0 and options.min_backups > 0:
        parser.error("--min-backups needs --backup-every above 0")
    if options.kill_every <= 0 and (options.min_kills or options.min_kills_mid_request):
        parser.error("--min-kills needs --kill-every above 0")
    config = Config(**vars(options))
    report = run(config)
    print(report.summary())  # noqa: T201
    if config.broken:
        return 0 if report.lost > 0 else 1
    missed = targets_missed(config, report)
    for target in missed:
        print(f"  target missed: {target}")  # noqa: T201
    return 0 if report.ok and not missed else 1


def targets_missed(config: Config, report: Report) -> list[str]:
    """What the run was asked to reach and did not, when the time limit stopped it first:
    a run that lost nothing but did less than asked proves less than asked."""
    wanted = [
        ("acknowledged submissions", report.acknowledged, config.ballots),
        ("kills", report.kills, config.min_kills),
        ("kills landing mid-request", report.kills_mid_request, config.min_kills_mid_request),
        ("backups restored and verified", report.backups_restored, config.min_backups),
    ]
    missed = [f"{name} {done:,} of {asked:,}" for name, done, asked in wanted if done < asked]
    if config.pg_immediate_every > 0 and report.pg_immediate_stops == 0:
        missed.append("PostgreSQL was never stopped")
    if 0 < config.max_pg_recovery < report.pg_recovery_seconds_max:
        missed.append(
            f"PostgreSQL took {report.pg_recovery_seconds_max:.1f} s to recover "
            f"(at most {config.max_pg_recovery:g} s)"
        )
    return missed


if __name__ == "__main__":
    sys.exit(main())
