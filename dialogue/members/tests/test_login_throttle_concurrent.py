"""Log-in throttling under a concurrent attack (RELIABILITY S10): attempts that arrive at
once, in as many threads with their own database connections (as the processes of several
servers would), still get at most ACCOUNT_LIMIT passwords checked."""

import threading

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.db import connection, connections
from django.test import RequestFactory

from dialogue.members import login_throttle
from dialogue.members.tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
ATTACKERS = 30

# SQLite's in-memory test database is one cache shared by the threads, whose table locks
# fail at once instead of waiting; production SQLite is a file whose writers take turns.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database server"
)


def _slow_password_checks(monkeypatch) -> list[str]:
    """Count the passwords really checked, each check taking long enough that every
    attempt is under way before the first one ends."""
    import django.contrib.auth.base_user as base_user

    checks = []
    lock = threading.Lock()

    def counting(password, encoded, setter=None, preferred="default"):
        with lock:
            checks.append(password)
        threading.Event().wait(0.2)
        return check_password(password, encoded, setter, preferred)

    monkeypatch.setattr(base_user, "check_password", counting)
    return checks


def _at_once(attempts: list[tuple[str, str, str]]) -> list[object]:
    """Each (e-mail, password, address) tried in a thread of its own, all released at once;
    the account each log-in gave, or None."""
    start = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)
    errors: list[BaseException] = []

    def attempt(number: int, email: str, password: str, address: str) -> None:
        request = RequestFactory().post("/en/portal/login/", REMOTE_ADDR=address)
        try:
            start.wait()
            results[number] = authenticate(request, username=email, password=password)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n, *a)) for n, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_simultaneous_wrong_passwords_get_only_the_limit_checked(monkeypatch):
    account = UserFactory(email="ana@mission.example.org")
    checks = _slow_password_checks(monkeypatch)
    _at_once([(account.email, f"guess {n}", "203.0.113.7") for n in range(ATTACKERS)])
    assert len(checks) == login_throttle.ACCOUNT_LIMIT
    assert login_throttle.failures_in_window(username=account.email) == (
        login_throttle.ACCOUNT_LIMIT
    )
    assert login_throttle.lockout_for(username=account.email, ip_address=None) is not None


@pytest.mark.django_db(transaction=True)
def test_a_right_password_among_simultaneous_attempts_is_not_counted_as_a_failure(monkeypatch):
    account = UserFactory(email="ana@mission.example.org")
    account.set_password(PASSWORD)
    account.save()
    checks = _slow_password_checks(monkeypatch)
    attempts = [(account.email, PASSWORD, "198.51.100.20")] + [
        (account.email, f"guess {n}", "203.0.113.7") for n in range(5)
    ]
    results = _at_once(attempts)
    assert results[0] == account
    assert results[1:] == [None] * 5
    assert len(checks) == 6
    assert login_throttle.failures_in_window(username=account.email) == 5
