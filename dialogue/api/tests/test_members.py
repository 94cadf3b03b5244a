import pytest

from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, ObserverOrganizationFactory

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return [m["code"] for m in response.json()["items"]]


def test_members_are_listed_by_name_with_their_names_in_every_language(client):
    MemberFactory(code="SEN")
    MemberFactory(code="CHE")
    response = client.get("/api/v1/members")
    assert response.status_code == 200
    assert _codes(response) == ["SEN", "CHE"]
    switzerland = response.json()["items"][1]
    assert switzerland["name_fr"] == "Suisse"
    assert switzerland["kind"] == "member_state"
    assert switzerland["url"].endswith("/members/CHE/")


def test_members_are_filtered_by_kind_region_status_and_text(client):
    MemberFactory(code="SEN")
    MemberFactory(code="MEX")
    ObserverOrganizationFactory(code="UNHCR", name_en="UNHCR")
    MemberFactory(code="PER", status=Member.Status.LEFT)
    assert _codes(client.get("/api/v1/members?kind=observer_organization")) == ["UNHCR"]
    assert _codes(client.get("/api/v1/members?region=africa")) == ["SEN"]
    assert _codes(client.get("/api/v1/members?q=mexique")) == ["MEX"]
    assert _codes(client.get("/api/v1/members?status=left")) == ["PER"]
    assert "PER" not in _codes(client.get("/api/v1/members"))


def test_member_pages_follow_one_another_without_gaps_or_repeats(client):
    for code in ("CHE", "SEN", "MEX", "THA", "FJI"):
        MemberFactory(code=code)
    seen, url = [], "/api/v1/members?limit=2"
    while True:
        body = client.get(url).json()
        assert len(body["items"]) <= 2
        seen += [m["code"] for m in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/api/v1/members?limit=2&cursor={body['next_cursor']}"
    assert seen == ["FJI", "MEX", "SEN", "CHE", "THA"]


def test_a_cursor_keeps_working_when_members_are_added_before_it(client):
    for code in ("CHE", "SEN", "THA"):
        MemberFactory(code=code)
    first = client.get("/api/v1/members?limit=2").json()
    MemberFactory(code="FJI")
    rest = client.get(f"/api/v1/members?limit=2&cursor={first['next_cursor']}").json()
    assert [m["code"] for m in rest["items"]] == ["THA"]


def test_a_member_is_read_by_its_code_in_any_case(client):
    MemberFactory(code="SEN")
    response = client.get("/api/v1/members/sen")
    assert response.status_code == 200
    assert response.json()["name"] == "Senegal"


def test_an_unknown_member_is_not_found(client):
    response = client.get("/api/v1/members/XYZ")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_member_names_follow_the_requests_language(client):
    MemberFactory(code="CHE")
    response = client.get("/api/v1/members/CHE", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["name"] == "Suisse"
    assert response["Content-Language"] == "fr"
