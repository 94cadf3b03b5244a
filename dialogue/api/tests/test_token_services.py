import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from dialogue.api import selectors, services
from dialogue.api.models import ApiToken
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_create_audits_the_creation_without_the_secret(delegate):
    token, secret = services.token_create(actor=delegate.user, name="Reporting script")
    entry = AuditEntry.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == delegate.user
    assert secret not in str(entry.changes)
    assert entry.changes["name"] == "Reporting script"


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 101, "name")])
def test_token_create_refuses_a_bad_name_and_stores_nothing(delegate, name, field):
    with pytest.raises(DomainError) as caught:
        services.token_create(actor=delegate.user, name=name)
    assert caught.value.field == field
    assert not ApiToken.objects.exists()


def test_token_create_refuses_an_expiry_in_the_past(delegate):
    with pytest.raises(DomainError) as caught:
        services.token_create(
            actor=delegate.user,
            name="Script",
            expires_at=timezone.now() - datetime.timedelta(days=1),
        )
    assert caught.value.field == "expires_at"
    assert not ApiToken.objects.exists()


def test_token_create_refuses_anonymous_callers():
    with pytest.raises(NotPermitted):
        services.token_create(actor=AnonymousUser(), name="Script")


def test_token_create_caps_the_number_of_usable_tokens(delegate, monkeypatch):
    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 2)
    first, _secret = services.token_create(actor=delegate.user, name="One")
    services.token_create(actor=delegate.user, name="Two")
    with pytest.raises(DomainError):
        services.token_create(actor=delegate.user, name="Three")
    services.token_revoke(actor=delegate.user, token=first)
    services.token_create(actor=delegate.user, name="Three")
    assert ApiToken.objects.count() == 3


def test_token_revoke_refuses_someone_elses_token(delegate):
    token, _secret = services.token_create(actor=delegate.user, name="Script")
    with pytest.raises(NotPermitted):
        services.token_revoke(actor=UserFactory(), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_revoke_is_audited_once_and_is_idempotent(delegate):
    token, secret = services.token_create(actor=delegate.user, name="Script")
    services.token_revoke(actor=delegate.user, token=token)
    services.token_revoke(actor=delegate.user, token=token)
    updates = AuditEntry.objects.filter(object_type="api.apitoken", action=AuditEntry.Action.UPDATE)
    assert updates.count() == 1
    assert services.token_authenticate(secret) is None


def test_staff_may_revoke_anyones_token(delegate, staff_user):
    token, _secret = services.token_create(actor=delegate.user, name="Script")
    revoked = services.token_revoke(actor=staff_user, token=token)
    assert revoked.revoked_at is not None


def test_tokens_of_lists_only_the_persons_own_tokens(delegate, focal_point):
    own, _secret = services.token_create(actor=delegate.user, name="Mine")
    other, _secret = services.token_create(actor=focal_point.user, name="Theirs")
    assert list(selectors.tokens_of(delegate.user)) == [own]
    with pytest.raises(ApiToken.DoesNotExist):
        selectors.token_of(delegate.user, other.pk)
    assert list(selectors.tokens_of(AnonymousUser())) == []


def test_idempotency_replays_the_first_answer_and_refuses_a_changed_body(delegate):
    user = delegate.user
    arguments = {"user": user, "key": "k-1", "method": "POST", "path": "/api/v1/x"}
    assert services.idempotency_lookup(**arguments, body=b'{"a": 1}') is None
    services.idempotency_store(
        **arguments, body=b'{"a": 1}', status_code=201, response_body='{"id": 7}'
    )
    record = services.idempotency_lookup(**arguments, body=b'{"a": 1}')
    assert (record.status_code, record.response_body) == (201, '{"id": 7}')
    with pytest.raises(DomainError) as caught:
        services.idempotency_lookup(**arguments, body=b'{"a": 2}')
    assert caught.value.code == "idempotency_key_reused"
    again = services.idempotency_store(
        **arguments, body=b'{"a": 1}', status_code=500, response_body="other"
    )
    assert again.pk == record.pk and again.status_code == 201
