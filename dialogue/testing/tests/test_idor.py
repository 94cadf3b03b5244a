"""S4: Member State A's persons asking for Member State B's objects get 403 or 404, and no
byte of B's data: everything B owns in the seeded data set carries urlmap.MARKER, which
must never appear in an answer to A.

Three sweeps: every object-scoped portal page and API operation with B's object in its
address (and the ids next to it); every page and operation of the site, the portal and
the API as A's persons see them on A's data; and the API's filters naming B.
"""

import re

import pytest
from django.test import Client

from dialogue.api.tests.factories import bearer
from dialogue.testing import urlmap

A_ROLES = ("delegate_a", "focal_point_a")

# Pages and operations whose address names an object owned by one delegation; the
# sample built with `side=world.b` names B's.
OBJECT_SCOPED = (
    "portal:delegate_action",
    "portal:registration_cancel",
    "portal:token_revoke",
    "portal:event",
    "portal:event_register",
    "portal:event_register_delegation",
    "GET /api/v1/persons/{person_id}",
    "GET /api/v1/surveys/{survey_id}/responses/{member_code}",
    "GET /api/v1/events/{event_id}",
    "GET /api/v1/events/{event_id}/event.ics",
    "GET /api/v1/events/{event_id}/registrations",
    "POST /api/v1/events/{event_id}/registrations",
    "DELETE /api/v1/events/{event_id}/registrations/{registration_id}",
)

# API filters a caller could use to ask for B's records.
FILTERS = (
    "/api/v1/persons?delegation=SEN",
    "/api/v1/persons?q=Delegate",
    "/api/v1/events?limit=100",
    "/api/v1/events/{event}/registrations?limit=100",
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), urlmap.seeded(tmp_path_factory.mktemp("media")) as world:
        yield world


@pytest.fixture
def a_clients(world, db) -> dict[str, tuple[Client, dict]]:
    """A's persons: each with a browser session, and A's delegate also with an API token."""
    clients = {}
    for role in A_ROLES:
        client = Client()
        client.force_login(world.users[role])
        clients[role] = (client, {})
    clients["delegate_a with a token"] = (Client(), bearer(world.a.token_secret))
    return clients


def _routes_by_key() -> dict[str, urlmap.Route]:
    return {route.key: route for route in urlmap.routes()}


def _leak(response) -> bool:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return urlmap.MARKER.encode() in body


def _neighbours(path: str) -> list[str]:
    """The same path with each number in it one lower and one higher."""
    variants = []
    for match in re.finditer(r"/(\d+)(?=[/.]|$)", path):
        number = int(match.group(1))
        for other in (number - 1, number + 1):
            if other > 0:
                variants.append(path[: match.start(1)] + str(other) + path[match.end(1) :])
    return variants


def test_object_scoped_routes_are_all_swept():
    keys = set(_routes_by_key())
    assert set(OBJECT_SCOPED) <= keys, sorted(set(OBJECT_SCOPED) - keys)


def test_a_asking_for_bs_objects_is_refused_and_sees_none_of_bs_data(world, a_clients):
    routes = _routes_by_key()
    problems = []
    checked = 0
    for key in OBJECT_SCOPED:
        request = urlmap.sample(routes[key], world, side=world.b)
        for role, (client, headers) in a_clients.items():
            if headers and not routes[key].method:
                continue
            response = urlmap.send(client, request, **headers)
            checked += 1
            if response.status_code not in (403, 404):
                problems.append(f"{key} {request.path} as {role}: {response.status_code}")
            if _leak(response):
                problems.append(f"{key} {request.path} as {role}: B's data in the answer")
            for path in _neighbours(request.path):
                nearby = urlmap.Sample(request.method, path, request.data, request.content_type)
                response = urlmap.send(client, nearby, **headers)
                checked += 1
                if response.status_code >= 500 or _leak(response):
                    problems.append(
                        f"{key} {path} as {role}: {response.status_code}"
                        + (", B's data in the answer" if _leak(response) else "")
                    )
    assert checked > 50
    assert not problems, "\n".join(problems)


def test_no_page_or_operation_shows_bs_data_to_as_persons(world, a_clients):
    problems = []
    for route in urlmap.routes():
        if route.area not in ("site", "portal", "api", "root"):
            continue
        request = urlmap.sample(route, world)
        for role, (client, headers) in a_clients.items():
            if headers and not route.method:
                continue
            response = urlmap.send(client, request, **headers)
            if _leak(response):
                problems.append(f"{route.key} {request.path} as {role}: {response.status_code}")
    assert not problems, "B's data shown to A:\n" + "\n".join(problems)


def test_api_filters_naming_b_return_nothing_of_b(world, a_clients):
    event = world.objects.events.event.pk
    problems = []
    for path in FILTERS:
        for role, (client, headers) in a_clients.items():
            response = urlmap.send(
                client, urlmap.Sample("GET", path.format(event=event)), **headers
            )
            if response.status_code != 200 or _leak(response):
                problems.append(f"{path} as {role}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_the_marker_is_in_bs_data_so_the_sweep_can_find_a_leak(world, db):
    """The same requests made as B's delegate do show B's data."""
    client = Client()
    client.force_login(world.users["delegate_b"])
    routes = _routes_by_key()
    shown = []
    for key in ("portal:event", "GET /api/v1/events/{event_id}/registrations"):
        response = urlmap.send(client, urlmap.sample(routes[key], world, side=world.b))
        shown.append((key, response.status_code, _leak(response)))
    receipt = urlmap.send(client, urlmap.sample(routes["portal:survey_receipt"], world))
    shown.append(("portal:survey_receipt", receipt.status_code, _leak(receipt)))
    assert all(status == 200 and leaked for _key, status, leaked in shown), shown
