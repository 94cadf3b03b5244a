"""Importing the member file: `services.members_import`, `read_member_file` and the command."""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members import imports, services
from dialogue.members.imports import ImportErrors, ImportIssue, read_member_file
from dialogue.members.models import Member, MemberStatusChange
from dialogue.members.tests.factories import PersonFactory

HEADER = "kind,code,name_en,region,joined,status,status_since,mission_email,mission_website"


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_file(rows: list[list], sheet_rows: list[int] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, row in enumerate(rows):
        number = sheet_rows[index] if sheet_rows else index + 1
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(actor, content: bytes, filename: str = "members.csv", **options):
    return services.members_import(actor=actor, content=content, filename=filename, **options)


def import_issues(actor, content: bytes, filename: str = "members.csv") -> list[ImportIssue]:
    with pytest.raises(ImportErrors) as raised:
        run_import(actor, content, filename)
    return raised.value.issues


GOOD = csv_file(
    HEADER,
    "member_state,CHE,,,1951-12-05,,,,",
    "observer_state,VAT,,,,,,,",
    "observer_organization,ICMPD,International Centre for Migration Policy Development,"
    ",,,,info@icmpd.example.org,https://www.icmpd.example.org",
)


# Reading and creating -------------------------------------------------------------------


@pytest.mark.django_db
def test_new_rows_create_members_with_iso_names_and_region(staff_user):
    summary = run_import(staff_user, GOOD)

    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    switzerland = Member.objects.get(code="CHE")
    assert (switzerland.name_fr, switzerland.name_es) == ("Suisse", "Suiza")
    assert switzerland.region == "europe"
    assert switzerland.joined == datetime.date(1951, 12, 5)
    assert switzerland.status_since == datetime.date(1951, 12, 5)
    assert Member.objects.get(code="ICMPD").region == "international"
    assert MemberStatusChange.objects.count() == 3
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE).count() == 3
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.actor == staff_user
    assert entry.object_repr == "members.csv"
    assert entry.changes["created"] == ["CHE", "VAT", "ICMPD"]


@pytest.mark.django_db
def test_kind_accepts_english_label_in_any_case(staff_user):
    run_import(
        staff_user,
        csv_file(
            "kind,code,name_en", "Member State,SEN,", "OBSERVER ORGANIZATION,AU,African Union"
        ),
    )

    assert Member.objects.get(code="SEN").kind == Member.Kind.MEMBER_STATE
    assert Member.objects.get(code="AU").kind == Member.Kind.OBSERVER_ORGANIZATION


@pytest.mark.django_db
def test_columns_may_come_in_any_order_and_any_case(staff_user):
    run_import(staff_user, csv_file(" Code ,KIND", "mex,member_state"))

    assert Member.objects.get(code="MEX").name_en == "Mexico"


@pytest.mark.django_db
def test_semicolon_separated_csv_with_byte_order_mark_is_read(staff_user):
    content = "\ufeffkind;code;name_en\nobserver_organization;OAS;Organization of American States\n"

    run_import(staff_user, content.encode())

    assert Member.objects.get(code="OAS").name_en == "Organization of American States"


@pytest.mark.django_db
def test_tab_separated_csv_is_read(staff_user):
    run_import(staff_user, b"kind\tcode\nmember_state\tPER\n")

    assert Member.objects.filter(code="PER").exists()


def test_line_numbers_count_the_lines_of_multi_line_cells():
    content = csv_file(
        "kind,code,mission_address",
        'member_state,CHE,"Rue de Lausanne 1',
        '1202 Geneva"',
        "",
        "member_state,SEN,",
    )

    rows = read_member_file(content, "members.csv").rows

    assert [row.line for row in rows] == [2, 5]
    assert rows[0].data["mission_address"] == "Rue de Lausanne 1\n1202 Geneva"


# One error of each kind, named by line and column -------------------------------------


@pytest.mark.django_db
def test_unknown_iso_code_names_line_and_field(staff_user):
    issues = import_issues(
        staff_user, csv_file("kind,code", "member_state,CHE", "member_state,XXA")
    )

    assert issues == [ImportIssue(3, "code", "ISO code 'XXA' is not a country.")]
    assert str(issues[0]) == "line 3, column code: ISO code 'XXA' is not a country."


@pytest.mark.django_db
def test_unknown_kind_is_reported(staff_user):
    (issue,) = import_issues(staff_user, csv_file("kind,code", "delegation,CHE"))

    assert (issue.line, issue.field) == (2, "kind")
    assert "'delegation' is not a kind of member" in issue.message


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2024-13-01", "05/12/1951", "1951-12-5x", "19511205"])
def test_bad_date_is_reported(staff_user, value):
    (issue,) = import_issues(staff_user, csv_file("kind,code,joined", f"member_state,CHE,{value}"))

    assert (issue.line, issue.field) == (2, "joined")
    assert "is not a date in the form YYYY-MM-DD" in issue.message


@pytest.mark.django_db
def test_bad_status_is_reported(staff_user):
    (issue,) = import_issues(staff_user, csv_file("kind,code,status", "member_state,CHE,dormant"))

    assert (issue.line, issue.field) == (2, "status")
    assert "'dormant' is not a member status" in issue.message


@pytest.mark.django_db
def test_bad_email_and_website_are_both_reported(staff_user):
    issues = import_issues(
        staff_user,
        csv_file("kind,code,mission_email,mission_website", "member_state,CHE,not-an-email,nope"),
    )

    assert [(issue.line, issue.field) for issue in issues] == [
        (2, "mission_email"),
        (2, "mission_website"),
    ]


@pytest.mark.django_db
def test_duplicate_code_in_file_names_both_lines(staff_user):
    issues = import_issues(
        staff_user,
        csv_file("kind,code", "member_state,CHE", "member_state,SEN", "member_state,che"),
    )

    assert issues == [ImportIssue(4, "code", "Code 'CHE' is already used on line 2 of this file.")]


@pytest.mark.django_db
def test_unknown_columns_are_named(staff_user):
    issues = import_issues(staff_user, csv_file("kind,code,colour,flag", "member_state,CHE,red,x"))

    assert [(issue.line, issue.field) for issue in issues] == [(1, "colour"), (1, "flag")]
    assert Member.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["kind,name_en", "code,name_en"])
def test_missing_required_column_is_reported(staff_user, header):
    issues = import_issues(staff_user, csv_file(header, "member_state,CHE"))

    missing = {"kind", "code"} - set(header.split(","))
    assert [(issue.line, issue.field) for issue in issues] == [(1, missing.pop())]
    assert "required column is missing" in issues[0].message


def test_repeated_column_is_reported():
    with pytest.raises(ImportErrors) as raised:
        read_member_file(csv_file("kind,code,code", "member_state,CHE,CHE"))

    assert raised.value.issues == [ImportIssue(1, "code", "This column appears more than once.")]


def test_value_under_a_column_without_name_is_reported():
    member_file = read_member_file(
        csv_file("kind,code,", "member_state,CHE,", "member_state,SEN,x")
    )

    assert [(issue.line, issue.field) for issue in member_file.issues] == [(3, "")]


@pytest.mark.django_db
def test_overlong_cells_are_reported(staff_user):
    issues = import_issues(
        staff_user,
        csv_file(
            "kind,code,name_en,mission_address",
            f"observer_organization,LONG,{'n' * 201},",
            f"observer_organization,WORDY,Wordy,{'a' * 2001}",
        ),
    )

    assert [(issue.line, issue.field) for issue in issues] == [
        (2, "name_en"),
        (3, "mission_address"),
    ]
    assert "201 characters where at most 200" in issues[0].message


@pytest.mark.django_db
def test_nul_byte_in_cell_is_reported(staff_user):
    (issue,) = import_issues(staff_user, b"kind,code,name_fr\nmember_state,CHE,Su\x00isse\n")

    assert (issue.line, issue.field) == (2, "name_fr")
    assert "NUL" in issue.message


@pytest.mark.django_db
def test_non_utf8_file_is_refused_with_its_line(staff_user):
    content = "kind,code,name_fr\nmember_state,CHE,Suisse\nmember_state,SEN,Sénégal\n"

    (issue,) = import_issues(staff_user, content.encode("latin-1"))

    assert issue.line == 3
    assert "not UTF-8" in issue.message


@pytest.mark.django_db
def test_unclosed_quote_is_refused(staff_user):
    (issue,) = import_issues(staff_user, b'kind,code,name_en\nobserver_organization,AU,"African\n')

    assert "not valid CSV" in issue.message


def test_too_many_rows_is_refused():
    rows = [f"observer_organization,ORG{n},Organization {n}" for n in range(imports.MAX_ROWS + 1)]

    with pytest.raises(ImportErrors) as raised:
        read_member_file(csv_file("kind,code,name_en", *rows))

    assert "more than 5000 rows" in raised.value.issues[0].message


def test_exactly_the_row_limit_is_read():
    rows = [f"observer_organization,ORG{n},Organization {n}" for n in range(imports.MAX_ROWS)]

    assert len(read_member_file(csv_file("kind,code,name_en", *rows)).rows) == imports.MAX_ROWS


def test_file_larger_than_the_limit_is_refused(settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 100

    with pytest.raises(ImportErrors) as raised:
        read_member_file(csv_file("kind,code,name_en", "observer_organization,AU," + "x" * 100))

    assert "too large" in raised.value.issues[0].message


def test_empty_file_is_refused():
    with pytest.raises(ImportErrors) as raised:
        read_member_file(b"  \n")

    assert raised.value.issues == [ImportIssue(None, "", "The file is empty.")]


# Hostile workbooks ----------------------------------------------------------------------


def zip_file(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_it_is_opened():
    content = zip_file({"xl/worksheets/sheet1.xml": b"\0" * (51 * 1024 * 1024)})
    assert len(content) < 1024 * 1024

    with pytest.raises(ImportErrors) as raised:
        read_member_file(content, "members.xlsx")

    assert "too large once uncompressed" in raised.value.issues[0].message


def test_workbook_with_too_many_entries_is_refused():
    content = zip_file({f"xl/media/{n}.bin": b"" for n in range(imports.MAX_XLSX_ENTRIES + 1)})

    with pytest.raises(ImportErrors) as raised:
        read_member_file(content, "members.xlsx")

    assert "too large" in raised.value.issues[0].message


def test_workbook_with_a_huge_row_is_refused_without_reading_it():
    content = xlsx_file([["kind", "code"]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    cells = b"<c><v>1</v></c>" * (imports.MAX_XLSX_ROW_CELLS + 1)
    sheet = entries["xl/worksheets/sheet1.xml"]
    entries["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>", b'<row r="2">' + cells + b"</row></sheetData>"
    )

    with pytest.raises(ImportErrors) as raised:
        read_member_file(zip_file(entries), "members.xlsx")

    assert "far more cells" in raised.value.issues[0].message


def test_sheet_row_far_down_is_refused_as_too_many_rows():
    content = xlsx_file([["kind", "code"], ["member_state", "CHE"]], sheet_rows=[1, 100_000])

    with pytest.raises(ImportErrors) as raised:
        read_member_file(content, "members.xlsx")

    assert "more than 5000 rows" in raised.value.issues[0].message


def test_file_named_xlsx_that_is_not_a_workbook_is_refused():
    with pytest.raises(ImportErrors) as raised:
        read_member_file(csv_file("kind,code", "member_state,CHE"), "members.xlsx")

    assert "not one" in raised.value.issues[0].message


def test_zip_that_is_not_a_workbook_is_refused():
    with pytest.raises(ImportErrors) as raised:
        read_member_file(zip_file({"hello.txt": b"hello"}), "members.csv")

    assert "not a valid Excel workbook" in raised.value.issues[0].message


def test_old_excel_file_is_refused():
    with pytest.raises(ImportErrors) as raised:
        read_member_file(imports.OLE_MAGIC + b"\0" * 100, "members.xls")

    assert ".xls" in raised.value.issues[0].message


@given(content=st.binary(max_size=2048), name=st.sampled_from(["m.csv", "m.xlsx", "m"]))
def test_arbitrary_bytes_only_raise_import_errors(content, name):
    try:
        read_member_file(content, name)
    except ImportErrors as error:
        assert error.issues


@pytest.mark.django_db
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=512) | st.text(max_size=512).map(str.encode))
def test_arbitrary_bytes_never_raise_anything_but_the_domain_error(staff_user, content):
    for attempt in (content, b"kind,code,name_en,joined\n" + content):
        try:
            run_import(staff_user, attempt, dry_run=True)
        except DomainError as error:
            assert isinstance(error, ImportErrors)
            assert error.issues


@given(tail=st.binary(max_size=2048))
def test_arbitrary_zip_like_bytes_only_raise_import_errors(tail):
    try:
        read_member_file(b"PK\x03\x04" + tail, "members.xlsx")
    except ImportErrors as error:
        assert error.issues


VALID_XLSX = xlsx_file([["kind", "code", "joined"], ["member_state", "CHE", "1951-12-05"]])


@given(position=st.integers(0, len(VALID_XLSX) - 1), byte=st.integers(0, 255))
def test_damaged_workbook_only_raises_import_errors(position, byte):
    content = bytearray(VALID_XLSX)
    content[position] = byte
    try:
        read_member_file(bytes(content), "members.xlsx")
    except ImportErrors as error:
        assert error.issues


cell_text = st.text(max_size=30)


@pytest.mark.django_db
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(cell_text, min_size=len(imports.COLUMNS), max_size=len(imports.COLUMNS)))
def test_arbitrary_cells_only_raise_import_errors(staff_user, cells):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(imports.COLUMNS)
    writer.writerow(cells)
    try:
        summary = run_import(staff_user, buffer.getvalue().encode(), dry_run=True)
    except ImportErrors as error:
        assert error.issues
    else:
        # A row of blank cells is skipped.
        assert summary.created == (1 if any(cell.strip() for cell in cells) else 0)


# All or nothing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_stores_nothing_and_no_audit_entry(staff_user):
    content = csv_file(
        "kind,code,name_en",
        "member_state,CHE,",
        "member_state,SEN,",
        "member_state,XXA,",
        "observer_organization,AU,African Union",
    )

    issues = import_issues(staff_user, content)

    assert [issue.line for issue in issues] == [4]
    assert Member.objects.count() == 0
    assert MemberStatusChange.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_every_problem_of_the_file_is_reported_at_once_in_line_order(staff_user):
    content = csv_file(
        "kind,code,joined,mission_email",
        "member_state,XXA,,",
        "member_state,CHE,yesterday,nobody",
        "planet,MARS,,",
        "member_state,,,",
    )

    issues = import_issues(staff_user, content)

    assert [(issue.line, issue.field) for issue in issues] == [
        (2, "code"),
        (3, "joined"),
        (3, "mission_email"),
        (4, "kind"),
        (5, "code"),
    ]


# Updating and idempotence ---------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(staff_user):
    run_import(staff_user, GOOD)
    entries = AuditEntry.objects.count()

    summary = run_import(staff_user, GOOD)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    new_entries = AuditEntry.objects.order_by("id")[entries:]
    assert [entry.action for entry in new_entries] == [AuditEntry.Action.IMPORT]
    assert MemberStatusChange.objects.count() == 3


@pytest.mark.django_db
def test_changed_row_updates_the_member_and_audits_the_diff(staff_user):
    run_import(staff_user, GOOD)
    changed = GOOD.replace(b"info@icmpd.example.org", b"contact@icmpd.example.org")

    summary = run_import(staff_user, changed)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    icmpd = Member.objects.get(code="ICMPD")
    assert icmpd.mission_email == "contact@icmpd.example.org"
    update = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert update.object_id == str(icmpd.pk)
    assert update.changes == {
        "mission_email": ["info@icmpd.example.org", "contact@icmpd.example.org"]
    }
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).latest("id").changes[
        "updated"
    ] == ["ICMPD"]


@pytest.mark.django_db
def test_status_change_is_kept_in_the_status_history(staff_user):
    run_import(staff_user, GOOD)

    run_import(
        staff_user,
        csv_file("kind,code,status,status_since", "member_state,CHE,suspended,2024-03-01"),
    )

    switzerland = Member.objects.get(code="CHE")
    assert (switzerland.status, switzerland.status_since) == (
        "suspended",
        datetime.date(2024, 3, 1),
    )
    history = list(switzerland.status_changes.values_list("status", "effective"))
    assert history == [
        ("active", datetime.date(1951, 12, 5)),
        ("suspended", datetime.date(2024, 3, 1)),
    ]
    update = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert update.changes == {
        "status": ["active", "suspended"],
        "status_since": ["1951-12-05", "2024-03-01"],
    }


@pytest.mark.django_db
def test_status_date_does_not_change_without_a_new_status(staff_user):
    run_import(staff_user, GOOD)

    (issue,) = import_issues(
        staff_user, csv_file("kind,code,status,status_since", "member_state,CHE,active,2000-01-01")
    )

    assert (issue.line, issue.field) == (2, "status_since")
    assert "only change together with the status" in issue.message


@pytest.mark.django_db
def test_new_status_cannot_take_effect_before_the_current_one(staff_user):
    run_import(staff_user, GOOD)

    (issue,) = import_issues(
        staff_user, csv_file("kind,code,status,status_since", "member_state,CHE,left,1900-01-01")
    )

    assert (issue.line, issue.field) == (2, "status_since")
    assert Member.objects.get(code="CHE").status == "active"


@pytest.mark.django_db
def test_columns_left_out_of_the_file_keep_their_values(staff_user):
    run_import(staff_user, GOOD)

    summary = run_import(staff_user, csv_file("kind,code,mission_phone", "member_state,CHE,+41 22"))

    switzerland = Member.objects.get(code="CHE")
    assert summary.updated == 1
    assert switzerland.mission_phone == "+41 22"
    assert switzerland.joined == datetime.date(1951, 12, 5)


@pytest.mark.django_db
def test_dry_run_reports_the_counts_and_writes_nothing(staff_user):
    run_import(staff_user, csv_file("kind,code", "member_state,CHE"))
    entries = AuditEntry.objects.count()

    summary = run_import(
        staff_user,
        csv_file("kind,code,mission_phone", "member_state,CHE,+41", "member_state,SEN,"),
        dry_run=True,
    )

    assert (summary.created, summary.updated, summary.unchanged, summary.dry_run) == (
        1,
        1,
        0,
        True,
    )
    assert Member.objects.count() == 1
    assert AuditEntry.objects.count() == entries


# Who may import ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_staff_may_import(delegate):
    with pytest.raises(NotPermitted):
        run_import(delegate.user, GOOD)
    with pytest.raises(NotPermitted):
        run_import(None, GOOD)

    assert not Member.objects.filter(code__in=["VAT", "ICMPD"]).exists()


@pytest.mark.django_db
def test_system_import_is_recorded_as_system_and_keeps_history(staff_user):
    run_import(None, GOOD, system=True)
    run_import(
        None,
        csv_file("kind,code,status,status_since", "member_state,CHE,suspended,2024-03-01"),
        system=True,
    )

    entries = AuditEntry.objects.all()
    assert {entry.actor_label for entry in entries} == {"system"}
    assert {entry.actor for entry in entries} == {None}
    assert entries.filter(action=AuditEntry.Action.CREATE).count() == 3
    assert entries.get(action=AuditEntry.Action.UPDATE).changes["status"] == [
        "active",
        "suspended",
    ]
    assert Member.objects.get(code="CHE").status_changes.count() == 2


def test_system_import_takes_no_account(staff_user):
    with pytest.raises(ValueError, match="no actor"):
        run_import(staff_user, GOOD, system=True)


# Workbooks ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_workbook_is_read_with_sheet_row_numbers_and_date_cells(staff_user):
    def workbook(code):
        rows = [
            ["kind", "code", "joined", "mission_phone"],
            ["member_state", "CHE", datetime.datetime(1951, 12, 5), 41227179111],
            ["member_state", code, "1960-01-01", None],
        ]
        return xlsx_file(rows, sheet_rows=[1, 2, 4])

    issues = import_issues(staff_user, workbook("XXA"), "members.xlsx")
    assert [(issue.line, issue.field) for issue in issues] == [(4, "code")]

    run_import(staff_user, workbook("SEN"), "members.xlsx")
    switzerland = Member.objects.get(code="CHE")
    assert switzerland.joined == datetime.date(1951, 12, 5)
    assert switzerland.mission_phone == "41227179111"


def test_workbook_is_recognized_by_content_whatever_its_name():
    content = xlsx_file([["kind", "code"], ["member_state", "CHE"]])

    member_file = read_member_file(content, "members.csv")

    assert member_file.file_format == "xlsx"
    assert member_file.rows[0].data["code"] == "CHE"


def test_workbook_formula_is_refused():
    content = xlsx_file([["kind", "code", "name_en"], ["member_state", "CHE", '=HYPERLINK("x")']])

    member_file = read_member_file(content, "members.xlsx")

    assert [(issue.line, issue.field) for issue in member_file.issues] == [(2, "name_en")]
    assert "Formulas" in member_file.issues[0].message


# The command ------------------------------------------------------------------------------


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(GOOD)
    return path


@pytest.mark.django_db
def test_command_prints_a_summary(good_file, capsys):
    call_command("import-members", str(good_file))

    assert "3 members created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).actor_label == "system"


@pytest.mark.django_db
def test_command_reports_each_error_on_stderr_and_exits_with_status_1(
    tmp_path, capsys, monkeypatch
):
    # run_from_argv closes the database connections, which the test transaction still needs.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_file("kind,code,joined", "member_state,XXA,", "member_state,CHE,soon"))

    with pytest.raises(SystemExit) as exited:
        load_command_class("dialogue.members", "import-members").run_from_argv(
            ["dialogue", "import-members", str(path)]
        )

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "line 2, column code: ISO code 'XXA' is not a country." in err
    assert "line 3, column joined: 'soon' is not a date in the form YYYY-MM-DD." in err
    assert "2 problems; nothing was imported" in err
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(good_file, capsys):
    call_command("import-members", str(good_file), "--dry-run")

    assert "Importing it would create 3" in capsys.readouterr().out
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_command_records_the_staff_account_given(good_file, staff_user):
    call_command("import-members", str(good_file), "--as", staff_user.email.upper())

    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).actor == staff_user


@pytest.mark.django_db
def test_command_refuses_an_account_that_is_not_staff(good_file):
    person = PersonFactory(with_account=True)

    with pytest.raises(CommandError, match="not an active staff account"):
        call_command("import-members", str(good_file), "--as", person.user.email)
    assert not Member.objects.filter(code__in=["VAT", "ICMPD"]).exists()


def test_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import-members", str(tmp_path / "absent.csv"))


def test_command_help_describes_the_options():
    parser = load_command_class("dialogue.members", "import-members").create_parser(
        "dialogue", "import-members"
    )

    assert "--dry-run" in parser.format_help()
