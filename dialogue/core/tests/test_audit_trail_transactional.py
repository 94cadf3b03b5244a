import pytest
from django.db import DatabaseError, connection, transaction

from dialogue.core import audit
from dialogue.core.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_append_only_holds_in_committed_transactions_too():
    audit.record(actor=None, action=AuditEntry.Action.UPDATE, object_type="x.y")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_table_is_empty_again_after_the_previous_test_was_flushed():
    assert AuditEntry.objects.count() == 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        audit.record(actor=None, action=AuditEntry.Action.UPDATE, object_type="x.y")
        cursor.execute("UPDATE core_auditentry SET note = 'x'")
