import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> set[int]:
    return {p["id"] for p in response.json()["items"]}


def test_a_delegate_lists_only_their_own_delegations_persons(client, delegate, focal_point):
    PersonFactory(delegation=MemberFactory(code="NOR", name_en="Norway"))
    response = client.get("/api/v1/persons", **bearer(make_token(delegate.user)))
    assert response.status_code == 200
    assert _ids(response) == {delegate.pk, focal_point.pk}
    assert {p["delegation"] for p in response.json()["items"]} == {delegate.delegation.code}


def test_another_delegations_person_is_not_found_for_a_delegate(client, delegate):
    other = PersonFactory(delegation=MemberFactory(code="NOR", name_en="Norway"))
    response = client.get(f"/api/v1/persons/{other.pk}", **bearer(make_token(delegate.user)))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_delegate_reads_a_colleague(client, delegate, focal_point):
    response = client.get(f"/api/v1/persons/{focal_point.pk}", **bearer(make_token(delegate.user)))
    assert response.status_code == 200
    assert response.json()["role"] == "focal_point"
    assert response.json()["full_name"] == focal_point.full_name


def test_an_account_without_a_delegation_sees_no_person(client, delegate):
    response = client.get("/api/v1/persons", **bearer(make_token(UserFactory())))
    assert response.status_code == 200
    assert response.json()["items"] == []
    detail = client.get(f"/api/v1/persons/{delegate.pk}", **bearer(make_token(UserFactory())))
    assert detail.status_code == 404


def test_staff_filter_persons_by_delegation_role_and_name(
    client, staff_user, delegate, focal_point
):
    senegal = PersonFactory(
        delegation=MemberFactory(code="NOR", name_en="Norway"), family_name="Diop"
    )
    headers = bearer(make_token(staff_user))
    assert _ids(client.get("/api/v1/persons?delegation=nor", **headers)) == {senegal.pk}
    assert _ids(client.get("/api/v1/persons?role=focal_point", **headers)) == {focal_point.pk}
    assert _ids(client.get("/api/v1/persons?q=dio", **headers)) == {senegal.pk}


def test_person_pages_are_in_name_order_without_repeats(client, staff_user):
    member = MemberFactory(code="CHE")
    for family in ("Dupont", "Aebi", "Meier", "Aebi", "Zurbriggen"):
        PersonFactory(delegation=member, family_name=family)
    headers = bearer(make_token(staff_user))
    seen, url = [], "/api/v1/persons?limit=2"
    while url:
        body = client.get(url, **headers).json()
        seen += body["items"]
        url = body["next_cursor"] and f"/api/v1/persons?limit=2&cursor={body['next_cursor']}"
    expected = list(Person.objects.order_by("family_name", "given_name", "id"))
    assert [p["id"] for p in seen] == [p.pk for p in expected]


def test_a_person_id_that_is_not_a_number_names_the_field(client, staff_user):
    response = client.get("/api/v1/persons/abc", **bearer(make_token(staff_user)))
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "person_id"
