"""The cycle archive (ZIP) and the `dialogue cycle-archive` command."""

import csv
import datetime
import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from dialogue.core.errors import NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.cycles.archive import cycle_archive_file, safe_slug
from dialogue.cycles.models import Decision
from dialogue.cycles.tests.factories import CycleFactory, ThemeFactory
from dialogue.documents import services as document_services
from dialogue.documents.models import Document
from dialogue.documents.tests.test_files import make_pdf
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.tests.factories import PersonFactory
from dialogue.surveys.tests.factories import DraftSurveyFactory
from dialogue.surveys.tests.test_exports import FORMULA, build_closed_survey

pytestmark = pytest.mark.django_db

SAFE_ENTRY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$", re.IGNORECASE)
AT = datetime.datetime(2008, 5, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _document(staff_user, cycle, title, *, visibility="public", languages=("en",), **data):
    document = document_services.document_save(
        actor=staff_user,
        data={
            "kind": Document.Kind.REPORT,
            "title_en": title,
            "visibility": visibility,
            "cycle": cycle,
            **data,
        },
    )
    versions = {}
    for language in languages:
        versions[language] = document_services.version_upload(
            actor=staff_user,
            document=document,
            language=language,
            uploaded_file=SimpleUploadedFile(f"{language}.pdf", make_pdf(f"{title} {language}")),
        )
    return document, versions


def _publish(staff_user, document, versions=()):
    for version in versions:
        document_services.version_publish(actor=staff_user, version=version)
    return document_services.document_publish(actor=staff_user, document=document)


def _register(event, given, family):
    return Registration.objects.create(
        event=event,
        person=PersonFactory(given_name=given, family_name=family),
        status=Registration.Status.REGISTERED,
        affiliation="Ministère de l'Intérieur",
        affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
        region="africa",
        registered_at=AT,
        changed_at=AT,
    )


@pytest.fixture
def cycle_2008(staff_user):
    """A cycle with a closed survey and the decision resting on it, a draft survey, four
    published documents (public with a draft French version, members-only, staff-only,
    and one published elsewhere), a draft document, a held workshop with participants and
    a planned one."""
    cycle = CycleFactory(year=2008, name_en="IDM 2008")
    survey = build_closed_survey(staff_user, cycle=cycle)
    theme = ThemeFactory(cycle=cycle, title_en="Managing labour mobility")
    decision = cycle_services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[theme],
        decided_on=datetime.date(2008, 3, 20),
        survey=survey,
        note=FORMULA,
    )
    draft_survey = DraftSurveyFactory(actor=staff_user, cycle=cycle)
    public, public_versions = _document(
        staff_user, cycle, "Report of the workshop on Côte d'Ivoire", languages=("en", "fr")
    )
    _publish(staff_user, public, [public_versions["en"]])
    members, members_versions = _document(
        staff_user, cycle, "../../etc/passwd Türkiye", visibility="members"
    )
    _publish(staff_user, members, members_versions.values())
    staff_only, staff_versions = _document(staff_user, cycle, "Budget notes", visibility="staff")
    _publish(staff_user, staff_only, staff_versions.values())
    elsewhere, _none = _document(
        staff_user,
        cycle,
        "IDM Series No. 10",
        languages=(),
        external_url="https://publications.example.org/idm-10",
    )
    _publish(staff_user, elsewhere)
    draft, _draft_versions = _document(staff_user, cycle, "Unfinished paper")
    held = EventFactory(cycle=cycle, title_en="Workshop: Côte d'Ivoire", status=Event.Status.HELD)
    _register(held, "Aïcha", "Koné")
    _register(held, "Mehmet", "Öztürk")
    planned = EventFactory(cycle=cycle, title_en="Planned seminar")
    return SimpleNamespace(
        cycle=cycle,
        survey=survey,
        draft_survey=draft_survey,
        decision=decision,
        public=public,
        members=members,
        staff_only=staff_only,
        elsewhere=elsewhere,
        draft=draft,
        held=held,
        planned=planned,
    )


def _zip(staff_user, cycle) -> zipfile.ZipFile:
    built = cycle_archive_file(actor=staff_user, cycle=cycle)
    with built.file:
        content = built.file.read()
    assert len(content) == built.size
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(built.entries)
    return archive


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_archive_holds_decisions_survey_files_published_documents_and_participants(
    staff_user, cycle_2008
):
    w = cycle_2008
    archive = _zip(staff_user, w.cycle)
    survey_folder = f"surveys/{w.survey.pk}-{safe_slug(w.survey.title_en)}"
    assert sorted(archive.namelist()) == sorted(
        [
            "README.txt",
            "decisions.csv",
            f"{survey_folder}/results.csv",
            f"{survey_folder}/responses.csv",
            "documents.csv",
            f"documents/{w.public.pk}-report-of-the-workshop-on-cote-divoire/en.pdf",
            f"documents/{w.members.pk}-etcpasswd-turkiye/en.pdf",
            f"documents/{w.staff_only.pk}-budget-notes/en.pdf",
            f"events/{w.held.pk}-workshop-cote-divoire/participants.csv",
        ]
    )
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    assert archive.read(f"documents/{w.staff_only.pk}-budget-notes/en.pdf").startswith(b"%PDF-")


def test_draft_versions_and_draft_documents_are_left_out(staff_user, cycle_2008):
    w = cycle_2008
    names = _zip(staff_user, w.cycle).namelist()
    assert not [name for name in names if name.endswith("/fr.pdf")]
    assert not [name for name in names if name.startswith(f"documents/{w.draft.pk}-")]
    assert not [name for name in names if name.startswith(f"surveys/{w.draft_survey.pk}-")]


def test_documents_index_lists_members_only_staff_only_and_external_documents(
    staff_user, cycle_2008
):
    w = cycle_2008
    rows = {row["Document id"]: row for row in _csv(_zip(staff_user, w.cycle), "documents.csv")}
    assert set(rows) == {str(d.pk) for d in (w.public, w.members, w.staff_only, w.elsewhere)}
    assert rows[str(w.members.pk)]["Visibility"] == "Members only"
    assert rows[str(w.members.pk)]["Title (English)"] == "../../etc/passwd Türkiye"
    assert rows[str(w.staff_only.pk)]["Visibility"] == "Staff only"
    assert rows[str(w.elsewhere.pk)]["Published elsewhere at"] == (
        "https://publications.example.org/idm-10"
    )
    assert rows[str(w.elsewhere.pk)]["Files in this archive"] == ""
    assert rows[str(w.public.pk)]["Files in this archive"] == (
        f"documents/{w.public.pk}-report-of-the-workshop-on-cote-divoire/en.pdf"
    )


def test_every_entry_name_is_ascii_and_stays_inside_the_archive(staff_user, cycle_2008):
    for name in _zip(staff_user, cycle_2008.cycle).namelist():
        assert name.isascii()
        assert SAFE_ENTRY.match(name), name
        assert ".." not in name.split("/")


def test_decisions_and_responses_are_read_back_with_formulas_escaped(staff_user, cycle_2008):
    w = cycle_2008
    archive = _zip(staff_user, w.cycle)
    [decision] = _csv(archive, "decisions.csv")
    assert decision["Decision id"] == str(w.decision.pk)
    assert decision["Basis"] == "Result of a survey"
    assert decision["What was selected"] == "Managing labour mobility"
    assert decision["In force"] == "Yes"
    assert decision["Note"] == "'" + FORMULA
    folder = f"surveys/{w.survey.pk}-{safe_slug(w.survey.title_en)}"
    responses = _csv(archive, f"{folder}/responses.csv")
    assert [row["Delegation"] for row in responses] == ["Côte d'Ivoire", "Holy See", "Türkiye"]
    assert responses[0]["General comment"] == "'" + FORMULA
    results = _csv(archive, f"{folder}/results.csv")
    assert results[0]["Option"] == "Alpha"


def test_participants_list_of_a_held_event_keeps_accented_names(staff_user, cycle_2008):
    w = cycle_2008
    rows = _csv(
        _zip(staff_user, w.cycle), f"events/{w.held.pk}-workshop-cote-divoire/participants.csv"
    )
    assert [(row["Given name"], row["Family name"]) for row in rows] == [
        ("Aïcha", "Koné"),
        ("Mehmet", "Öztürk"),
    ]


def test_readme_describes_the_contents(staff_user, cycle_2008):
    readme = _zip(staff_user, cycle_2008.cycle).read("README.txt").decode("utf-8")
    assert "IDM 2008 (2008)" in readme
    assert "Overarching theme: Managing labour mobility." in readme
    assert "decisions.csv" in readme
    assert "drafts are not included" in readme
    assert "Nothing to archive" not in readme
    assert f"Survey {cycle_2008.draft_survey.pk}" in readme


def test_an_open_survey_gives_its_provisional_results_but_not_its_responses(staff_user):
    cycle = CycleFactory(year=2009)
    survey = build_closed_survey(staff_user, cycle=cycle, close=False)
    folder = f"surveys/{survey.pk}-{safe_slug(survey.title_en)}"
    names = _zip(staff_user, cycle).namelist()
    assert f"{folder}/results.csv" in names
    assert f"{folder}/responses.csv" not in names


def test_a_file_missing_from_storage_is_named_in_the_readme(staff_user, cycle_2008):
    version = cycle_2008.staff_only.versions.get()
    version.file.storage.delete(version.file.name)
    archive = _zip(staff_user, cycle_2008.cycle)
    assert not [n for n in archive.namelist() if n.startswith(f"documents/{version.document_id}-")]
    readme = archive.read("README.txt").decode("utf-8")
    assert f"Document {version.document_id} (en): its file is missing from storage." in readme


def test_a_cycle_with_nothing_to_archive_gives_a_valid_zip_that_says_so(staff_user):
    archive = _zip(staff_user, CycleFactory(year=2010))
    assert sorted(archive.namelist()) == ["README.txt", "decisions.csv", "documents.csv"]
    assert "Nothing to archive" in archive.read("README.txt").decode("utf-8")
    assert _csv(archive, "decisions.csv") == []


def test_building_the_archive_is_noted_in_the_audit_trail(staff_user, cycle_2008):
    _zip(staff_user, cycle_2008.cycle)
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    assert entry.actor == staff_user
    assert entry.object_type == "cycles.cycle"
    assert entry.object_id == str(cycle_2008.cycle.pk)


def test_only_staff_may_build_the_archive(staff_user, cycle_2008, delegate):
    with pytest.raises(NotPermitted):
        cycle_archive_file(actor=delegate.user, cycle=cycle_2008.cycle)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("title", "slug"),
    [("../../etc/passwd", "etcpasswd"), ("Côte d'Ivoire", "cote-divoire"), ("日本", "item")],
)
def test_slugs_are_ascii_path_components(title, slug):
    assert safe_slug(title) == slug


# --- the command ----------------------------------------------------------------------


def test_command_writes_the_archive_to_the_file(staff_user, cycle_2008, tmp_path):
    target = tmp_path / "idm-2008.zip"
    out = io.StringIO()
    call_command("cycle_archive", "2008", "-o", str(target), stdout=out)
    with zipfile.ZipFile(target) as archive:
        assert "decisions.csv" in archive.namelist()
    assert "idm-2008.zip" in out.getvalue()
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).actor_label == "system"
    assert not list(tmp_path.glob("*.part"))


def test_command_names_an_unknown_year_and_writes_nothing(db, tmp_path):
    target = tmp_path / "none.zip"
    with pytest.raises(CommandError, match="YEAR: there is no cycle 1999"):
        call_command("cycle_archive", "1999", "-o", str(target))
    assert not target.exists()
    with pytest.raises(CommandError, match="YEAR"):
        call_command("cycle_archive", "twenty", "-o", str(target))


def test_command_names_a_folder_it_cannot_write_in(db, tmp_path):
    CycleFactory(year=2008)
    with pytest.raises(CommandError, match="-o FILE"):
        call_command("cycle_archive", "2008", "-o", str(tmp_path / "missing" / "a.zip"))


def test_command_leaves_no_half_written_file_when_the_build_fails(db, tmp_path, monkeypatch):
    CycleFactory(year=2008)
    target = tmp_path / "idm-2008.zip"
    target.write_bytes(b"the previous archive")

    def fail(*, actor, cycle, target):
        target.write(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        "dialogue.cycles.management.commands.cycle_archive.write_cycle_archive", fail
    )
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("cycle_archive", "2008", "-o", str(target))
    assert target.read_bytes() == b"the previous archive"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["idm-2008.zip"]


def test_command_refuses_a_login_that_is_not_staff(db, tmp_path, delegate):
    CycleFactory(year=2008)
    with pytest.raises(CommandError, match="not an active staff account"):
        call_command(
            "cycle_archive", "2008", "-o", str(tmp_path / "a.zip"), "--as", delegate.user.email
        )
