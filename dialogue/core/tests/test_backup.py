"""`dialogue backup` and `dialogue restore`: an instance restored into an empty one is the same.

On SQLite the restore goes to a fresh database file; on PostgreSQL (run with
tools/with-postgres) to a freshly created database on the same server. The tests
commit, as a backup only sees committed data; the test runner empties the database
afterwards.
"""

import hashlib
import io
import json
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from dialogue.core import backup
from dialogue.core.errors import DomainError
from dialogue.documents import services as document_services
from dialogue.documents.models import Document
from dialogue.documents.tests.test_files import make_docx
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import services as survey_services
from dialogue.surveys.models import Response
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
)

POSTGRESQL = connection.vendor == "postgresql"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def instance(media, staff_user):
    """Members, a cycle with an open survey and responses (one written, with its letter),
    and a document with a file."""
    survey = PublishedSurveyFactory(actor=staff_user, questions=[choose_one("A", "B", "C")])
    (question,) = questions_of(survey)
    options = option_ids(question)
    for index, code in enumerate(["CHE", "SEN", "MEX"]):
        member = MemberFactory(code=code)
        survey_services.response_submit(
            actor=delegate_of(member),
            survey=survey,
            member=member,
            choices={question.pk: [options[index]]},
            now=DURING,
        )
    written = MemberFactory(code="PHL")
    survey_services.response_submit(
        actor=staff_user,
        survey=survey,
        member=written,
        choices={question.pk: [options[0]]},
        channel=Response.Channel.WRITTEN,
        letter=SimpleUploadedFile("note-verbale.pdf", b"%PDF-1.4 note verbale"),
        now=DURING,
    )
    document = document_services.document_save(
        actor=staff_user, data={"kind": Document.Kind.REPORT, "title_en": "Report of the workshop"}
    )
    document_services.version_upload(
        actor=staff_user,
        document=document,
        language="en",
        uploaded_file=SimpleUploadedFile("report.docx", make_docx()),
    )
    return survey


@pytest.fixture
def empty_database(tmp_path):
    """The settings of an empty database of this instance's kind, dropped afterwards."""
    settings = dict(connection.settings_dict)
    if not POSTGRESQL:
        yield {**settings, "NAME": str(tmp_path / "restored" / "dialogue.sqlite3")}
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with backup._pg_connect({**settings, "NAME": "postgres"}, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**settings, "NAME": name}
    finally:
        with backup._pg_connect({**settings, "NAME": "postgres"}, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _digest(rows) -> str:
    return hashlib.sha256(repr(sorted(repr(row) for row in rows)).encode()).hexdigest()


def tables_of(database: dict | None = None) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows, of `database` (default: this one)."""
    if POSTGRESQL:
        with backup._pg_connect(database or connection.settings_dict) as db, db.cursor() as cur:
            result = {}
            for table in backup._pg_tables(cur):
                cur.execute(f'SELECT * FROM public."{table}"')
                rows = cur.fetchall()
                result[table] = (len(rows), _digest(rows))
            return result
    import sqlite3

    if database is None:
        connection.ensure_connection()
        db = connection.connection
    else:
        db = sqlite3.connect(
            database["NAME"], detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        )
    result = {}
    for table in backup._sqlite_tables(db):
        rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
        result[table] = (len(rows), _digest(rows))
    if database is not None:
        db.close()
    return result


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_restored_instance_has_every_table_row_and_file_of_the_original(
    instance, media, empty_database, tmp_path
):
    archive = tmp_path / "backup.tar.gz"
    made = backup.backup_create(target=archive)
    original_tables, original_files = tables_of(), files_of(media)
    assert original_tables["surveys_response"][0] == 4
    assert len(original_files) == 2
    assert made.files == 2 and made.rows == sum(count for count, _ in original_tables.values())

    restored_media = tmp_path / "restored-media"
    report = backup.backup_restore(
        source=archive, database=empty_database, media_root=restored_media
    )

    assert tables_of(empty_database) == original_tables
    assert files_of(restored_media) == original_files
    assert report.tables == len(original_tables)
    assert report.rows == made.rows
    assert report.files == 2
    assert report.bytes == sum(len(content) for content in original_files.values())
    if POSTGRESQL:
        # the planner has statistics at once, without waiting for autovacuum
        with backup._pg_connect(empty_database) as db:
            analyzed = db.execute(
                "SELECT count(*) FROM pg_stat_user_tables "
                "WHERE relname = 'surveys_response' AND last_analyze IS NOT NULL"
            ).fetchone()[0]
        assert analyzed == 1


def test_the_manifest_records_versions_migrations_counts_and_checksums(instance, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    backup.backup_create(target=archive)
    with tarfile.open(archive) as opened:
        names = opened.getnames()
        manifest = json.load(opened.extractfile(backup.MANIFEST))
        snapshot = opened.extractfile(backup.SNAPSHOTS[connection.vendor]).read()
    assert names[0] == backup.MANIFEST
    assert manifest["format"] == backup.FORMAT_VERSION
    assert manifest["vendor"] == connection.vendor
    assert manifest["migrations"]["surveys"].startswith("00")
    assert manifest["tables"]["surveys_response"] == 4
    assert manifest["files"] == 2
    snapshot_name = backup.SNAPSHOTS[connection.vendor]
    assert manifest["members"][snapshot_name]["sha256"] == hashlib.sha256(snapshot).hexdigest()
    assert set(manifest["members"]) == set(names) - {backup.MANIFEST}


def test_a_backup_into_a_missing_folder_is_refused_clearly(instance, tmp_path):
    with pytest.raises(DomainError) as refused:
        backup.backup_create(target=tmp_path / "missing" / "backup.tar.gz")
    assert refused.value.field == "target"
    assert "does not exist" in refused.value.message
    assert not (tmp_path / "missing").exists()


def test_the_backup_command_writes_one_archive_and_prints_a_summary(instance, tmp_path):
    out = io.StringIO()
    call_command("backup", "-o", str(tmp_path / "b.tar.gz"), stdout=out)
    assert [path.name for path in tmp_path.iterdir() if path.is_file()] == ["b.tar.gz"]
    assert "Backup written to" in out.getvalue() and "2 files" in out.getvalue()
    with pytest.raises(CommandError, match=r"-o FILE: The folder .* does not exist"):
        call_command("backup", "-o", str(tmp_path / "no" / "b.tar.gz"), stdout=io.StringIO())


@pytest.fixture
def archive(instance, tmp_path) -> Path:
    target = tmp_path / "backup.tar.gz"
    backup.backup_create(target=target)
    return target


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as opened:
        return [(info, opened.extractfile(info).read()) for info in opened.getmembers()]


def _repack(archive: Path, members, extra: tarfile.TarInfo | None = None, data=b"") -> Path:
    target = archive.with_name("changed.tar.gz")
    with tarfile.open(target, "w:gz") as out:
        for info, content in members:
            out.addfile(info, io.BytesIO(content))
        if extra is not None:
            out.addfile(extra, io.BytesIO(data))
    return target


def _refused(source: Path, database: dict, media_root: Path, *, contains: str, **kwargs):
    """Restoring `source` is refused naming the problem, and nothing is written."""
    with pytest.raises(DomainError) as refused:
        backup.backup_restore(source=source, database=database, media_root=media_root, **kwargs)
    assert contains in refused.value.message
    assert not media_root.exists() or not any(media_root.rglob("*"))
    return refused.value


def _nothing_restored(database: dict) -> None:
    if POSTGRESQL:
        with backup._pg_connect(database) as db, db.cursor() as cursor:
            assert backup._pg_tables(cursor) == []
    else:
        assert not Path(database["NAME"]).exists()


def test_an_archive_with_a_changed_byte_in_a_member_fails_its_checksum(
    archive, empty_database, tmp_path
):
    members = _members(archive)
    info, content = next(m for m in members if m[0].name.startswith("media/"))
    flipped = bytes([content[0] ^ 0x01]) + content[1:]
    changed = [(i, flipped if i is info else c) for i, c in members]
    error = _refused(_repack(archive, changed), empty_database, tmp_path / "m", contains="checksum")
    assert info.name in error.message
    _nothing_restored(empty_database)


def test_a_corrupted_or_truncated_archive_is_refused(archive, empty_database, tmp_path):
    raw = archive.read_bytes()
    corrupted = tmp_path / "corrupted.tar.gz"
    middle = len(raw) // 2
    corrupted.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :])
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    for source in (corrupted, truncated):
        with pytest.raises(DomainError) as refused:
            backup.backup_restore(source=source, database=empty_database, media_root=tmp_path / "m")
        assert refused.value.field == "source"
        assert any(word in refused.value.message for word in ("corrupted", "checksum", "manifest"))
        _nothing_restored(empty_database)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "name", ["media/../../escaped.txt", "../escaped.txt", "/tmp/escaped-absolute.txt"]
)
def test_an_archive_with_a_path_outside_the_instance_is_refused(
    archive, empty_database, tmp_path, name
):
    extra = tarfile.TarInfo(name)
    extra.size = 4
    evil = _repack(archive, _members(archive), extra, b"evil")
    error = _refused(evil, empty_database, tmp_path / "m" / "media", contains="unsafe file name")
    assert error.field == "source"
    _nothing_restored(empty_database)
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/escaped-absolute.txt").exists()


def test_an_archive_with_a_symbolic_link_is_refused(archive, empty_database, tmp_path):
    link = tarfile.TarInfo("media/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    evil = _repack(archive, _members(archive), link)
    _refused(evil, empty_database, tmp_path / "m", contains="not a regular file")
    _nothing_restored(empty_database)


def test_an_archive_of_another_database_kind_is_refused(archive, empty_database, tmp_path):
    members = _members(archive)
    info, content = members[0]
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    changed = content.replace(
        f'"vendor": "{connection.vendor}"'.encode(), f'"vendor": "{other}"'.encode()
    )
    info.size = len(changed)
    _refused(
        _repack(archive, [(info, changed), *members[1:]]),
        empty_database,
        tmp_path / "m",
        contains=f"holds a {other} database",
    )
    _nothing_restored(empty_database)


def test_a_restore_into_an_instance_with_data_is_refused_without_force(
    archive, empty_database, tmp_path
):
    media_root = tmp_path / "restored-media"
    backup.backup_restore(source=archive, database=empty_database, media_root=media_root)
    before_tables, before_files = tables_of(empty_database), files_of(media_root)

    with pytest.raises(DomainError) as refused:
        backup.backup_restore(source=archive, database=empty_database, media_root=media_root)
    assert refused.value.field == "database"
    assert "already holds data" in refused.value.message
    assert tables_of(empty_database) == before_tables
    assert files_of(media_root) == before_files

    backup.backup_restore(
        source=archive, database=empty_database, media_root=media_root, force=True
    )
    assert tables_of(empty_database) == before_tables


def test_the_restore_command_needs_yes_and_names_what_is_wrong(archive, tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"FILE: .* does not exist"):
        call_command("restore", str(tmp_path / "none.tar.gz"), "--yes", stdout=io.StringIO())
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:100])
    with pytest.raises(CommandError, match=r"FILE: .* not a readable backup archive"):
        call_command("restore", str(truncated), "--yes", stdout=io.StringIO())


@pytest.mark.skipif(not POSTGRESQL, reason="needs concurrent transactions on PostgreSQL")
def test_a_backup_taken_while_responses_arrive_is_consistent(
    instance, media, empty_database, tmp_path
):
    survey = instance
    (question,) = questions_of(survey)
    members = [MemberFactory(code=f"R{chr(65 + i % 26)}{chr(65 + i // 26)}") for i in range(30)]
    delegates = [delegate_of(member) for member in members]
    acknowledged_before = Response.objects.count()
    started = threading.Event()
    errors: list[BaseException] = []

    def submit(index):
        try:
            started.wait(timeout=30)
            survey_services.response_submit(
                actor=delegates[index],
                survey=survey,
                member=members[index],
                choices={question.pk: [option_ids(question)[index % 3]]},
                now=DURING,
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(members))]
    for thread in threads:
        thread.start()
    archive = tmp_path / "under-load.tar.gz"
    started.set()
    made = backup.backup_create(target=archive)
    for thread in threads:
        thread.join(timeout=120)
    assert not errors

    report = backup.backup_restore(
        source=archive, database=empty_database, media_root=tmp_path / "restored-media"
    )
    assert report.rows == made.rows
    restored = tables_of(empty_database)
    assert acknowledged_before <= restored["surveys_response"][0] <= acknowledged_before + 30
    assert restored["surveys_answer"][0] == restored["surveys_response"][0]
