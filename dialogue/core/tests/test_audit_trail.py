import pytest
from django.db import DatabaseError, connection, transaction

from dialogue.core import audit
from dialogue.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entry(staff_user):
    return audit.record(actor=staff_user, action=AuditEntry.Action.UPDATE, object_type="x.y")


def test_entry_records_actor_and_time(staff_user):
    entry = _entry(staff_user)
    assert entry.actor == staff_user
    assert entry.actor_label == staff_user.email
    assert entry.at is not None


def test_saved_entry_cannot_be_changed_through_the_model(staff_user):
    entry = _entry(staff_user)
    entry.note = "tampered"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()


def test_queryset_update_and_delete_are_refused(staff_user):
    _entry(staff_user)
    with pytest.raises(TypeError):
        AuditEntry.objects.all().update(note="tampered")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE core_auditentry SET note = 'tampered'", "DELETE FROM core_auditentry"],
)
def test_database_refuses_raw_update_and_delete(staff_user, statement):
    _entry(staff_user)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.filter(note="tampered").count() == 0
    assert AuditEntry.objects.count() == 1


def test_diff_lists_only_changed_fields():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


def test_anonymous_actor_is_recorded_as_system():
    entry = audit.record(actor=None, action=AuditEntry.Action.IMPORT, object_type="x.y")
    assert entry.actor is None
    assert entry.actor_label == "system"


def test_request_address_is_recorded(client, staff_user):
    client.post("/en/portal/login/", {"username": "nobody@x.org", "password": "wrong"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.ip_address == "127.0.0.1"
    assert entry.object_repr == "nobody@x.org"
