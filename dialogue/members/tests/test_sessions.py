"""Sessions (ASVS 3.2.1, 3.3.1, 3.3.2): a new key at log-in, nothing left after log-out,
an end after 15 (staff) or 30 minutes idle and after 12 hours in all."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from dialogue.core import clock
from dialogue.core.middleware import (
    ACTIVITY_RESOLUTION_SECONDS,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
)
from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import PersonFactory, StaffUserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def delegate_user(db):
    return PersonFactory(with_account=True).user


def _now() -> int:
    return int(clock.now().timestamp())


def _age(client, *, idle: int = 0, started: int = 0) -> None:
    """Move the session's last request `idle` seconds, and its start `started` seconds, back."""
    session = client.session
    session[SESSION_SEEN_KEY] = _now() - idle
    session[SESSION_STARTED_KEY] = _now() - max(started, idle)
    session.save()


def test_the_session_key_changes_at_log_in(client, delegate_user):
    session = client.session
    session["before"] = "log-in"
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    client.post(
        reverse("portal:login"),
        {"username": delegate_user.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.1",
    )
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(delegate_user.pk)


def test_a_cookie_reused_after_log_out_is_a_visitors(client, delegate_user):
    client.force_login(delegate_user)
    old_key = client.cookies["sessionid"].value
    assert client.get(reverse("portal:home")).status_code == 200
    client.post(reverse("portal:logout"))
    assert not Session.objects.filter(session_key=old_key).exists()
    client.cookies["sessionid"] = old_key
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_visitors_get_no_session(client, db):
    for url in (reverse("site:home"), reverse("portal:login"), reverse("site:events")):
        response = client.get(url)
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0


def test_a_delegate_session_lasts_29_minutes_idle_but_not_30(client, delegate_user):
    client.force_login(delegate_user)
    _age(client, idle=29 * 60)
    assert client.get(reverse("portal:home")).status_code == 200
    _age(client, idle=30 * 60)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_staff_session_ends_after_15_minutes_idle(client, db):
    staff = StaffUserFactory()
    client.force_login(staff)
    _age(client, idle=14 * 60)
    assert client.get("/en/staff/").status_code == 200
    _age(client, idle=15 * 60)
    response = client.get("/en/staff/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT).get()
    assert entry.actor == staff and entry.note == "the session was idle too long"


def test_every_session_ends_twelve_hours_after_log_in_however_active(client, delegate_user):
    client.force_login(delegate_user)
    _age(client, idle=0, started=12 * 3600 - 60)
    assert client.get(reverse("portal:home")).status_code == 200
    _age(client, idle=0, started=12 * 3600)
    assert client.get(reverse("portal:home")).status_code == 302


def test_an_expired_session_says_why_on_the_next_page(client, delegate_user):
    client.force_login(delegate_user)
    _age(client, idle=31 * 60)
    response = client.get(reverse("portal:home"), follow=True)
    assert "You were logged out after a period without activity." in response.content.decode()


def test_activity_is_written_to_the_session_at_most_once_a_minute(client, delegate_user):
    client.force_login(delegate_user)
    _age(client, idle=10)
    seen = client.session[SESSION_SEEN_KEY]
    response = client.get(reverse("portal:home"))
    assert "sessionid" not in response.cookies  # session not saved again
    assert client.session[SESSION_SEEN_KEY] == seen
    _age(client, idle=ACTIVITY_RESOLUTION_SECONDS)
    client.get(reverse("portal:home"))
    assert client.session[SESSION_SEEN_KEY] >= _now() - 2


def test_log_in_notes_when_the_session_started(client, delegate_user):
    client.post(
        reverse("portal:login"),
        {"username": delegate_user.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.1",
    )
    assert abs(client.session[SESSION_STARTED_KEY] - _now()) <= 2
