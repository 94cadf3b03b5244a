import pytest

from dialogue.core.models import AuditEntry
from dialogue.members.models import Member, MemberStatusChange, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def _member_form(**overrides):
    data = {
        "kind": "member_state",
        "code": "GHA",
        "region": "",
        "joined": "",
        "status": "active",
        "status_since": "",
        "name_en": "",
        "name_fr": "",
        "name_es": "",
        "official_name_en": "",
        "official_name_fr": "",
        "official_name_es": "",
        "mission_address": "",
        "mission_phone": "",
        "mission_email": "",
        "mission_website": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_member_through_the_service(admin_client, staff_user):
    response = admin_client.post("/en/admin/members/member/add/", _member_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(code="GHA")
    assert member.name_fr == "Ghana"
    assert member.region == "africa"
    assert AuditEntry.objects.filter(action="create", actor=staff_user).exists()
    assert MemberStatusChange.objects.filter(member=member).count() == 1


def test_admin_shows_a_bad_iso_code_on_the_field(admin_client):
    response = admin_client.post("/en/admin/members/member/add/", _member_form(code="XXA"))
    assert response.status_code == 200
    assert "ISO code &#x27;XXA&#x27; is not a country" in response.content.decode()
    assert not Member.objects.exists()


def test_admin_status_change_is_kept_in_history(admin_client):
    admin_client.post("/en/admin/members/member/add/", _member_form(joined="2001-01-01"))
    member = Member.objects.get(code="GHA")
    response = admin_client.post(
        f"/en/admin/members/member/{member.pk}/change/",
        _member_form(
            joined="2001-01-01",
            status="suspended",
            status_since="2007-06-01",
            name_en="Ghana",
            name_fr="Ghana",
            name_es="Ghana",
            official_name_en="Republic of Ghana",
            official_name_fr="République du Ghana",
            official_name_es="República de Ghana",
            region="africa",
        ),
    )
    assert response.status_code == 302
    statuses = list(
        MemberStatusChange.objects.filter(member=member).values_list("status", flat=True)
    )
    assert statuses == ["active", "suspended"]


def test_admin_person_rules_are_shown_as_form_errors(admin_client):
    response = admin_client.post(
        "/en/admin/members/person/add/",
        {
            "given_name": "A",
            "family_name": "B",
            "role": "delegate",
            "gender": "female",
            "preferred_language": "en",
            "is_active": "on",
            "email": "",
        },
    )
    assert response.status_code == 200
    assert "must act for a delegation" in response.content.decode()
    assert not Person.objects.exists()


def test_audit_trail_is_read_only_in_the_admin(admin_client, staff_user):
    AuditEntry.objects.create(at="2007-06-21T10:00:00Z", action="update", object_type="x.y")
    entry = AuditEntry.objects.get(object_type="x.y")
    page = admin_client.get(f"/en/admin/core/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="auditentry_form"')[-1]
    assert admin_client.get("/en/admin/core/auditentry/add/").status_code == 403
    assert admin_client.post(f"/en/admin/core/auditentry/{entry.pk}/delete/").status_code == 403


def test_audit_trail_can_be_filtered_by_person_and_object(admin_client, staff_user):
    admin_client.post("/en/admin/members/member/add/", _member_form())
    page = admin_client.get(
        "/en/admin/core/auditentry/", {"q": staff_user.email, "object_type": "members.member"}
    )
    assert page.status_code == 200
    assert "Ghana" in page.content.decode()


def test_admin_saves_organizations_through_the_service(admin_client, staff_user):
    response = admin_client.post(
        "/en/admin/members/organization/add/",
        {
            "kind": "regional_institution",
            "acronym": "ECOWAS",
            "name_en": "Economic Community of West African States",
            "name_fr": "",
            "name_es": "",
            "country": "nga",
            "website": "",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="members.organization", action="create")
    assert entry.actor == staff_user
    assert entry.changes["country"] == "NGA"
