import csv
import datetime
import io

import openpyxl
import pytest

from dialogue.core import audit
from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import MemberFactory, PersonFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

URL = "/en/staff/audit/"
UTC = datetime.UTC


@pytest.fixture
def trail(monkeypatch):
    """Entries by two people on two members, on three days of March 2008."""
    from dialogue.core import clock

    alice = PersonFactory(
        given_name="Alice", family_name="Martin", with_account=True, delegation=MemberFactory()
    ).user
    bob = StaffUserFactory(email="bob@secretariat.example.org")
    senegal, mexico = MemberFactory(code="SEN"), MemberFactory(code="MEX")
    plan = [
        (alice, senegal, datetime.datetime(2008, 3, 1, 23, 59, tzinfo=UTC)),
        (bob, senegal, datetime.datetime(2008, 3, 2, 0, 0, tzinfo=UTC)),
        (bob, mexico, datetime.datetime(2008, 3, 3, 12, 0, tzinfo=UTC)),
    ]
    entries = []
    for actor, member, at in plan:
        monkeypatch.setattr(clock, "now", lambda at=at: at)
        entries.append(
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=member,
                changes={"mission_address": ["Old street", "New street"]},
            )
        )
    return {"alice": alice, "bob": bob, "senegal": senegal, "mexico": mexico, "entries": entries}


def _shown(response) -> list[int]:
    return [entry.pk for entry, _changes in response.context["rows"]]


def test_the_audit_page_is_for_staff_only(client, delegate, staff_user):
    assert client.get(URL).status_code == 302
    client.force_login(delegate.user)
    assert client.get(URL).status_code == 302
    assert client.get(URL + "export.csv").status_code == 302
    client.force_login(staff_user)
    assert client.get(URL).status_code == 200


def test_staff_home_links_to_the_audit_page(client, staff_user):
    client.force_login(staff_user)
    assert f'href="{URL}"' in client.get("/en/staff/").content.decode()


def test_entries_are_filtered_by_the_person_s_name_or_address(client, staff_user, trail):
    client.force_login(staff_user)
    first, second, third = trail["entries"]
    assert _shown(client.get(URL, {"actor": "alice martin"})) == [first.pk]
    assert _shown(client.get(URL, {"actor": "bob@secretariat"})) == [third.pk, second.pk]


def test_entries_are_filtered_by_object_and_action(client, staff_user, trail):
    client.force_login(staff_user)
    first, second, _third = trail["entries"]
    senegal = {"object_type": "members.member", "object_id": str(trail["senegal"].pk)}
    assert _shown(client.get(URL, senegal)) == [second.pk, first.pk]
    assert _shown(client.get(URL, {**senegal, "action": "create"})) == []


def test_date_range_includes_both_whole_days_in_utc(client, staff_user, trail):
    client.force_login(staff_user)
    first, second, _third = trail["entries"]
    assert _shown(client.get(URL, {"since": "2008-03-02", "until": "2008-03-02"})) == [second.pk]
    assert _shown(client.get(URL, {"until": "2008-03-01"})) == [first.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2008-02-30"},
        {"until": "yesterday"},
        {"since": "2008-03-03", "until": "2008-03-01"},
    ],
)
def test_a_bad_date_is_a_clear_form_error(client, staff_user, trail, query):
    client.force_login(staff_user)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert _shown(response) == []


def test_free_text_looks_in_the_object_name(client, staff_user, trail):
    client.force_login(staff_user)
    third = trail["entries"][2]
    assert _shown(client.get(URL, {"text": "mexi"})) == [third.pk]


def test_changes_ip_and_utc_time_are_shown_with_html_escaped(client, staff_user):
    entry = audit.record(
        actor=staff_user,
        action=AuditEntry.Action.UPDATE,
        object_type="members.member",
        object_id="7",
        object_repr="<script>alert(1)</script>",
        changes={"name_en": ["<b>Before</b>", '"><img src=x onerror=alert(1)>']},
    )
    client.force_login(staff_user)
    body = client.get(URL).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;b&gt;Before&lt;/b&gt;" in body
    assert "127.0.0.1" in body
    assert entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") in body


def test_pages_hold_fifty_entries_in_a_stable_order(client, staff_user):
    for number in range(120):
        audit.record(
            actor=staff_user,
            action=AuditEntry.Action.UPDATE,
            object_type="x.y",
            object_repr=f"n{number}",
        )
    client.force_login(staff_user)
    pages = [_shown(client.get(URL, {"object_type": "x.y", "page": n})) for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [50, 50, 20]
    everything = [pk for page in pages for pk in page]
    assert everything == sorted(everything, reverse=True)


def test_history_link_of_an_object_page_selects_its_entries(client, staff_user, trail):
    from dialogue.events.tests.factories import EventFactory

    event = EventFactory()
    client.force_login(staff_user)
    body = client.get(f"/en/staff/events/{event.pk}/").content.decode()
    link = f"{URL}?object_type=events.event&amp;object_id={event.pk}"
    assert link in body
    response = client.get(URL, {"object_type": "events.event", "object_id": event.pk})
    assert response.status_code == 200 and _shown(response) == []


def test_export_holds_the_filtered_rows_and_is_audited(client, staff_user, trail):
    client.force_login(staff_user)
    response = client.get(URL + "export.csv", {"actor": "alice"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == trail["alice"].email
    assert "Old street → New street" in rows[1][6]
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    assert exported.actor == staff_user and exported.note == "1 rows"

    workbook = client.get(URL + "export.xlsx", {"actor": "bob"})
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 3


def test_export_refuses_a_bad_filter(client, staff_user):
    client.force_login(staff_user)
    assert client.get(URL + "export.csv", {"since": "not a date"}).status_code == 400
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
