"""Fixtures shared by every app's tests."""

import os

import pytest
from hypothesis import HealthCheck, settings

from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    PersonFactory,
    StaffUserFactory,
)

# Property tests try 1,000 examples each in `make test` on SQLite (RELIABILITY S9), 200 in
# its PostgreSQL run, which runs beside it and is the longer of the two, and 50 while
# working on the code: HYPOTHESIS_PROFILE=ci, ci-postgres or dev (the default).
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci-postgres", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    from django.conf import settings as django_settings

    django_settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    _let_test_flushes_empty_the_audit_trail()


APPEND_ONLY_TABLES = {
    "core_auditentry": "the audit trail is append-only",
    "surveys_responseversion": "the history of responses is append-only",
}


def _let_test_flushes_empty_the_audit_trail():
    """Transactional tests empty every table afterwards; on SQLite that is a DELETE,
    which the triggers of the append-only tables refuse, so the flush lifts them for its
    own statements only. (PostgreSQL flushes with TRUNCATE, which the triggers allow.)"""
    from django.db.backends.sqlite3 import base  # noqa: F401  (loads the module graph)
    from django.db.backends.sqlite3.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        guarded = [table for table in APPEND_ONLY_TABLES if table in tables]
        return [
            *(f"DROP TRIGGER IF EXISTS {table}_no_delete;" for table in guarded),
            *statements,
            *(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_TABLES[table]}'); END;"
                for table in guarded
            ),
        ]

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(autouse=True)
def _immediate_tasks_and_locmem_mail(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _no_public_page_kept_from_another_test(request):
    """Each test starts with an empty database, so with no copy of a public page made by
    another test: none kept by this process, and, for a test with a live server (whose
    database is emptied table by table, the cache's table aside), none in the shared
    cache either."""
    from django.core.cache import cache

    from dialogue.site.cache import forget_local_copies

    forget_local_copies()
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        cache.clear()


@pytest.fixture(autouse=True)
def _test_client_logins_as_in_a_browser(monkeypatch):
    """`client.login` passes a request from 127.0.0.1, as a browser's log-in would, so the
    log-in throttle checks it like any other. `client.force_login`, which skips the password,
    also stands for the second factor of a staff account: its session is marked as passed
    with a real confirmed TOTP device (tests of the second factor log in with the form)."""
    from django.http import HttpRequest
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dialogue.members import two_factor

    login, force_login = Client.login, Client.force_login

    def login_from_a_browser(self, **credentials):
        if "request" not in credentials:
            request = HttpRequest()
            request.method = "POST"
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        return login(self, **credentials)

    def force_login_past_the_second_factor(self, user, backend=None):
        force_login(self, user, backend)
        if two_factor.requires_second_factor(user):
            device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(
                user=user, name="Test authenticator", confirmed=True
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "login", login_from_a_browser)
    monkeypatch.setattr(Client, "force_login", force_login_past_the_second_factor)


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture
def member_state(db):
    return MemberFactory()


@pytest.fixture
def focal_point(db, member_state):
    return FocalPointFactory(delegation=member_state)


@pytest.fixture
def delegate(db, member_state):
    return PersonFactory(delegation=member_state, with_account=True)


from dialogue.mail.testing import (  # noqa: E402, F401
    _mail_leaves_when_the_code_under_test_commits,
    real_commits,
)
from dialogue.testing.browser import browser, page, pytest_collection_modifyitems  # noqa: E402, F401


@pytest.fixture
def at(monkeypatch):
    """Set the server's clock, at first in the middle of the survey factories' window
    (survey windows, rate-limit windows and session idle times follow it); call it with
    another moment to move it."""
    from dialogue.core import clock
    from dialogue.surveys.tests.factories import DURING

    def set_time(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)

    set_time(DURING)
    return set_time
