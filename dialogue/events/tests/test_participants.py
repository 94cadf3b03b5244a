"""An event's participants: composition, exports, sign-in sheet and badges, and their page."""

import csv
import datetime
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from weasyprint import HTML

from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles import services as cycle_services
from dialogue.events import documents, participants, services
from dialogue.events.models import Event, Registration
from dialogue.members.models import Person
from dialogue.members.tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2008, 5, 2, 8, 30, tzinfo=datetime.UTC)


def _register(
    event,
    given,
    family,
    *,
    status="registered",
    kind="government",
    region="europe",
    gender=Person.Gender.UNDISCLOSED,
    affiliation="Ministry of the Interior",
    **person,
):
    person = PersonFactory(given_name=given, family_name=family, gender=gender, **person)
    return Registration.objects.create(
        event=event,
        person=person,
        status=status,
        affiliation=affiliation,
        affiliation_kind=kind,
        region=region,
        registered_at=AT,
        changed_at=AT,
    )


@pytest.fixture(autouse=True)
def _english():
    """Files and pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world():
    """A training with six people registered, one waiting, one cancelled."""
    cycle = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})
    event = services.event_save(
        actor=SYSTEM,
        data={
            "kind": Event.Kind.TRAINING,
            "cycle": cycle,
            "title_en": "Training on international migration law",
            "precision": Event.Precision.MONTH,
            "year": 2008,
            "month": 6,
        },
    )
    female, male = Person.Gender.FEMALE, Person.Gender.MALE
    rows = [
        _register(event, "Aminata", "Diallo", gender=female, region="africa"),
        _register(event, "Carlos", "Pérez", gender=male, region="americas"),
        _register(
            event,
            "Somchai",
            "Wongsakul",
            gender=male,
            kind="regional_institution",
            region="asia",
            affiliation="ASEAN Secretariat",
        ),
        _register(
            event,
            "Ingrid",
            "Larsen",
            gender=female,
            kind="agency",
            affiliation='=HYPERLINK("http://example.org")',
        ),
        _register(event, "Leila", "Haddad", gender=female, kind="research", region=""),
        _register(event, "Tomás", "Ortega", gender=male, kind="civil_society", region="oceania"),
        _register(event, "Waiting", "Young", status="waiting", gender=female),
        _register(event, "Cancelled", "Zeller", status="cancelled", gender=male),
    ]
    return SimpleNamespace(cycle=cycle, event=event, registrations=rows)


def _counts(rows) -> dict[str, int]:
    return {row.value: row.count for row in rows}


# --- composition ----------------------------------------------------------------------


def test_composition_counts_the_participants_holding_a_place(world):
    composition = participants.participants_composition(world.event)

    assert composition.total == 6
    assert _counts(composition.by_affiliation_kind) == {
        "government": 2,
        "regional_institution": 1,
        "agency": 1,
        "research": 1,
        "civil_society": 1,
        "private_sector": 0,
        "other": 0,
    }
    assert _counts(composition.by_gender) == {
        "female": 3,
        "male": 3,
        "other": 0,
        "undisclosed": 0,
    }
    assert _counts(composition.by_region) == {
        "africa": 1,
        "americas": 1,
        "asia": 1,
        "europe": 1,
        "oceania": 1,
        "international": 0,
        "": 1,
    }
    assert [row.label for row in composition.by_region][-1] == "Not given"
    assert [row.label for row in composition.by_affiliation_kind][:2] == [
        "Government",
        "Regional institution",
    ]


def test_composition_of_an_event_without_participants_lists_zeros(world):
    other = services.event_save(
        actor=SYSTEM,
        data={"kind": "workshop", "cycle": world.cycle, "title_en": "Workshop"},
    )

    composition = participants.participants_composition(other)

    assert composition.total == 0
    assert {row.count for row in composition.by_gender} == {0}


def test_composition_reads_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        participants.participants_composition(world.event)


def test_export_rows_list_every_registration_by_name(world):
    rows = participants.participants_export_rows(world.event)

    assert [row["family_name"] for row in rows] == [
        "Diallo",
        "Haddad",
        "Larsen",
        "Ortega",
        "Pérez",
        "Wongsakul",
        "Young",
        "Zeller",
    ]
    diallo = rows[0]
    assert diallo["affiliation_kind"] == "Government"
    assert diallo["gender"] == "Female"
    assert diallo["region"] == "Africa"
    assert diallo["status"] == "Registered"
    assert diallo["registered_at"] == "2008-05-02 10:30"  # Geneva time
    assert {row["status"] for row in rows} == {"Registered", "On the waiting list", "Cancelled"}


# --- files ----------------------------------------------------------------------------


def test_csv_lists_every_registration_with_formulas_escaped(world):
    content = documents.write_csv(participants.participants_export_rows(world.event))

    assert content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][:5] == ["Family name", "Given name", "Title", "E-mail address", "Affiliation"]
    assert len(table) == 9
    larsen = next(row for row in table if row[0] == "Larsen")
    assert larsen[4] == '\'=HYPERLINK("http://example.org")'
    assert larsen[5] == "International agency"
    assert table[5][:2] == ["Pérez", "Carlos"]


def test_xlsx_reads_back_with_formulas_escaped(world):
    content = documents.write_xlsx(participants.participants_export_rows(world.event))

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][0] == "Family name"
    assert table[0][-1] == "Registered at"
    assert len(table) == 9
    larsen = next(row for row in table if row[0] == "Larsen")
    assert larsen[4] == '\'=HYPERLINK("http://example.org")'
    assert larsen[7] == "Europe"
    assert next(row for row in table if row[0] == "Haddad")[7] == "Not given"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_sign_in_sheet_lists_the_participants_holding_a_place(world):
    html = documents.sign_in_sheet_html(world.event)

    for name in ("DIALLO", "Aminata", "PÉREZ", "Wongsakul".upper(), "ASEAN Secretariat"):
        assert name in html
    assert "Waiting" not in html
    assert "Cancelled" not in html
    assert "June 2008" in html
    assert "6 registered participants." in html
    assert "<script" not in html
    for reference in ("src=", "href=", "url(", "@import"):
        assert reference not in html


def test_badges_are_one_per_participant_holding_a_place(world):
    html = documents.badges_html(world.event)

    assert html.count('class="badge"') == 6
    assert "Aminata" in html
    assert "Waiting" not in html
    assert len(HTML(string=html).render().pages) == 1


def test_badges_run_to_a_second_page_after_eight(world):
    for n in range(3):
        _register(world.event, f"Extra{n}", f"Participant{n}")

    assert len(HTML(string=documents.badges_html(world.event)).render().pages) == 2


@pytest.mark.parametrize("file_format", ["sign-in-sheet", "badges"])
def test_pdfs_are_laid_out_without_fetching_anything(world, file_format, monkeypatch):
    fetched = []
    monkeypatch.setattr(documents, "_refuse_fetch", lambda url, *a, **k: fetched.append(url))

    download = documents.participants_file(actor=SYSTEM, event=world.event, file_format=file_format)

    assert download.content.startswith(b"%PDF-")
    assert len(download.content) > 2000
    assert download.content_type == "application/pdf"
    assert download.filename.endswith(".pdf")
    assert download.rows == 6
    assert fetched == []


def test_files_are_for_the_secretariat_only_and_audited(world):
    with pytest.raises(NotPermitted):
        documents.participants_file(actor=UserFactory(), event=world.event, file_format="csv")
    with pytest.raises(DomainError):
        documents.participants_file(actor=SYSTEM, event=world.event, file_format="docx")

    download = documents.participants_file(actor=SYSTEM, event=world.event, file_format="xlsx")

    assert download.rows == 8
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.object_type == "events.event"
    assert entry.object_id == str(world.event.pk)
    assert entry.note == "participants exported as xlsx: 8 rows"


# --- the participants' page and its downloads -------------------------------------------


def url(name: str, event) -> str:
    return reverse(f"staff:{name}", args=[event.pk])


def test_participants_page_lists_everyone_and_the_composition(staff_client, world):
    response = staff_client.get(url("participants_list", world.event))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Diallo, Aminata" in page
    assert "On the waiting list" in page
    assert "Research and academia" in page
    assert "6 participants hold a place." in page
    assert "50.0%" in page  # three women of six
    for name in ("participants_csv", "participants_xlsx", "participants_sign_in_sheet"):
        assert url(name, world.event) in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_participants_page_reads_a_fixed_number_of_queries(
    staff_client, world, django_assert_max_num_queries
):
    for n in range(10):
        _register(world.event, f"Extra{n}", f"Participant{n}")
    with django_assert_max_num_queries(8):
        staff_client.get(url("participants_list", world.event))


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        ("participants_csv", "text/csv; charset=utf-8", "csv"),
        (
            "participants_xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        ("participants_sign_in_sheet", "application/pdf", "pdf"),
        ("participants_badges", "application/pdf", "pdf"),
    ],
)
def test_downloads_are_attachments(staff_client, staff_user, world, name, content_type, extension):
    response = staff_client.get(url(name, world.event))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'.{extension}"' in disposition
    assert f"event-{world.event.pk}-" in disposition
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).actor == staff_user


def test_csv_download_holds_the_participants(staff_client, world):
    content = staff_client.get(url("participants_csv", world.event)).content

    assert "Wongsakul,Somchai" in content.decode("utf-8-sig")


def test_pdf_download_is_a_pdf(staff_client, world):
    content = staff_client.get(url("participants_sign_in_sheet", world.event)).content

    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
