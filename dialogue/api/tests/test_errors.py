import json

import pytest
from django.conf import settings

from dialogue.api.pagination import encode_cursor
from dialogue.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _post_search(client, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/api/v1/documents/search", data, content_type="application/json", **extra)


def _fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def test_a_query_value_of_the_wrong_type_names_the_field(client):
    response = client.get("/api/v1/members?limit=many")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(_fields(response)) == {"limit"}


def test_a_choice_outside_the_list_and_a_limit_out_of_range_are_refused(client):
    response = client.get("/api/v1/members?kind=planet&limit=1000")
    assert response.status_code == 422
    assert set(_fields(response)) == {"kind", "limit"}


def test_a_missing_body_field_and_a_wrong_type_name_their_fields(client):
    response = _post_search(client, {"limit": "ten"})
    assert response.status_code == 422
    assert set(_fields(response)) == {"q", "limit"}
    assert _fields(response)["q"] == "This field is required."


@pytest.mark.parametrize("field", ["event", "limit", "q"])
def test_true_is_refused_where_a_number_or_text_is_asked(client, field):
    body = {"q": "migration", field: True}
    response = _post_search(client, body)
    assert response.status_code == 422
    assert _fields(response) == {
        field: "Give a value of the type asked for here, not true or false."
    }


def test_an_unknown_body_field_is_refused_not_ignored(client):
    response = _post_search(client, {"q": "labour", "sort": "title"})
    assert response.status_code == 422
    assert _fields(response) == {"sort": "This field is not accepted."}


def test_a_body_that_is_not_json_is_a_bad_request(client):
    response = _post_search(client, "{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_an_oversized_body_is_refused_before_it_is_read(client, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = _post_search(client, {"q": "x" * 150})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "100" in error["message"]


def test_the_default_body_limit_is_one_megabyte(client):
    response = _post_search(client, {"q": "x", "cursor": "y" * (1024 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ", "a:b:c", "W10:1u2v3w:abc"])
def test_a_malformed_cursor_is_refused_with_its_own_code(client, cursor):
    MemberFactory(code="CHE")
    response = client.get(f"/api/v1/members?cursor={cursor}&limit=1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert set(_fields(response)) == {"cursor"}


def test_an_empty_cursor_starts_from_the_first_page(client):
    MemberFactory(code="CHE")
    response = client.get("/api/v1/members?cursor=")
    assert response.status_code == 200
    assert [m["code"] for m in response.json()["items"]] == ["CHE"]


def test_a_tampered_cursor_is_refused(client):
    MemberFactory(code="CHE")
    MemberFactory(code="SEN")
    cursor = client.get("/api/v1/members?limit=1").json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = client.get(f"/api/v1/members?limit=1&cursor={tampered}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_of_another_list_is_refused(client, staff_user):
    cursor = encode_cursor("persons", ["Family", "Given", 1])
    response = client.get(f"/api/v1/members?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    wrong_shape = encode_cursor("members", ["Switzerland"])
    assert client.get(f"/api/v1/members?cursor={wrong_shape}").status_code == 400


def test_text_holding_a_nul_character_names_the_field(client):
    response = client.get("/api/v1/members?q=a%00b")
    assert response.status_code == 422
    assert set(_fields(response)) == {"q"}


def test_a_search_filter_refused_by_the_domain_names_the_field(client):
    response = client.get("/api/v1/documents/search?q=" + "x" * 201)
    assert response.status_code == 422
    assert set(_fields(response)) == {"q"}


def test_errors_are_in_the_language_of_accept_language_over_the_language_cookie(client):
    """The French catalogue of this project may not hold the API's own messages yet, so the
    check uses a message Django itself translates, and the Content-Language header."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = _post_search(client, {}, HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, en;q=0.5")
    assert response.status_code == 422
    assert response["Content-Language"] == "fr"
    assert _fields(response)["q"] == "Ce champ est obligatoire."


def test_without_accept_language_errors_are_in_english(client):
    response = _post_search(client, {})
    assert response["Content-Language"] == "en"
    assert _fields(response)["q"] == "This field is required."


def test_every_error_has_the_same_shape(client):
    responses = [
        client.get("/api/v1/persons"),
        client.get("/api/v1/members/NOPE"),
        client.get("/api/v1/members?limit=0"),
        client.get("/api/v1/members?cursor=bad"),
        _post_search(client, "[1, 2"),
    ]
    for response in responses:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}
        assert error["message"]


def test_a_body_over_djangos_own_limit_is_also_refused_as_too_large(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    response = _post_search(client, {"q": "x" * 100})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_an_unexpected_failure_answers_json_without_details(client, monkeypatch):
    from dialogue.members import selectors

    def broken(**kwargs):
        raise RuntimeError("database details")

    monkeypatch.setattr(selectors, "member_list", broken)
    response = client.get("/api/v1/members")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "database details" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing-here", "/api/v2/members"])
def test_an_address_no_operation_serves_answers_in_the_api_error_shape(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "Rien n'a été trouvé ici."


def test_an_address_outside_the_api_still_gets_the_sites_page(client):
    response = client.get("/en/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
