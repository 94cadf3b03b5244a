"""Backups of a whole instance (database and media files) in one archive, and restores.

An archive is a gzip-compressed tar file holding `manifest.json`, the database
snapshot (`database.sqlite3`, taken with SQLite's online backup API, or
`database.pgdump`, written by `pg_dump --format=custom`) and the files of
MEDIA_ROOT under `media/`. The manifest records the SHA-256 of every other member
and, read from the snapshot itself, the applied migrations and each table's row
count, so a restore can be verified against it.
"""

import datetime
import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

from dialogue.core.errors import DomainError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SNAPSHOTS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
PG_BINDIRS = ("/usr/lib/postgresql/15/bin",)
CHUNK = 1024 * 1024

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    target: Path
    vendor: str
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    """What a restore wrote, once verified."""

    vendor: str
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


def _quiet(step: str) -> None:
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _vendor(database: dict[str, Any]) -> str:
    engine = database.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise DomainError(
        _("Backups support SQLite and PostgreSQL only, not %(engine)s.") % {"engine": engine},
        field="database",
    )


def pg_tool(name: str) -> str:
    """The path of PostgreSQL's client program `name` (pg_dump, pg_restore).

    Looked for in PG_BINDIR, on PATH, then in Debian's PostgreSQL 15 directory and the
    newest /usr/lib/postgresql/*/bin; a DomainError says what to install otherwise.
    """
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]) / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += [Path(folder) / name for folder in PG_BINDIRS]
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise DomainError(
        _("%(program)s was not found: install the PostgreSQL client (postgresql-client-15).")
        % {"program": name},
        field="database",
    )


def _pg_conninfo(database: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    from psycopg.conninfo import make_conninfo

    parts = {
        "dbname": database.get("NAME") or "",
        "user": database.get("USER") or None,
        "host": database.get("HOST") or None,
        "port": str(database["PORT"]) if database.get("PORT") else None,
    }
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return make_conninfo(**{k: v for k, v in parts.items() if v is not None}), env


def _pg_connect(database: dict[str, Any], **kwargs):
    import psycopg

    conninfo, env = _pg_conninfo(database)
    return psycopg.connect(conninfo, password=env.get("PGPASSWORD"), **kwargs)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _open_sqlite(path: Path | str, **kwargs) -> sqlite3.Connection:
    """A connection with Django's SQL functions, which the schema's checks may call."""
    from django.db.backends.sqlite3._functions import register

    db = sqlite3.connect(path, **kwargs)
    register(db)
    return db


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [name for (name,) in rows]


def _table_sql(table: str, schema: str) -> str:
    """A quoted table name; names come from the database's own catalogue, never from input."""
    return f"{_quote(schema)}.{_quote(table)}" if schema else _quote(table)


def _count_sql(table: str, schema: str = "") -> str:
    """SQL counting the rows of a catalogue table."""
    return f"SELECT count(*) FROM {_table_sql(table, schema)}"  # noqa: S608  # nosec B608


def _any_row_sql(table: str, schema: str = "") -> str:
    """SQL finding whether a catalogue table has a row."""
    return f"SELECT 1 FROM {_table_sql(table, schema)} LIMIT 1"  # noqa: S608


def _sqlite_state(db: sqlite3.Connection) -> tuple[dict[str, int], dict[str, str]]:
    counts = {table: db.execute(_count_sql(table)).fetchone()[0] for table in _sqlite_tables(db)}
    return counts, _migrations(db.execute, "django_migrations" in counts)


def _pg_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [name for (name,) in cursor.fetchall()]


def _pg_state(cursor) -> tuple[dict[str, int], dict[str, str]]:
    counts = {}
    for table in _pg_tables(cursor):
        cursor.execute(_count_sql(table, schema="public"))
        counts[table] = cursor.fetchone()[0]

    def execute(sql):
        cursor.execute(sql)
        return cursor.fetchall()

    return counts, _migrations(execute, "django_migrations" in counts)


def _migrations(execute, present: bool) -> dict[str, str]:
    """The latest applied migration of each app."""
    if not present:
        return {}
    latest: dict[str, str] = {}
    for app, name in execute("SELECT app, name FROM django_migrations ORDER BY id"):
        latest[app] = name
    return dict(sorted(latest.items()))


def _snapshot_sqlite(alias: str, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    connection = connections[alias]
    if connection.in_atomic_block:
        raise DomainError(
            _("A backup cannot be taken inside a database transaction."), field="database"
        )
    connection.ensure_connection()
    destination = _open_sqlite(target)
    try:
        connection.connection.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_state(destination)
    finally:
        destination.close()


def _snapshot_postgresql(database: dict[str, Any], target: Path) -> tuple[dict, dict]:
    """pg_dump and the manifest's counts both read one exported snapshot, so they agree."""
    conninfo, env = _pg_conninfo(database)
    with _pg_connect(database) as db, db.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        state = _pg_state(cursor)
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={conninfo}",
            ],
            env,
        )
        db.rollback()
    return state


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, no shell
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DomainError(
            _("%(program)s failed: %(error)s")
            % {
                "program": Path(command[0]).name,
                "error": (result.stderr.strip() or str(result.returncode))[-2000:],
            },
            field="database",
        )


def _media_files(media_root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under `media_root` (symbolic links left out), by archive name."""
    if not media_root.is_dir():
        return
    for folder, subfolders, names in os.walk(media_root):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield f"{MEDIA}/{path.relative_to(media_root).as_posix()}", path


def backup_create(
    *,
    target: Path,
    alias: str = "default",
    media_root: Path | None = None,
    progress: Progress = _quiet,
) -> BackupReport:
    """Write one consistent archive of the database and the media files to `target`.

    The database snapshot is transactionally consistent while the application keeps
    writing, and the manifest's row counts are read from that snapshot. The archive is
    written beside `target` and renamed only once complete, so an interrupted backup
    never leaves a partial file under that name.
    """
    started = time.monotonic()
    target = Path(target)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    if target.is_dir():
        raise DomainError(_("%(file)s is a folder, not a file.") % {"file": target}, field="target")
    folder = target.parent
    if not folder.is_dir():
        raise DomainError(
            _("The folder %(folder)s does not exist.") % {"folder": folder}, field="target"
        )
    database = connections[alias].settings_dict
    vendor = _vendor(database)
    with tempfile.TemporaryDirectory(prefix="dialogue-backup-") as staging:
        snapshot = Path(staging) / SNAPSHOTS[vendor]
        progress(_("Taking a snapshot of the database"))
        if vendor == "sqlite":
            counts, migrations = _snapshot_sqlite(alias, snapshot)
        else:
            counts, migrations = _snapshot_postgresql(database, snapshot)
        progress(_("Computing checksums"))
        members = [(SNAPSHOTS[vendor], snapshot), *_media_files(media_root)]
        checksums = {
            name: {"sha256": _sha256(path), "size": path.stat().st_size} for name, path in members
        }
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "django_version": django.get_version(),
            "dialogue_version": _dialogue_version(),
            "vendor": vendor,
            "migrations": migrations,
            "tables": counts,
            "files": len(members) - 1,
            "members": checksums,
        }
        progress(_("Writing the archive"))
        _write_archive(target, manifest, members)
    return BackupReport(
        target=target,
        vendor=vendor,
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(members) - 1,
        bytes=target.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _dialogue_version() -> str:
    try:
        return importlib.metadata.version("dialogue")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write_archive(target: Path, manifest: dict, members: list[tuple[str, Path]]) -> None:
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
            dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
        )
    except OSError as error:
        raise DomainError(
            _("Cannot write in %(folder)s: %(reason)s")
            % {"folder": target.parent, "reason": error.strerror or error},
            field="target",
        ) from error
    partial = Path(handle.name)
    try:
        with handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as archive:
                content = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(content)
                info.mtime = int(time.time())
                info.mode = 0o644
                archive.addfile(info, _BytesReader(content))
                for name, path in members:
                    info = tarfile.TarInfo(name)
                    info.size = path.stat().st_size
                    info.mtime = int(path.stat().st_mtime)
                    info.mode = 0o644
                    with path.open("rb") as data:
                        archive.addfile(info, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as error:
        raise DomainError(
            _("Cannot write %(file)s: %(reason)s")
            % {"file": target, "reason": error.strerror or error},
            field="target",
        ) from error
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()


class _BytesReader:
    def __init__(self, content: bytes):
        self._content = content
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._content) if size < 0 else self._offset + size
        chunk = self._content[self._offset : end]
        self._offset += len(chunk)
        return chunk


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in ("..", "") for part in name.split("/"))
        or ".." in path.parts
    ):
        raise DomainError(
            _("The archive holds an unsafe file name: %(name)s") % {"name": name[:200]},
            field="source",
        )
    return path


def _unreadable(source: Path, error: Exception) -> DomainError:
    return DomainError(
        _("%(file)s is not a readable backup archive (truncated or corrupted): %(reason)s")
        % {"file": source, "reason": error},
        field="source",
    )


def _unpack(source: Path, staging: Path) -> tuple[dict, dict[str, str]]:
    """Extract the archive's regular files into `staging` after checking every name.

    Returns the manifest and the SHA-256 of each member as extracted.
    """
    manifest = None
    digests: dict[str, str] = {}
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            members = archive.getmembers()
            for member in members:
                _safe_name(member.name)
                if not member.isfile():
                    raise DomainError(
                        _("The archive holds %(name)s, which is not a regular file.")
                        % {"name": member.name[:200]},
                        field="source",
                    )
            names = [member.name for member in members]
            if len(set(names)) != len(names):
                raise DomainError(_("The archive holds a file twice."), field="source")
            for member in members:
                data = archive.extractfile(member)
                if member.name == MANIFEST:
                    try:
                        manifest = json.loads(data.read(10 * CHUNK).decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError) as error:
                        raise DomainError(
                            _("The archive's manifest is not valid JSON."), field="source"
                        ) from error
                    continue
                path = staging / member.name
                path.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with path.open("xb") as out:
                    while chunk := data.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                digests[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise _unreadable(source, error) from error
    if not isinstance(manifest, dict):
        raise DomainError(_("The archive has no manifest."), field="source")
    return manifest, digests


def _check_manifest(manifest: dict, digests: dict[str, str], vendor: str) -> None:
    if manifest.get("format") != FORMAT_VERSION:
        raise DomainError(
            _("The archive's format %(found)s is not the supported format %(expected)s.")
            % {"found": manifest.get("format"), "expected": FORMAT_VERSION},
            field="source",
        )
    if manifest.get("vendor") != vendor:
        raise DomainError(
            _("The archive holds a %(archive)s database; this instance uses %(target)s.")
            % {"archive": manifest.get("vendor"), "target": vendor},
            field="source",
        )
    expected = manifest.get("members")
    tables = manifest.get("tables")
    if not isinstance(expected, dict) or not isinstance(tables, dict):
        raise DomainError(_("The archive's manifest is incomplete."), field="source")
    if SNAPSHOTS[vendor] not in expected:
        raise DomainError(_("The archive's manifest lists no database."), field="source")
    for name in sorted(set(expected) | set(digests)):
        if name not in digests:
            raise DomainError(
                _("%(name)s is listed in the manifest but missing from the archive.")
                % {"name": name[:200]},
                field="source",
            )
        if name not in expected:
            raise DomainError(
                _("%(name)s is in the archive but not in its manifest.") % {"name": name[:200]},
                field="source",
            )
        if not name.startswith(f"{MEDIA}/") and name != SNAPSHOTS[vendor]:
            raise DomainError(
                _("The archive holds an unexpected file: %(name)s") % {"name": name[:200]},
                field="source",
            )
        if (expected[name] or {}).get("sha256") != digests[name]:
            raise DomainError(
                _("The checksum of %(name)s does not match the manifest: the archive is corrupted.")
                % {"name": name[:200]},
                field="source",
            )


def _sqlite_has_data(path: Path) -> bool:
    if not path.exists():
        return False
    db = _open_sqlite(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name, kind) in (
                (row[1], row[2]) for row in db.execute("PRAGMA main.table_list").fetchall()
            )
            if kind == "table" and not name.startswith("sqlite_")
        ]
        return any(
            db.execute(_any_row_sql(table)).fetchone()
            for table in tables
            if table not in BOOKKEEPING_TABLES
        )
    except sqlite3.DatabaseError:
        return True
    finally:
        db.close()


def _pg_has_data(database: dict[str, Any]) -> bool:
    with _pg_connect(database) as db, db.cursor() as cursor:
        for table in _pg_tables(cursor):
            if table in BOOKKEEPING_TABLES:
                continue
            cursor.execute(_any_row_sql(table, schema="public"))
            if cursor.fetchone():
                return True
    return False


def _media_has_files(media_root: Path) -> bool:
    return media_root.is_dir() and any(path.is_file() for path in media_root.rglob("*"))


def backup_restore(
    *,
    source: Path,
    database: dict[str, Any] | None = None,
    media_root: Path | None = None,
    force: bool = False,
    progress: Progress = _quiet,
) -> RestoreReport:
    """Restore an archive written by `backup_create` into an empty instance, and verify it.

    `database` is a Django database settings dict (default: this instance's). Nothing is
    written unless the archive is intact (safe names, checksums, format and vendor) and,
    without `force`, the database and `media_root` hold no data. Afterwards the database
    passes its integrity check, every table has the row count of the manifest, and every
    media file has its recorded checksum; a DomainError names any difference.
    """
    started = time.monotonic()
    source = Path(source)
    database = dict(database if database is not None else connections["default"].settings_dict)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    vendor = _vendor(database)
    if not source.is_file():
        raise DomainError(
            _("%(file)s does not exist or is not a file.") % {"file": source}, field="source"
        )
    with tempfile.TemporaryDirectory(prefix="dialogue-restore-") as folder:
        staging = Path(folder)
        progress(_("Reading and checking the archive"))
        manifest, digests = _unpack(source, staging)
        _check_manifest(manifest, digests, vendor)
        if not force:
            _require_empty(vendor, database, media_root)
        progress(_("Restoring the database"))
        snapshot = staging / SNAPSHOTS[vendor]
        if vendor == "sqlite":
            counts = _restore_sqlite(snapshot, database)
        else:
            counts = _restore_postgresql(snapshot, database)
        expected = manifest["tables"]
        if counts != expected:
            different = sorted(
                table
                for table in set(counts) | set(expected)
                if counts.get(table) != expected.get(table)
            )
            raise DomainError(
                _("The restored tables differ from the manifest: %(tables)s")
                % {"tables": ", ".join(different[:20])},
                field="database",
            )
        progress(_("Restoring the media files"))
        files, size = _restore_media(staging, media_root, manifest["members"])
    return RestoreReport(
        vendor=vendor,
        tables=len(counts),
        rows=sum(counts.values()),
        files=files,
        bytes=size,
        seconds=time.monotonic() - started,
    )


def _require_empty(vendor: str, database: dict[str, Any], media_root: Path) -> None:
    if vendor == "sqlite":
        has_data = _sqlite_has_data(Path(database["NAME"]))
    else:
        has_data = _pg_has_data(database)
    if has_data:
        raise DomainError(
            _(
                "The database %(name)s already holds data: restore into an empty instance, "
                "or use --force to replace it."
            )
            % {"name": database.get("NAME")},
            field="database",
        )
    if _media_has_files(media_root):
        raise DomainError(
            _(
                "The media folder %(folder)s already holds files: restore into an empty "
                "instance, or use --force to replace them."
            )
            % {"folder": media_root},
            field="media_root",
        )


def _restore_sqlite(snapshot: Path, database: dict[str, Any]) -> dict[str, int]:
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise DomainError(
            _("The database must be a file to restore into, not %(name)s.") % {"name": name},
            field="database",
        )
    target = Path(name)
    check = _open_sqlite(snapshot)
    try:
        verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if verdict != "ok":
        raise DomainError(
            _("The database in the archive fails its integrity check: %(verdict)s")
            % {"verdict": verdict},
            field="source",
        )
    for alias in connections:
        if connections[alias].settings_dict.get("NAME") == name:
            connections[alias].close()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restore")
    shutil.copyfile(snapshot, partial)
    for suffix in ("-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            Path(f"{target}{suffix}").unlink()
    os.replace(partial, target)
    db = _open_sqlite(target)
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise DomainError(
                _("The restored database fails its integrity check: %(verdict)s")
                % {"verdict": verdict},
                field="database",
            )
        counts, _migrations_applied = _sqlite_state(db)
    finally:
        db.close()
    return counts


def _restore_postgresql(snapshot: Path, database: dict[str, Any]) -> dict[str, int]:
    conninfo, env = _pg_conninfo(database)
    _run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--clean",
            "--if-exists",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(snapshot),
        ],
        env,
    )
    with _pg_connect(database) as db, db.cursor() as cursor:
        counts, _migrations_applied = _pg_state(cursor)
    # pg_restore leaves the planner without statistics: without them a full-text search
    # can take seconds instead of milliseconds until autovacuum gets to the tables.
    with _pg_connect(database, autocommit=True) as db:
        db.execute("ANALYZE")
    return counts


def _restore_media(staging: Path, media_root: Path, members: dict) -> tuple[int, int]:
    files = size = 0
    media_root.mkdir(parents=True, exist_ok=True)
    for name, recorded in sorted(members.items()):
        if not name.startswith(f"{MEDIA}/"):
            continue
        relative = PurePosixPath(name).relative_to(MEDIA)
        target = media_root.joinpath(*relative.parts)
        if media_root.resolve() not in target.resolve().parents:
            raise DomainError(
                _("The archive holds an unsafe file name: %(name)s") % {"name": name[:200]},
                field="source",
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / name, target)
        if _sha256(target) != recorded["sha256"]:
            raise DomainError(
                _("The restored file %(name)s does not match its checksum.") % {"name": name},
                field="media_root",
            )
        files += 1
        size += target.stat().st_size
    return files, size
