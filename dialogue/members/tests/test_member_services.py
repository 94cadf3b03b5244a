import datetime

import pytest

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members import services
from dialogue.members.models import Member, MemberStatusChange

pytestmark = pytest.mark.django_db


def test_state_names_and_region_come_from_iso_when_left_blank(staff_user):
    member = services.member_create(
        actor=staff_user, data={"kind": "member_state", "code": "civ", "joined": "1990-05-01"}
    )
    assert member.code == "CIV"
    assert member.name_en == "Côte d'Ivoire"
    assert member.official_name_fr == "République de Côte d'Ivoire"
    assert member.region == "africa"
    assert member.status == Member.Status.ACTIVE
    assert member.status_since == datetime.date(1990, 5, 1)


def test_unknown_iso_code_is_refused_naming_the_field(staff_user):
    with pytest.raises(DomainError) as error:
        services.member_create(actor=staff_user, data={"kind": "member_state", "code": "XXA"})
    assert error.value.field == "code"
    assert "ISO code 'XXA' is not a country" in error.value.message
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_organization_code_must_be_an_acronym(staff_user):
    with pytest.raises(DomainError) as error:
        services.member_create(
            actor=staff_user,
            data={"kind": "observer_organization", "code": "a b", "name_en": "Some body"},
        )
    assert error.value.field == "code"


def test_observer_organization_is_international(staff_user):
    member = services.member_create(
        actor=staff_user,
        data={"kind": "observer_organization", "code": "ICMPD", "name_en": "ICMPD"},
    )
    assert member.region == "international"
    assert member.is_observer


def test_duplicate_code_is_refused(staff_user, member_state):
    with pytest.raises(DomainError, match="already exists"):
        services.member_create(
            actor=staff_user, data={"kind": "member_state", "code": member_state.code}
        )


def test_non_staff_cannot_create_members(focal_point):
    with pytest.raises(NotPermitted):
        services.member_create(actor=focal_point.user, data={"kind": "member_state", "code": "FRA"})


def test_creation_is_audited_with_the_values(staff_user):
    member = services.member_create(actor=staff_user, data={"kind": "member_state", "code": "PER"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_id=str(member.pk))
    assert entry.actor == staff_user
    assert entry.object_type == "members.member"
    assert entry.changes["code"] == "PER"


@pytest.fixture
def registered(staff_user):
    return services.member_create(actor=staff_user, data={"kind": "member_state", "code": "MEX"})


def test_update_records_only_what_changed(staff_user, registered):
    services.member_update(
        actor=staff_user, member=registered, data={"mission_phone": "+41 22 000 00 00"}
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes == {"mission_phone": ["", "+41 22 000 00 00"]}


def test_update_without_change_writes_nothing(staff_user, registered):
    entries = AuditEntry.objects.count()
    services.member_update(actor=staff_user, member=registered, data={})
    assert AuditEntry.objects.count() == entries


def test_code_cannot_be_changed(staff_user, member_state):
    with pytest.raises(DomainError, match="cannot be changed"):
        services.member_update(actor=staff_user, member=member_state, data={"code": "FRA"})


def test_status_change_keeps_its_history(staff_user):
    member = services.member_create(
        actor=staff_user, data={"kind": "member_state", "code": "SEN", "joined": "2000-01-01"}
    )
    services.member_change_status(
        actor=staff_user,
        member=member,
        status=Member.Status.SUSPENDED,
        effective=datetime.date(2007, 3, 1),
        note="Arrears",
    )
    services.member_change_status(
        actor=staff_user, member=member, status="active", effective=datetime.date(2007, 9, 1)
    )
    history = list(
        MemberStatusChange.objects.filter(member=member).values_list("status", "effective")
    )
    assert history == [
        ("active", datetime.date(2000, 1, 1)),
        ("suspended", datetime.date(2007, 3, 1)),
        ("active", datetime.date(2007, 9, 1)),
    ]
    member.refresh_from_db()
    assert member.status_since == datetime.date(2007, 9, 1)


def test_status_cannot_take_effect_before_the_current_one(staff_user, member_state):
    member_state.status_since = datetime.date(2007, 1, 1)
    member_state.save()
    with pytest.raises(DomainError) as error:
        services.member_change_status(
            actor=staff_user,
            member=member_state,
            status="left",
            effective=datetime.date(2006, 1, 1),
        )
    assert error.value.field == "status_since"


def test_unknown_status_is_refused(staff_user, member_state):
    with pytest.raises(DomainError) as error:
        services.member_change_status(actor=staff_user, member=member_state, status="expelled")
    assert error.value.field == "status"


def test_organization_country_must_be_iso(staff_user):
    with pytest.raises(DomainError) as error:
        services.organization_save(
            actor=staff_user, data={"kind": "academia", "name_en": "HEI", "country": "ZZZ"}
        )
    assert error.value.field == "country"


def test_organization_names_are_unique(staff_user):
    data = {"kind": "academia", "name_en": "Graduate Institute", "country": "CHE"}
    services.organization_save(actor=staff_user, data=data)
    with pytest.raises(DomainError) as error:
        services.organization_save(actor=staff_user, data=data)
    assert error.value.field == "name_en"


def test_status_date_cannot_be_rewritten_without_a_new_status(staff_user, registered):
    with pytest.raises(DomainError) as error:
        services.member_update(
            actor=staff_user,
            member=registered,
            data={"status_since": datetime.date(1990, 1, 1)},
        )
    assert error.value.field == "status_since"


def test_organization_update_keeps_fields_it_was_not_given(staff_user):
    organization = services.organization_save(
        actor=staff_user, data={"kind": "academia", "name_en": "HEI", "country": "CHE"}
    )
    services.organization_save(actor=staff_user, organization=organization, data={"acronym": "HEI"})
    organization.refresh_from_db()
    assert organization.country == "CHE"
    assert organization.acronym == "HEI"


def test_system_actor_has_staff_rights_and_is_audited_by_name():
    from dialogue.core.actors import SYSTEM

    member = services.member_create(actor=SYSTEM, data={"kind": "member_state", "code": "NOR"})
    entry = AuditEntry.objects.get(object_id=str(member.pk))
    assert entry.actor is None
    assert entry.actor_label == "system"
