import pytest
from django.urls import reverse

from dialogue.api import services
from dialogue.api.models import ApiToken
from dialogue.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_token_pages_need_a_login(client):
    response = client.get(reverse("portal:tokens"))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_creating_a_token_shows_its_secret_once(client, delegate):
    client.force_login(delegate.user)
    response = client.post(reverse("portal:tokens"), {"name": "Reporting script"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=delegate.user)
    assert token.hash == services.token_hash(secret)
    again = client.get(reverse("portal:tokens"))
    assert "Reporting script" in again.content.decode()
    assert secret not in again.content.decode()


def test_a_created_token_reads_the_api(client, delegate):
    client.force_login(delegate.user)
    secret = client.post(reverse("portal:tokens"), {"name": "Script"}).context["secret"]
    client.logout()
    response = client.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_a_token_without_a_name_is_refused_with_the_error_beside_the_field(client, delegate):
    client.force_login(delegate.user)
    response = client.post(reverse("portal:tokens"), {"name": "  "})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert response.context["secret"] is None
    assert not ApiToken.objects.exists()


def test_an_expiry_in_the_past_is_refused(client, delegate):
    client.force_login(delegate.user)
    response = client.post(reverse("portal:tokens"), {"name": "Old", "expires_on": "2001-01-01"})
    assert response.context["form"].errors["expires_on"]
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_and_is_audited(client, delegate):
    token, secret = services.token_create(actor=delegate.user, name="Script")
    client.force_login(delegate.user)
    response = client.post(reverse("portal:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(
        object_type="api.apitoken", object_id=str(token.pk), action=AuditEntry.Action.UPDATE
    ).exists()
    assert client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_revoking_someone_elses_token_is_not_found_and_changes_nothing(
    client, delegate, focal_point
):
    token, _secret = services.token_create(actor=focal_point.user, name="Theirs")
    client.force_login(delegate.user)
    response = client.post(reverse("portal:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_by_get_is_not_allowed(client, delegate):
    token, _secret = services.token_create(actor=delegate.user, name="Script")
    client.force_login(delegate.user)
    assert client.get(reverse("portal:token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_staff_account_without_a_person_record_manages_its_tokens(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("portal:tokens")).status_code == 200
    response = client.post(reverse("portal:tokens"), {"name": "Secretariat export"})
    assert response.context["secret"]
    assert ApiToken.objects.get().user == staff_user
