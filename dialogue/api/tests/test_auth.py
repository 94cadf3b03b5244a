import datetime

import pytest
from django.utils import timezone

from dialogue.api import services
from dialogue.api.models import ApiToken
from dialogue.api.tests.factories import bearer, make_token
from dialogue.documents.models import Document
from dialogue.members.tests.factories import MemberFactory, PersonFactory
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


def test_public_resources_answer_without_credentials(client, member_state):
    response = client.get("/api/v1/members")
    assert response.status_code == 200
    assert [m["code"] for m in response.json()["items"]] == [member_state.code]


def test_a_bearer_token_reads_with_its_owners_rights(client, delegate):
    members_only = make_document(visibility=Document.Visibility.MEMBERS)
    secret = make_token(delegate.user)
    anonymous = client.get("/api/v1/documents").json()["items"]
    with_token = client.get("/api/v1/documents", **bearer(secret)).json()["items"]
    assert anonymous == []
    assert [d["id"] for d in with_token] == [members_only.pk]


def test_a_staff_token_reads_every_person(client, staff_user, delegate):
    other = PersonFactory(delegation=MemberFactory(code="NOR", name_en="Norway"))
    response = client.get("/api/v1/persons", **bearer(make_token(staff_user)))
    assert response.status_code == 200
    assert {p["id"] for p in response.json()["items"]} == {delegate.pk, other.pk}


def test_missing_credentials_on_a_private_resource_give_401_with_a_challenge(client):
    response = client.get("/api/v1/persons")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _error(response)["code"] == "not_authenticated"


def test_a_revoked_token_is_refused_even_on_public_resources(client, delegate):
    token, secret = services.token_create(actor=delegate.user, name="Old script")
    services.token_revoke(actor=delegate.user, token=token)
    response = client.get("/api/v1/members", **bearer(secret))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert _error(response)["code"] == "not_authenticated"


def test_an_expired_token_is_refused(client, delegate):
    token, secret = services.token_create(actor=delegate.user, name="Short-lived")
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client.get("/api/v1/persons", **bearer(secret)).status_code == 401


def test_a_token_of_a_deactivated_account_is_refused(client, delegate):
    secret = make_token(delegate.user)
    delegate.user.is_active = False
    delegate.user.save()
    assert client.get("/api/v1/persons", **bearer(secret)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer dlg_", "Bearer dlg_x_y"],
)
def test_unknown_or_malformed_authorization_is_refused(client, header):
    response = client.get("/api/v1/members", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_a_token_with_one_character_changed_is_refused(client, delegate):
    secret = make_token(delegate.user)
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert client.get("/api/v1/persons", **bearer(altered)).status_code == 401
    assert client.get("/api/v1/persons", **bearer(secret)).status_code == 200


def test_only_the_hash_of_a_token_is_stored(delegate):
    token, secret = services.token_create(actor=delegate.user, name="Script")
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert secret not in {str(v) for v in stored.values()}
    assert stored["hash"] == services.token_hash(secret)
    assert secret.startswith(f"dlg_{token.prefix}_")
    assert len(secret.split("_", 2)[2]) >= 43


def test_using_a_token_records_when_it_was_last_used(client, delegate):
    token, secret = services.token_create(actor=delegate.user, name="Script")
    assert token.last_used_at is None
    client.get("/api/v1/members", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_browser_session_reads_private_resources(client, delegate):
    client.force_login(delegate.user)
    response = client.get("/api/v1/persons")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [delegate.pk]


def test_a_session_write_without_the_csrf_token_is_refused(delegate):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(delegate.user)
    response = client.post(
        "/api/v1/documents/search", {"q": "report"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


def test_a_token_write_needs_no_csrf_token(delegate):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/documents/search",
        {"q": "report"},
        content_type="application/json",
        **bearer(make_token(delegate.user)),
    )
    assert response.status_code == 200
