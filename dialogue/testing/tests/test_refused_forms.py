"""Bad input gets a 4xx: every page of the portal, the staff interface and the website,
sent an empty form by a role that may use it, either does what was asked (a redirect)
or refuses with a 4xx status and says why on the page. None answers 200, which would
tell the browser, a proxy or a script that the refused request succeeded.
"""

import pytest
from django.test import Client

from dialogue.testing import urlmap
from dialogue.testing.tests.test_permissions_matrix import OK, REFUSED, ROLES, row_for

AREAS = ("portal", "staff", "root")
# The role that tries each page: the first of these whose row of the matrix gives OK.
TRYING_ROLES = ("superuser", "focal_point_a", "delegate_a", "observer_delegate", "anonymous")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), urlmap.seeded(tmp_path_factory.mktemp("media")) as world:
        yield world


def _client(world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _page_routes(world):
    for route in urlmap.routes():
        if route.area not in AREAS or route.method:
            continue
        row = row_for(route, world)
        role = next((r for r in TRYING_ROLES if row[r] in (OK, REFUSED)), None)
        if role is not None:
            yield route, role


def test_an_empty_form_is_never_answered_200_and_a_refusal_says_why(world, db):
    clients = {role: _client(world, role) for role in ROLES if role != "staff_password_only"}
    answered_200, silent_refusals = [], []
    refused = tried = 0
    for route, role in _page_routes(world):
        path = urlmap.sample(route, world).path
        response = urlmap.send(clients[role], urlmap.Sample("POST", path, data={}))
        tried += 1
        where = f"{route.key} (POST {path}) as {role}"
        if response.status_code == 200:
            answered_200.append(where)
        elif response.status_code == REFUSED:
            refused += 1
            page = response.content.decode()
            if 'class="errorlist' not in page and 'role="alert"' not in page:
                silent_refusals.append(where)
    assert tried > 100
    assert refused > 40
    assert not answered_200, f"{len(answered_200)} pages answered 200:\n" + "\n".join(answered_200)
    assert not silent_refusals, "refused without saying why:\n" + "\n".join(silent_refusals)
