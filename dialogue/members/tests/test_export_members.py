"""Exporting the member file, and reading it back: `services.members_export` and the command."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dialogue.core.errors import NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members import exports, imports, services
from dialogue.members.imports import escape_cell, unescape_cell
from dialogue.members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(staff_user):
    """Members as the services write them, with the awkward values a file must carry."""
    services.member_create(
        actor=staff_user,
        data={
            "kind": Member.Kind.MEMBER_STATE,
            "code": "CHE",
            "joined": datetime.date(1951, 12, 5),
            "mission_address": "Rue de Lausanne 1\r\n1202 Genève",
            "mission_phone": "+41 22 000 00 00",
            "mission_email": "mission@che.example.org",
            "mission_website": "https://che.example.org/",
        },
    )
    services.member_create(
        actor=staff_user,
        data={
            "kind": Member.Kind.OBSERVER_ORGANIZATION,
            "code": "AU",
            "name_en": '=HYPERLINK("http://evil.example")',
            "name_fr": "@SUM(1+1)",
            "official_name_en": "-2+3",
            "official_name_fr": "'=already quoted",
            "official_name_es": "'s-Hertogenbosch",
        },
    )
    senegal = services.member_create(
        actor=staff_user,
        data={
            "kind": Member.Kind.OBSERVER_STATE,
            "code": "SEN",
            "joined": datetime.date(1961, 1, 1),
        },
    )
    services.member_change_status(
        actor=staff_user,
        member=senegal,
        status=Member.Status.LEFT,
        effective=datetime.date(2020, 6, 30),
    )
    return Member.objects.order_by("code")


def export(actor, file_format: str) -> exports.ExportFile:
    return services.members_export(actor=actor, file_format=file_format)


def reimport(actor, export_file: exports.ExportFile):
    return services.members_import(
        actor=actor, content=export_file.content, filename=export_file.filename
    )


def test_export_rows_have_every_column_in_code_order(registry):
    rows = exports.members_export_rows()

    assert [row["code"] for row in rows] == ["AU", "CHE", "SEN"]
    assert all(tuple(row) == imports.COLUMNS for row in rows)
    assert rows[2]["status"] == "left"


def test_csv_export_has_a_header_and_one_line_per_member(registry, staff_user):
    content = export(staff_user, "csv").content

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(imports.COLUMNS)
    assert [row[1] for row in rows[1:]] == ["AU", "CHE", "SEN"]
    switzerland = dict(zip(rows[0], rows[2], strict=True))
    assert switzerland["joined"] == "1951-12-05"
    assert switzerland["name_fr"] == "Suisse"
    assert switzerland["mission_address"] == "Rue de Lausanne 1\r\n1202 Genève"


def test_csv_export_imports_back_with_no_change(registry, staff_user):
    before = list(Member.objects.order_by("code").values())
    entries = AuditEntry.objects.count()

    summary = reimport(staff_user, export(staff_user, "csv"))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert list(Member.objects.order_by("code").values()) == before
    actions = AuditEntry.objects.order_by("id").values_list("action", flat=True)[entries:]
    assert list(actions) == [AuditEntry.Action.EXPORT, AuditEntry.Action.IMPORT]


def test_xlsx_export_imports_back_with_no_change(registry, staff_user):
    before = list(Member.objects.order_by("code").values())

    summary = reimport(staff_user, export(staff_user, "xlsx"))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert list(Member.objects.order_by("code").values()) == before


def test_xlsx_export_into_an_empty_registry_recreates_the_members(registry, staff_user):
    workbook = export(staff_user, "xlsx")
    expected = list(Member.objects.order_by("code").values(*imports.COLUMNS).exclude(code="SEN"))
    Member.objects.exclude(code="SEN").delete()

    summary = reimport(staff_user, workbook)

    assert (summary.created, summary.unchanged) == (2, 1)
    recreated = list(Member.objects.order_by("code").values(*imports.COLUMNS).exclude(code="SEN"))
    # Depending on the XML writer, XLSX keeps a line break as "\r\n" or "\n".
    for row in (*expected, *recreated):
        row["mission_address"] = row["mission_address"].replace("\r\n", "\n")
    assert recreated == expected


def test_xlsx_export_writes_dates_as_date_cells_and_formulas_as_text(registry, staff_user):
    content = export(staff_user, "xlsx").content

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == list(imports.COLUMNS)
    organization = dict(zip(header, sheet[2], strict=True))
    switzerland = dict(zip(header, sheet[3], strict=True))
    assert switzerland["joined"].value == datetime.datetime(1951, 12, 5)
    assert switzerland["joined"].is_date
    assert organization["name_en"].value == '\'=HYPERLINK("http://evil.example")'
    assert organization["name_en"].data_type == "s"


def test_formula_like_cells_are_escaped_on_export(registry, staff_user):
    rows = list(csv.reader(io.StringIO(export(staff_user, "csv").content.decode("utf-8-sig"))))
    organization = dict(zip(rows[0], rows[1], strict=True))
    switzerland = dict(zip(rows[0], rows[2], strict=True))

    assert organization["name_en"] == '\'=HYPERLINK("http://evil.example")'
    assert organization["name_fr"] == "'@SUM(1+1)"
    assert organization["official_name_en"] == "'-2+3"
    assert organization["official_name_fr"] == "''=already quoted"
    assert organization["official_name_es"] == "'s-Hertogenbosch"
    assert switzerland["mission_phone"] == "'+41 22 000 00 00"


def test_formula_like_cells_round_trip_exactly(registry, staff_user):
    reimport(staff_user, export(staff_user, "csv"))

    organization = Member.objects.get(code="AU")
    assert organization.name_en == '=HYPERLINK("http://evil.example")'
    assert organization.official_name_fr == "'=already quoted"
    assert organization.official_name_es == "'s-Hertogenbosch"
    assert Member.objects.get(code="CHE").mission_phone == "+41 22 000 00 00"


@given(st.text())
def test_unescaping_an_escaped_cell_gives_it_back(value):
    escaped = escape_cell(value)

    assert unescape_cell(escaped) == value
    assert not escaped.startswith(imports.FORMULA_STARTS)


def test_export_is_recorded_in_the_audit_trail(registry, staff_user):
    export_file = export(staff_user, "csv")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == staff_user
    assert entry.object_repr == export_file.filename
    assert export_file.filename.startswith("members-")
    assert entry.note == "3 rows"


def test_only_staff_may_export(delegate):
    with pytest.raises(NotPermitted):
        export(delegate.user, "csv")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


# The command ------------------------------------------------------------------------------


def test_command_writes_csv_to_standard_output(registry, capsys):
    call_command("export-members")

    out = capsys.readouterr().out
    assert out.startswith(",".join(imports.COLUMNS))
    assert "'=HYPERLINK" in out
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).actor_label == "system"


def test_command_takes_the_format_from_the_file_name(registry, staff_user, tmp_path, capsys):
    path = tmp_path / "members.xlsx"

    call_command("export-members", "-o", str(path), "--as", staff_user.email)

    assert "3 members written" in capsys.readouterr().out
    assert path.read_bytes().startswith(b"PK\x03\x04")
    summary = services.members_import(
        actor=staff_user, content=path.read_bytes(), filename=path.name
    )
    assert summary.unchanged == 3


def test_command_format_option_wins_over_the_extension(registry, tmp_path):
    path = tmp_path / "members.xlsx"

    call_command("export-members", "-o", str(path), "--format", "csv")

    assert path.read_bytes().startswith("\ufeffkind,code".encode())


def test_command_refuses_xlsx_on_standard_output(registry):
    with pytest.raises(CommandError, match="-o FILE"):
        call_command("export-members", "--format", "xlsx")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_command_export_then_import_changes_nothing(registry, tmp_path, capsys):
    path = tmp_path / "members.csv"
    call_command("export-members", "-o", str(path))

    call_command("import-members", str(path))

    assert "0 members created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_command_help_describes_the_options():
    parser = load_command_class("dialogue.members", "export-members").create_parser(
        "dialogue", "export-members"
    )

    assert "--format" in parser.format_help()
