"""The crash test (tools/crashtest.py), small: survey responses go in through the API
while gunicorn is killed with SIGKILL again and again (and on PostgreSQL the database
server is stopped with `pg_ctl restart -m immediate`); every acknowledged submission must
then be in the database exactly as acknowledged.

The harness makes its own database on the suite's back end (a new SQLite file, or a new
database on the PostgreSQL server the suite runs on), so gunicorn sees committed data;
both runs copy one migrated and prepared template. The negative control serves a build
that answers before it commits: the same harness must then find lost submissions.

Backups under load (RELIABILITY D10): `dialogue backup` runs while delegations submit, and
each archive, restored into an empty database, must hold every submission acknowledged
before it started, consistently.
"""

import importlib.util
import sys
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection, connections

TOOLS = Path(__file__).resolve().parents[3] / "tools"

pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="SQLite or PostgreSQL only"
)


def _load_harness():
    spec = importlib.util.spec_from_file_location("crashtest", TOOLS / "crashtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crashtest"] = module
    spec.loader.exec_module(module)
    return module


crashtest = _load_harness()


def _server_url() -> str | None:
    """The PostgreSQL server the suite runs on, as a URL of its maintenance database."""
    if connection.vendor != "postgresql":
        return None
    given = connection.settings_dict
    user = urllib.parse.quote(given["USER"] or "")
    password = given["PASSWORD"]
    credentials = f"{user}:{urllib.parse.quote(password)}" if password else user
    host = given["HOST"] or "127.0.0.1"
    port = given["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/postgres"


def _config(**changes):
    base = {
        "db": "postgres" if connection.vendor == "postgresql" else "sqlite",
        "database_url": _server_url(),
        "delegations": 32,
        "surveys": 2,
        "quiet": True,
        "seed": 7,
    }
    return crashtest.Config(**{**base, **changes})


@pytest.fixture(scope="module")
def template():
    prepared = crashtest.build_template(_config())
    yield prepared
    prepared.drop()


@pytest.fixture
def fresh_connections_afterwards():
    """An immediate stop of PostgreSQL breaks the suite's own connections: reopen them."""
    connections.close_all()
    yield
    connections.close_all()


def test_no_acknowledged_submission_is_lost_or_doubled_when_the_server_is_killed(
    template, fresh_connections_afterwards, tmp_path
):
    on_postgresql = connection.vendor == "postgresql"
    report = crashtest.run(
        _config(
            ballots=300,
            clients=16,
            kill_every=1.5,
            min_kills=5,
            min_kills_mid_request=5,
            time_limit=90,
            pg_data="auto" if on_postgresql else None,
            pg_immediate_every=10 if on_postgresql else 0,
            workdir=tmp_path,
        ),
        template=template,
    )
    print(report.summary())  # noqa: T201 - the figures, shown with pytest -s
    assert report.kills >= 5
    assert report.kills_mid_request >= 5
    assert report.acknowledged >= 100
    assert report.lost == 0
    assert report.duplicates == 0
    assert report.stale == report.mixed == report.chain_errors == 0
    assert report.unknown_versions == report.mismatched_acks == report.refused == 0
    assert report.integrity_failures == 0
    if on_postgresql:
        assert report.pg_immediate_stops >= 1
        # D2 asks for under 10 s (0.8 s seen on a quiet machine); the suite shares two cores
        # with the other database's suite, so the bound here leaves room for that.
        assert report.pg_recovery_seconds_max < 20


def test_the_harness_sees_losses_when_the_server_answers_before_it_commits(template, tmp_path):
    report = crashtest.run(
        _config(
            broken=True,
            ballots=20,
            clients=4,
            kill_every=1.5,
            min_kills=3,
            time_limit=90,
            workdir=tmp_path,
        ),
        template=template,
    )
    print(report.summary())  # noqa: T201 - the figures, shown with pytest -s
    assert report.kills >= 3
    assert report.lost >= 1


@pytest.fixture(scope="module")
def backups_under_load(template, tmp_path_factory):
    """A run whose server is backed up every second while 16 clients submit."""
    workdir = tmp_path_factory.mktemp("backups")
    config = _config(
        ballots=300,
        clients=16,
        kill_every=0,
        backup_every=1.0,
        min_backups=3,
        time_limit=120,
        workdir=workdir,
    )
    report = crashtest.run(config, template=template)
    print(report.summary())  # noqa: T201 - the figures, shown with pytest -s
    return config, report, workdir


def test_backups_taken_under_load_hold_every_submission_acknowledged_before_them(
    backups_under_load,
):
    _config, report, _workdir = backups_under_load
    assert report.backups >= 3
    assert report.backups_restored == report.backups
    assert 0 < report.backup_acknowledged_max < report.acknowledged
    assert report.backup_failures == 0, report.problems
    assert report.ok, report.problems


def test_the_backup_check_sees_a_submission_acknowledged_before_but_missing(
    backups_under_load,
):
    config, report, workdir = backups_under_load
    first = sorted(workdir.glob("backup-*.tar.gz"))[0]
    claimed = crashtest.Backup(first, acknowledged_before=report.acknowledged, seconds=0)
    found = crashtest.verify_backup(
        config, claimed, workdir / "acks.jsonl", workdir / "intents.json"
    )
    assert found["lost"] >= 1


def test_a_run_stopped_by_its_time_limit_short_of_its_targets_fails():
    config = crashtest.Config(
        db="postgres",
        ballots=10_000,
        min_kills=50,
        min_kills_mid_request=50,
        min_backups=10,
        pg_immediate_every=10,
        max_pg_recovery=10,
    )
    short = crashtest.Report(
        db="postgres",
        acknowledged=9_999,
        kills=50,
        kills_mid_request=49,
        backups_restored=10,
        pg_immediate_stops=12,
        pg_recovery_seconds_max=10.5,
    )
    complete = crashtest.Report(
        db="postgres",
        acknowledged=10_000,
        kills=51,
        kills_mid_request=50,
        backups_restored=10,
        pg_immediate_stops=12,
        pg_recovery_seconds_max=4.9,
    )

    assert crashtest.targets_missed(config, short) == [
        "acknowledged submissions 9,999 of 10,000",
        "kills landing mid-request 49 of 50",
        "PostgreSQL took 10.5 s to recover (at most 10 s)",
    ]
    assert crashtest.targets_missed(config, complete) == []
    never_stopped = crashtest.Report(db="postgres", acknowledged=10_000, kills=50)
    assert "PostgreSQL was never stopped" in crashtest.targets_missed(
        crashtest.Config(db="postgres", pg_immediate_every=10), never_stopped
    )
