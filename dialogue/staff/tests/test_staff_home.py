import pytest

pytestmark = pytest.mark.django_db


def test_staff_home_is_for_staff_only(client, staff_user, delegate):
    assert client.get("/en/staff/").status_code == 302
    client.force_login(delegate.user)
    assert client.get("/en/staff/").status_code == 302
    client.force_login(staff_user)
    response = client.get("/en/staff/")
    assert response.status_code == 200
    assert "/en/admin/core/auditentry/" in response.content.decode()


def test_delegate_cannot_open_the_admin(client, delegate):
    client.force_login(delegate.user)
    response = client.get("/en/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_home_links_to_the_surveys(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/en/staff/")
    assert 'href="/en/staff/surveys/"' in response.content.decode()
