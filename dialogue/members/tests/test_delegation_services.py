import pytest
from django.core import mail

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members import services
from dialogue.members.models import Person, User
from dialogue.members.tests.factories import FocalPointFactory, MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _add(actor, delegation, **extra):
    data = {
        "delegation": delegation,
        "given_name": "Aminata",
        "family_name": "Diallo",
        "email": "Aminata.Diallo@mission-sen.example.org",
        "preferred_language": "fr",
    }
    data.update(extra)
    return services.delegate_add(actor=actor, **data)


def test_focal_point_adds_a_delegate_with_an_account_and_an_invitation(
    focal_point, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person = _add(focal_point.user, focal_point.delegation)
    assert person.role == Person.Role.DELEGATE
    assert person.delegation == focal_point.delegation
    assert person.email == "aminata.diallo@mission-sen.example.org"
    assert person.user is not None and not person.user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aminata.diallo@mission-sen.example.org"]
    assert "Aminata Diallo" in message.body
    assert "/fr/portal/password/set/" in message.body


def test_focal_point_cannot_add_to_another_delegation(focal_point):
    other = MemberFactory(code="FRA", name_en="France", region="europe")
    with pytest.raises(NotPermitted):
        _add(focal_point.user, other)
    assert not Person.objects.filter(delegation=other).exists()
    assert len(mail.outbox) == 0


def test_plain_delegate_cannot_add_delegates(delegate):
    with pytest.raises(NotPermitted):
        _add(delegate.user, delegate.delegation)


def test_email_already_in_use_is_refused(focal_point, delegate):
    with pytest.raises(DomainError) as error:
        _add(focal_point.user, focal_point.delegation, email=delegate.email.upper())
    assert error.value.field == "email"


def test_focal_point_cannot_touch_another_delegations_delegate(focal_point):
    stranger = PersonFactory(
        delegation=MemberFactory(code="BRA", name_en="Brazil"), with_account=True
    )
    for call in (
        lambda: services.delegate_set_active(actor=focal_point.user, person=stranger, active=False),
        lambda: services.delegate_remove(actor=focal_point.user, person=stranger),
    ):
        with pytest.raises(NotPermitted):
            call()
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.delegation.code == "BRA"


def test_focal_point_cannot_remove_another_focal_point(focal_point):
    colleague = FocalPointFactory(delegation=focal_point.delegation)
    with pytest.raises(NotPermitted):
        services.delegate_remove(actor=focal_point.user, person=colleague)


def test_deactivating_a_delegate_ends_their_login_and_is_audited(focal_point, delegate):
    services.delegate_set_active(actor=focal_point.user, person=delegate, active=False)
    delegate.refresh_from_db()
    assert not delegate.is_active
    assert not delegate.user.is_active
    entry = AuditEntry.objects.filter(
        object_type="members.person", object_id=str(delegate.pk)
    ).get()
    assert entry.actor == focal_point.user
    assert entry.changes == {"is_active": [True, False]}


def test_reactivating_restores_the_login(focal_point, delegate):
    services.delegate_set_active(actor=focal_point.user, person=delegate, active=False)
    services.delegate_set_active(actor=focal_point.user, person=delegate, active=True)
    delegate.refresh_from_db()
    assert delegate.is_active and delegate.user.is_active


def test_removed_delegate_keeps_their_record_but_not_the_delegation(focal_point, delegate):
    services.delegate_remove(actor=focal_point.user, person=delegate)
    delegate.refresh_from_db()
    assert delegate.delegation is None
    assert delegate.role == Person.Role.OTHER
    assert not User.objects.get(pk=delegate.user_id).is_active


def test_focal_point_cannot_remove_themself(focal_point):
    with pytest.raises((DomainError, NotPermitted)):
        services.delegate_remove(actor=focal_point.user, person=focal_point)


def test_deactivated_focal_point_manages_nothing(focal_point, delegate):
    Person.objects.filter(pk=focal_point.pk).update(is_active=False)
    focal_point.user.refresh_from_db()
    with pytest.raises(NotPermitted):
        services.delegate_set_active(actor=focal_point.user, person=delegate, active=False)


def test_staff_manage_any_delegation(staff_user, member_state):
    person = _add(staff_user, member_state)
    services.delegate_remove(actor=staff_user, person=person)


def test_delegate_or_focal_point_needs_a_delegation(staff_user):
    with pytest.raises(DomainError) as error:
        services.person_save(
            actor=staff_user,
            data={"given_name": "A", "family_name": "B", "role": "delegate"},
        )
    assert error.value.field == "delegation"


def test_person_acts_for_a_delegation_or_an_organization_not_both(staff_user, member_state):
    from dialogue.members.tests.factories import OrganizationFactory

    with pytest.raises(DomainError) as error:
        services.person_save(
            actor=staff_user,
            data={
                "given_name": "A",
                "family_name": "B",
                "role": "expert",
                "delegation": member_state,
                "organization": OrganizationFactory(),
            },
        )
    assert error.value.field == "organization"


def test_person_can_change_only_their_own_language(delegate, focal_point):
    services.person_set_language(actor=delegate.user, person=delegate, language="es")
    delegate.refresh_from_db()
    assert delegate.preferred_language == "es"
    with pytest.raises(NotPermitted):
        services.person_set_language(actor=delegate.user, person=focal_point, language="es")
    with pytest.raises(DomainError):
        services.person_set_language(actor=delegate.user, person=delegate, language="de")


def test_person_sets_a_real_time_zone_only(delegate):
    services.person_set_time_zone(
        actor=delegate.user, person=delegate, time_zone="Pacific/Kiritimati"
    )
    delegate.refresh_from_db()
    assert delegate.time_zone == "Pacific/Kiritimati"
    with pytest.raises(DomainError) as error:
        services.person_set_time_zone(
            actor=delegate.user, person=delegate, time_zone="Mars/Olympus"
        )
    assert error.value.field == "time_zone"
