"""A committed write survives a crash only if the database is set up for it (D4): read
the settings from a fresh connection, exactly as the application opens one.

SQLite: WAL journal, synchronous=FULL (2; with WAL, commits survive power loss too),
foreign keys enforced, IMMEDIATE transactions (the write lock is taken at BEGIN).
PostgreSQL: fsync, synchronous_commit and full_page_writes all on.
"""

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite settings")
def test_a_fresh_sqlite_connection_is_wal_with_full_sync_and_foreign_keys(
    tmp_path, django_db_blocker
):
    """On a new database file, as in use (the suite's own database lives in memory)."""
    fresh = SQLiteWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "dialogue.sqlite3")},
        alias="durability-check",
    )
    try:
        with django_db_blocker.unblock(), fresh.cursor() as cursor:
            found = {}
            for pragma in ("journal_mode", "synchronous", "foreign_keys"):
                cursor.execute(f"PRAGMA {pragma}")
                found[pragma] = cursor.fetchone()[0]
        assert found == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
        assert fresh.transaction_mode == "IMMEDIATE"
    finally:
        fresh.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL settings")
@pytest.mark.django_db
def test_a_fresh_postgresql_connection_commits_durably():
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            found = {}
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                cursor.execute(f"SHOW {setting}")
                found[setting] = cursor.fetchone()[0]
        assert found == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    finally:
        fresh.close()
