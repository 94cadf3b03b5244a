"""Log-in throttling (RELIABILITY S10): at most 10 failed password checks per account per
15 minutes, at most 100 failed log-ins per address per hour, then 429 until the window
frees up, with every failure in the audit trail."""

import datetime

import pytest
from axes.models import AccessFailureLog
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from dialogue.core.models import AuditEntry
from dialogue.members import login_throttle
from dialogue.members.tests.factories import PersonFactory, StaffUserFactory, UserFactory

PASSWORD = "correct-horse-battery"
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@pytest.fixture
def account(db):
    return UserFactory(email="ana@mission.example.org")


def _log_in(client, email, password, address=ATTACKER, path=None):
    return client.post(
        path or reverse("portal:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


def _fail(client, email, times, address=ATTACKER):
    for _ in range(times):
        response = _log_in(client, email, "wrong password", address)
    return response


def _password_checks(monkeypatch):
    """Count how often a password is really checked."""
    checks = []
    import django.contrib.auth.base_user as base_user

    def counting(password, encoded, setter=None, preferred="default"):
        checks.append(password)
        return check_password(password, encoded, setter, preferred)

    monkeypatch.setattr(base_user, "check_password", counting)
    return checks


def test_nine_failures_still_let_the_right_password_in(client, account):
    response = _fail(client, account.email, 9)
    assert response.status_code == 400
    response = _log_in(client, account.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_a_right_password_leaves_no_failure_behind(client, account):
    _fail(client, account.email, 3)
    assert _log_in(client, account.email, PASSWORD).status_code == 302
    assert login_throttle.failures_in_window(username=account.email) == 3
    assert AccessFailureLog.objects.filter(username=account.email).count() == 3


def test_the_failure_is_recorded_before_the_password_is_checked(client, account, monkeypatch):
    seen = []
    import django.contrib.auth.base_user as base_user

    def watching(password, encoded, setter=None, preferred="default"):
        seen.append(login_throttle.failures_in_window(username=account.email))
        return check_password(password, encoded, setter, preferred)

    monkeypatch.setattr(base_user, "check_password", watching)
    _log_in(client, account.email, "wrong password")
    _log_in(client, account.email, PASSWORD)
    assert seen == [1, 2]
    assert login_throttle.failures_in_window(username=account.email) == 1


def test_tenth_failure_locks_the_account_with_a_429_page_saying_when_to_try_again(client, account):
    _fail(client, account.email, 9)
    response = _fail(client, account.email, 1)
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed log-in attempts" in content
    assert "Try again after" in content
    assert 'class="site-header"' in content  # the site's layout
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_locked_out_account_gets_429_even_with_right_password(client, account):
    _fail(client, account.email, 10)
    response = _log_in(client, account.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_only_ten_passwords_are_checked_among_a_thousand_tries(client, account, monkeypatch):
    checks = _password_checks(monkeypatch)
    statuses = [_log_in(client, account.email, f"guess {n}").status_code for n in range(1000)]
    assert len(checks) == login_throttle.ACCOUNT_LIMIT
    assert statuses.count(429) == 1000 - login_throttle.ACCOUNT_LIMIT + 1
    assert AccessFailureLog.objects.filter(username=account.email).count() == 10


def test_the_account_lock_holds_from_any_address_and_in_any_letter_case(client, account):
    _fail(client, account.email, 10, address=ATTACKER)
    response = _log_in(client, account.email.upper(), PASSWORD, address=COLLEAGUE)
    assert response.status_code == 429


def test_other_accounts_log_in_while_one_account_is_attacked(client, account):
    colleague = UserFactory(email="bo@mission.example.org")
    _fail(client, account.email, 50, address=ATTACKER)
    response = _log_in(client, colleague.email, PASSWORD, address=COLLEAGUE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_the_attacked_account_itself_is_locked_from_every_address_until_the_window_frees(
    client, account
):
    _fail(client, account.email, 10)
    AccessFailureLog.objects.update(
        attempt_time=AccessFailureLog.objects.first().attempt_time
        - login_throttle.ACCOUNT_WINDOW
        - datetime.timedelta(seconds=1)
    )
    response = _log_in(client, account.email, PASSWORD, address=COLLEAGUE)
    assert response.status_code == 302


def test_lock_ends_when_the_oldest_counted_failure_leaves_the_window(client, account):
    _fail(client, account.email, 10)
    oldest = AccessFailureLog.objects.order_by("attempt_time").first()
    lockout = login_throttle.lockout_for(username=account.email, ip_address=None)
    assert lockout.account and not lockout.address
    assert lockout.until == oldest.attempt_time + login_throttle.ACCOUNT_WINDOW
    later = lockout.until + datetime.timedelta(seconds=1)
    assert login_throttle.lockout_for(username=account.email, ip_address=None, now=later) is None


def test_refusals_during_a_lockout_do_not_extend_it(client, account):
    _fail(client, account.email, 10)
    before = login_throttle.lockout_for(username=account.email, ip_address=None).until
    _fail(client, account.email, 20)
    after = login_throttle.lockout_for(username=account.email, ip_address=None).until
    assert after == before
    assert AccessFailureLog.objects.count() == 10


def test_an_address_is_locked_after_a_hundred_failures_on_as_many_accounts(client, db):
    victim = UserFactory(email="victim@mission.example.org")
    for n in range(login_throttle.ADDRESS_LIMIT - 1):
        assert _log_in(client, f"user{n}@stuffing.example", "guess").status_code == 400
    response = _log_in(client, f"user{99}@stuffing.example", "guess")
    assert response.status_code == 429
    assert _log_in(client, victim.email, PASSWORD).status_code == 429
    assert _log_in(client, victim.email, PASSWORD, address=COLLEAGUE).status_code == 302


def test_the_address_lock_lasts_an_hour(db):
    now = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(username=f"u{n}@x.example", ip_address=ATTACKER) for n in range(100)
    )
    AccessFailureLog.objects.update(attempt_time=now)
    lockout = login_throttle.lockout_for(username=None, ip_address=ATTACKER, now=now)
    assert lockout.address and lockout.until == now + datetime.timedelta(hours=1)
    assert (
        login_throttle.lockout_for(
            username=None, ip_address=ATTACKER, now=now + datetime.timedelta(minutes=61)
        )
        is None
    )


def test_the_admin_log_in_is_throttled_too(client, db):
    staff = StaffUserFactory()
    admin_login = reverse("admin:login")
    for _ in range(9):
        assert _log_in(client, staff.email, "wrong", path=admin_login).status_code == 200
    assert _log_in(client, staff.email, "wrong", path=admin_login).status_code == 429
    response = _log_in(client, staff.email, PASSWORD, path=admin_login)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_the_portal_and_admin_log_ins_count_against_one_limit(client, db):
    staff = StaffUserFactory()
    _fail(client, staff.email, 5)
    for _ in range(5):
        _log_in(client, staff.email, "wrong", path=reverse("admin:login"))
    assert _log_in(client, staff.email, PASSWORD).status_code == 429


def test_every_failure_is_audited_once_and_the_lockout_in_its_failure(client, account):
    _fail(client, account.email, 12)
    failures = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).order_by("id")
    assert failures.count() == 12
    assert {entry.object_repr for entry in failures} == {account.email}
    notes = [entry.note for entry in failures]
    assert notes[:9] == [""] * 9
    assert notes[9].startswith("locked out until ")
    assert "10 failed log-ins for this account within 15 minutes" in notes[9]
    assert all(n.startswith("refused without checking the password") for n in notes[10:])
    assert all(entry.ip_address == ATTACKER for entry in failures)
    assert "locked_out_until" in failures[9].changes


def test_the_lockout_page_is_translated(client, account):
    _fail(client, account.email, 10)
    response = client.post(
        reverse("portal:login").replace("/en/", "/fr/"),
        {"username": account.email, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 429
    assert '<html lang="fr">' in response.content.decode()


def test_staff_lift_a_lockout_and_it_is_audited(client, account):
    staff = StaffUserFactory()
    _fail(client, account.email, 10)
    forgotten = login_throttle.lockout_lift(actor=staff, username=account.email.upper())
    assert forgotten == 10
    assert _log_in(client, account.email, PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(note="log-in lockout lifted")
    assert entry.actor == staff and entry.object_repr == account.email


def test_delegates_cannot_lift_lockouts(account):
    delegate = PersonFactory(with_account=True).user
    from dialogue.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        login_throttle.lockout_lift(actor=delegate, username=account.email)


def test_lifting_needs_an_account_or_a_valid_address(db):
    staff = StaffUserFactory()
    from dialogue.core.errors import DomainError

    with pytest.raises(DomainError):
        login_throttle.lockout_lift(actor=staff)
    with pytest.raises(DomainError):
        login_throttle.lockout_lift(actor=staff, ip_address="not an address")


def test_staff_see_and_lift_lockouts_in_the_admin(client, account):
    _fail(client, account.email, 10)
    client.force_login(StaffUserFactory(is_superuser=True))
    changelist = reverse("admin:axes_accessfailurelog_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert account.email in page.content.decode()
    rows = list(AccessFailureLog.objects.values_list("pk", flat=True))
    response = client.post(
        changelist, {"action": "lift_lockouts", "_selected_action": rows[:1]}, follow=True
    )
    assert "Lockouts lifted; 10 failed log-ins forgotten." in response.content.decode()
    assert login_throttle.lockout_for(username=account.email, ip_address=ATTACKER) is None


def test_behind_a_tls_proxy_the_address_is_the_one_the_proxy_added(client, account, settings):
    settings.BEHIND_TLS_PROXY = True
    for n in range(10):
        client.post(
            reverse("portal:login"),
            {"username": account.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}",
        )
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_without_a_proxy_a_forwarded_header_is_ignored(client, account):
    client.post(
        reverse("portal:login"),
        {"username": account.email, "password": "wrong"},
        REMOTE_ADDR=COLLEAGUE,
        HTTP_X_FORWARDED_FOR=ATTACKER,
    )
    assert list(AccessFailureLog.objects.values_list("ip_address", flat=True)) == [COLLEAGUE]
