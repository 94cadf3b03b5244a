"""Two application servers on one PostgreSQL database behave as one system: sessions,
rate-limit counters, log-in lockouts and responses live in the database, so what is done
through one server holds on the other, as behind a load balancer.

Two gunicorn servers (2 workers each, on different ports of 127.0.0.1) serve the suite's
own test database; the tests' data is committed (transactional tests) so that they see
it. The visitor's cookies go to whichever server it calls, as a browser's would.
"""

import datetime
import http.client
import importlib.util
import re
import sys
import textwrap
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dialogue.api import services as api_services
from dialogue.members import login_throttle
from dialogue.members.tests.factories import MemberFactory, PersonFactory
from dialogue.surveys.tests.factories import PublishedSurveyFactory, choose_one, questions_of

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="scale-out shares one PostgreSQL database between servers; SQLite is one process",
)

TOOLS = Path(__file__).resolve().parents[3] / "tools"
PASSWORD = "correct-horse-battery"
SUBMISSION_LIMIT = 3
LIMIT_WINDOW = 3600

# The servers' settings: the project's, with a low submission limit so that the test
# reaches it, and the test accounts' fast password hasher.
SERVER_SETTINGS = textwrap.dedent(
    f"""
    from dialogue.settings import *  # noqa: F403

    RATE_LIMITS = {{
        **RATE_LIMITS,  # noqa: F405
        "submission_delegation": ({SUBMISSION_LIMIT}, {LIMIT_WINDOW}),
    }}
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    """
)


def _load_harness():
    if "crashtest" in sys.modules:
        return sys.modules["crashtest"]
    spec = importlib.util.spec_from_file_location("crashtest", TOOLS / "crashtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crashtest"] = module
    spec.loader.exec_module(module)
    return module


def _database_url() -> str:
    given = connection.settings_dict
    user = urllib.parse.quote(given["USER"] or "")
    password = given["PASSWORD"]
    credentials = f"{user}:{urllib.parse.quote(password)}" if password else user
    host = given["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{given['PORT'] or 5432}/{given['NAME']}"


def _other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Servers A and B on the test database; stopped, and their connections gone, after."""
    crashtest = _load_harness()
    settings_dir = tmp_path_factory.mktemp("scale-out")
    (settings_dir / "scale_out_settings.py").write_text(SERVER_SETTINGS)
    with django_db_blocker.unblock():
        url = _database_url()
    env = crashtest.django_env(
        url,
        settings_dir / "data",
        DJANGO_SETTINGS_MODULE="scale_out_settings",
        RATE_LIMIT_FACTOR="1",
    )
    env["PYTHONPATH"] = f"{settings_dir}:{env['PYTHONPATH']}"
    pair = [crashtest.Server(env, settings_dir / f"gunicorn-{name}.log") for name in "AB"]
    try:
        for server in pair:
            server.start()
        for server in pair:
            assert server.wait_ready(), server.log.read_text()[-3000:]
        yield pair
    finally:
        for server in pair:
            server.stop()
        with django_db_blocker.unblock():
            deadline = time.monotonic() + 30
            while _other_sessions() and time.monotonic() < deadline:
                time.sleep(0.1)


class Visitor:
    """One browser or API client; its cookies go to whichever server it calls."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, server, method, path, *, form=None, body=None, headers=None):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        link = http.client.HTTPConnection(*server.address, timeout=60)
        try:
            link.request(method, path, body=body, headers=headers)
            response = link.getresponse()
            text = response.read().decode()
        finally:
            link.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers, text

    def log_in(self, server, email: str, password: str):
        login = reverse("portal:login")
        _status, _headers, page = self.request(server, "GET", login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(
            server,
            "POST",
            login,
            form={"username": email, "password": password, "csrfmiddlewaretoken": token},
        )

    def log_out(self, server):
        return self.request(
            server, "POST", reverse("portal:logout"), headers={"X-CSRFToken": self.csrf_token}
        )

    @property
    def csrf_token(self) -> str:
        return self.cookies["csrftoken"]

    def is_logged_in_on(self, server) -> bool:
        status, headers, _page = self.request(server, "GET", reverse("portal:home"))
        if status == 302:
            assert reverse("portal:login") in headers["Location"]
            return False
        assert status == 200
        return True


@pytest.fixture
def delegate(transactional_db):
    return PersonFactory(delegation=MemberFactory(code="CHE"), with_account=True)


@pytest.fixture
def open_survey(transactional_db, staff_user):
    return PublishedSurveyFactory(
        actor=staff_user,
        questions=[choose_one("A", "B")],
        opens_at=timezone.now() - datetime.timedelta(hours=1),
    )


def test_a_login_through_one_server_is_valid_on_the_other(servers, delegate):
    first, second = servers
    visitor = Visitor()
    assert not visitor.is_logged_in_on(second)
    status, _headers, _page = visitor.log_in(first, delegate.email, PASSWORD)
    assert status == 302
    assert visitor.is_logged_in_on(second)
    assert visitor.is_logged_in_on(first)


def test_logging_out_through_one_server_ends_the_session_on_the_other(servers, delegate):
    first, second = servers
    visitor = Visitor()
    visitor.log_in(first, delegate.email, PASSWORD)
    assert visitor.is_logged_in_on(second)
    kept_cookie = dict(visitor.cookies)

    status, _headers, _page = visitor.log_out(first)
    assert status in (200, 302)

    visitor.cookies = kept_cookie
    assert not visitor.is_logged_in_on(second)


def _submit(visitor, server, survey, secret, option):
    (question,) = questions_of(survey)
    return visitor.request(
        server,
        "PUT",
        f"/api/v1/surveys/{survey.pk}/response",
        body=f'{{"answers": {{"{question.pk}": [{option}]}}}}',
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )


def test_a_response_submitted_through_one_server_is_seen_through_the_other(
    servers, delegate, open_survey
):
    import json

    first, second = servers
    _token, secret = api_services.token_create(actor=delegate.user, name="Script")
    (question,) = questions_of(open_survey)
    option = question.options.order_by("position").first().pk
    status, _headers, body = _submit(Visitor(), first, open_survey, secret, option)
    assert status == 200, body
    submitted = json.loads(body)

    status, _headers, body = Visitor().request(
        second,
        "GET",
        f"/api/v1/surveys/{open_survey.pk}/response",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert status == 200, body
    seen = json.loads(body)
    assert (seen["version"], seen["receipt"], seen["fingerprint"]) == (
        submitted["version"],
        submitted["receipt"],
        submitted["fingerprint"],
    )
    assert seen["answers"] == [{"question": question.pk, "options": [option]}]


def _wait_for_a_fresh_window(needed: float = 60) -> None:
    """Counting windows are aligned on the clock: do not start just before one ends."""
    left = LIMIT_WINDOW - time.time() % LIMIT_WINDOW
    if left < needed:
        time.sleep(left + 1)


def test_a_rate_limit_counts_the_requests_made_through_both_servers(servers, delegate, open_survey):
    first, second = servers
    _token, secret = api_services.token_create(actor=delegate.user, name="Script")
    (question,) = questions_of(open_survey)
    option = question.options.order_by("position").first().pk
    _wait_for_a_fresh_window()

    statuses = [
        _submit(Visitor(), servers[i % 2], open_survey, secret, option)[0]
        for i in range(SUBMISSION_LIMIT)
    ]
    assert statuses == [200] * SUBMISSION_LIMIT
    over_on_first, _headers, body = _submit(Visitor(), first, open_survey, secret, option)
    over_on_second, headers, _body = _submit(Visitor(), second, open_survey, secret, option)
    assert over_on_first == over_on_second == 429, body
    assert '"rate_limited"' in body
    assert int(headers["Retry-After"]) >= 1


def test_a_lockout_caused_through_one_server_applies_on_the_other(servers, delegate):
    first, second = servers
    statuses = [
        Visitor().log_in(first, delegate.email, "wrong password 1")[0]
        for _attempt in range(login_throttle.ACCOUNT_LIMIT)
    ]
    assert statuses[:-1] == [400] * (login_throttle.ACCOUNT_LIMIT - 1)

    visitor = Visitor()
    status, headers, _page = visitor.log_in(second, delegate.email, PASSWORD)
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert not visitor.is_logged_in_on(second)
    assert not visitor.is_logged_in_on(first)
