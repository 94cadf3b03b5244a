"""S5: a forged request changes nothing. Every URL of the portal, the staff pages, the
admin and the language switch, sent a POST, and every unsafe API operation sent with the
browser session, without a CSRF token, with the token of another session, or over HTTPS
with the session's own token but from another site (its Origin or Referer), is refused
with 403, and no table gains or loses a row. A log-in form posted from elsewhere logs
nobody in.
"""

import json

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dialogue.testing import urlmap

SESSION_AREAS = ("portal", "staff", "admin", "root")
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), urlmap.seeded(tmp_path_factory.mktemp("media")) as world:
        yield world


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


def _browser(user=None) -> Client:
    """A client that checks CSRF as a browser's request is checked, with its CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("portal:password_change" if user is not None else "portal:login"))
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


def _other_sessions_token() -> str:
    return _browser().cookies[settings.CSRF_COOKIE_NAME].value


def _forged(route: urlmap.Route, world, token: str | None) -> urlmap.Sample:
    request = urlmap.sample(route, world)
    if route.method:
        return request
    data = dict(request.data or {})
    if token:
        data["csrfmiddlewaretoken"] = token
    return urlmap.Sample("POST", request.path, data)


def _send(client: Client, request: urlmap.Sample, token: str | None, **extra):
    if request.method == "POST" and not request.content_type:
        return client.post(request.path, request.data, **extra)
    if token:
        extra["HTTP_X_CSRFTOKEN"] = token
    return client.generic(
        request.method,
        request.path,
        json.dumps(request.data) if request.data is not None else "",
        content_type=request.content_type or "application/json",
        **extra,
    )


def _forgeable_routes() -> list[urlmap.Route]:
    routes = []
    for route in urlmap.routes():
        if route.area in SESSION_AREAS or route.method in urlmap.UNSAFE_METHODS:
            routes.append(route)
    return routes


def _sent_by_every_victim(world, send) -> None:
    """`send(client, route)` for every forgeable route as each victim (a superuser and A's
    focal point, both logged in): every answer is 403 and no table gains or loses a row."""
    victims = {
        "superuser": _browser(world.superuser),
        "focal_point_a": _browser(world.users["focal_point_a"]),
    }
    routes = _forgeable_routes()
    before = _row_counts()
    accepted = []
    for route in routes:
        for who, client in victims.items():
            path, response = send(client, route)
            if response.status_code != 403:
                accepted.append(f"{route.key} {path} as {who}: {response.status_code}")
    after = _row_counts()
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    assert len(routes) > 200
    assert not accepted, "requests not refused:\n" + "\n".join(accepted)
    assert not changed, f"rows changed: {changed}"


@pytest.mark.parametrize("token", [None, "another session's"], ids=["no token", "other token"])
def test_forged_requests_are_refused_and_change_nothing(world, db, token):
    forged_token = _other_sessions_token() if token else None

    def send(client, route):
        request = _forged(route, world, forged_token)
        return request.path, _send(client, request, forged_token)

    _sent_by_every_victim(world, send)


FOREIGN_SITE = "https://evil.example"


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_ORIGIN": FOREIGN_SITE},
        {"HTTP_REFERER": f"{FOREIGN_SITE}/dialogue-look-alike/"},
        {"HTTP_ORIGIN": "null"},
    ],
    ids=["origin", "referer", "opaque origin"],
)
def test_requests_from_another_site_are_refused_even_with_the_sessions_own_token(world, db, header):
    """Over HTTPS the check also wants the request to come from the site itself: a page
    elsewhere that learnt a token still cannot use it."""

    def send(client, route):
        own = client.cookies[settings.CSRF_COOKIE_NAME].value
        request = _forged(route, world, own)
        return request.path, _send(client, request, own, secure=True, **header)

    _sent_by_every_victim(world, send)


def test_a_request_from_the_site_itself_over_https_gets_past_the_check(world, db):
    client = _browser(world.superuser)
    own = client.cookies[settings.CSRF_COOKIE_NAME].value
    data = {"csrfmiddlewaretoken": own, "name_en": ""}
    path = reverse("staff:series_create")

    by_origin = client.post(path, data, secure=True, HTTP_ORIGIN="https://testserver")
    by_referer = client.post(path, data, secure=True, HTTP_REFERER="https://testserver/en/staff/")

    assert (by_origin.status_code, by_referer.status_code) == (400, 400)


def test_the_same_requests_with_the_sessions_own_token_get_past_the_csrf_check(world, db):
    """The refusals above are the CSRF check's: with its own token the same session's
    POST of a form page is answered by the view (here: the form's own refusal, 400)."""
    client = _browser(world.superuser)
    own = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        reverse("staff:series_create"), {"csrfmiddlewaretoken": own, "name_en": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    forged = client.post(reverse("staff:series_create"), {"name_en": ""})
    assert forged.status_code == 403


@pytest.mark.parametrize("login", ["portal:login", "admin:login"])
@pytest.mark.parametrize("token", [None, "another session's"], ids=["no token", "other token"])
def test_a_login_form_posted_from_elsewhere_logs_nobody_in(world, db, login, token):
    user = world.users["delegate_a"] if login == "portal:login" else world.staff
    client = _browser()
    data = {"username": user.email, "password": PASSWORD}
    if token:
        data["csrfmiddlewaretoken"] = _other_sessions_token()
    response = client.post(reverse(login), data)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_login_with_the_pages_own_token_does_log_in(world, db):
    client = _browser()
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    user = world.users["delegate_a"]
    client.post(
        reverse("portal:login"),
        {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert client.session.get("_auth_user_id") == str(user.pk)
