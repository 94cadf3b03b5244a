"""The staff second factor: after the password, a TOTP code; until then the session has no
powers (staff pages, admin and portal ask for the code; elsewhere it is a visitor's)."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.mail.models import Message
from dialogue.members import two_factor
from dialogue.members.tests.factories import PersonFactory, StaffUserFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(db):
    return StaffUserFactory(email="clerk@secretariat.example.org")


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)


def _password(client, user, next_url=""):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("portal:login"), data, REMOTE_ADDR="192.0.2.1")


def _code(device, steps_ahead=0):
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_password_of_a_staff_account_leads_to_the_code_page(client, device, staff):
    response = _password(client, staff, next_url="/en/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:second_factor"))
    assert "next=%2Fen%2Fstaff%2F" in response["Location"]


@pytest.mark.parametrize("path", ["/en/staff/", "/en/admin/", "/en/portal/", "/fr/staff/"])
def test_a_half_logged_in_staff_session_is_sent_to_the_code_page(client, device, staff, path):
    _password(client, staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:second_factor"))


def test_a_half_logged_in_staff_session_is_a_visitor_on_the_public_site(client, device, staff):
    _password(client, staff)
    response = client.get(reverse("site:home"))
    assert response.status_code == 200
    assert reverse("staff:home") not in response.content.decode()
    assert response.context["user"].is_anonymous


def test_a_half_logged_in_staff_session_gets_no_powers_through_the_api(client, device, staff):
    PersonFactory()
    _password(client, staff)
    response = client.get("/api/v1/persons")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    client.post(reverse("portal:second_factor"), {"code": _code(device)})
    response = client.get("/api/v1/persons")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_the_right_code_opens_the_staff_pages_under_a_new_session_key(client, device, staff):
    _password(client, staff, next_url="/en/staff/")
    key_after_password = client.cookies["sessionid"].value
    response = client.post(
        reverse("portal:second_factor"), {"code": _code(device), "next": "/en/staff/"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    assert client.cookies["sessionid"].value != key_after_password
    assert client.get("/en/staff/").status_code == 200
    assert client.get("/en/admin/").status_code == 200
    passed = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN, note="second factor passed")
    assert passed.count() == 1


def test_a_code_works_once(client, device, staff):
    code = _code(device)
    _password(client, staff)
    client.post(reverse("portal:second_factor"), {"code": code})
    client.post(reverse("portal:logout"))
    _password(client, staff)
    response = client.post(reverse("portal:second_factor"), {"code": code})
    assert response.status_code == 400
    assert "This code is not valid" in response.content.decode()


def test_a_wrong_code_is_refused_audited_and_throttled(client, device, staff):
    _password(client, staff)
    right = _code(device)
    response = client.post(reverse("portal:second_factor"), {"code": _wrong(right)})
    assert response.status_code == 400
    assert "This code is not valid" in response.content.decode()
    response = client.post(reverse("portal:second_factor"), {"code": right})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/en/staff/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    failures = AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, object_type="otp_totp.totpdevice"
    ).order_by("id")
    notes = [entry.note for entry in failures]
    assert notes[0] == "log-in: wrong code"
    assert notes[1].startswith("log-in: refused, too many wrong codes; wait until ")
    assert len(notes) == 2


def test_malformed_codes_get_a_message_and_do_not_count(client, device, staff):
    _password(client, staff)
    response = client.post(reverse("portal:second_factor"), {"code": "12ab56"})
    assert "Type the 6 digits that the app shows." in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_typed_with_spaces_is_accepted(client, device, staff):
    _password(client, staff)
    code = _code(device)
    response = client.post(reverse("portal:second_factor"), {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_the_code_page_refuses_to_send_elsewhere(client, device, staff):
    _password(client, staff)
    response = client.post(
        reverse("portal:second_factor"), {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:home")


def _enrolment_link(staff) -> str:
    """The path of the newest enrolment link e-mailed to `staff`, with its query."""
    sent = [email for email in mail.outbox if email.to == [staff.email]][-1]
    url = re.search(r"https?://\S+", sent.body).group(0)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_a_staff_account_without_a_device_enrols_one_then_passes(client, staff):
    response = _password(client, staff, next_url="/en/staff/")
    assert response["Location"].startswith(reverse("portal:second_factor_enrol"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "c•••@secretariat.example.org" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert two_factor.secret_text(device) not in page.content.decode()
    sent = client.post(response["Location"])
    assert sent.status_code == 302
    opened = client.get(_enrolment_link(staff))
    assert opened["Location"] == f"{reverse('portal:second_factor_enrol')}?next=%2Fen%2Fstaff%2F"
    page = client.get(opened["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    secret = two_factor.secret_text(device)
    assert secret in html
    assert re.search(r"<svg [^>]*role=\"img\"", html)
    assert " style=" not in html and "<script" not in html
    assert client.get("/en/staff/").status_code == 302
    wrong = client.post(page.request["PATH_INFO"], {"code": _wrong(_code(device))})
    assert "This code is not valid" in wrong.content.decode()
    device.throttle_reset()
    response = client.post(
        reverse("portal:second_factor_enrol"), {"code": _code(device), "next": "/en/staff/"}
    )
    assert response["Location"] == "/en/staff/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/en/staff/").status_code == 200
    assert AuditEntry.objects.filter(note__contains="authenticator app enrolled").count() == 1
    assert AuditEntry.objects.filter(note__contains="enrolment link e-mailed").count() == 1


def test_the_password_alone_never_shows_the_secret_nor_confirms_a_device(client, staff):
    _password(client, staff)
    device = two_factor.enrolment_device(user=staff)
    page = client.get(reverse("portal:second_factor_enrol"))
    assert two_factor.secret_text(device) not in page.content.decode()
    client.post(reverse("portal:second_factor_enrol"), {"code": _code(device)})
    device.refresh_from_db()
    assert not device.confirmed
    with pytest.raises(DomainError) as refused:
        two_factor.enrolment_confirm(user=staff, code=_code(device), token=None)
    assert refused.value.code == "not_proven"


def test_the_enrolment_e_mail_goes_to_the_account_with_a_link_for_this_session(client, staff):
    _password(client, staff)
    client.post(reverse("portal:second_factor_enrol"))
    message = Message.objects.get(kind=Message.Kind.SECOND_FACTOR)
    (sent,) = mail.outbox
    assert message.to == staff.email
    assert sent.to == [staff.email]
    assert "/en/portal/login/authenticator/" in sent.body
    assert "30 minutes" in sent.body
    assert "/en/portal/login/authenticator/" not in message.body


def test_an_account_whose_address_cannot_be_mailed_is_told_so_and_nothing_is_sent(client, db):
    staff = StaffUserFactory(email="clerk-at-secretariat")
    _password(client, staff)
    response = client.post(reverse("portal:second_factor_enrol"), follow=True)
    assert response.status_code == 200
    assert "is not an e-mail address" in response.content.decode()
    assert not Message.objects.filter(kind=Message.Kind.SECOND_FACTOR).exists()


def test_a_second_request_within_a_minute_sends_no_second_e_mail(client, staff):
    _password(client, staff)
    client.post(reverse("portal:second_factor_enrol"))
    response = client.post(reverse("portal:second_factor_enrol"), follow=True)
    assert "less than a minute ago" in response.content.decode()
    assert Message.objects.filter(kind=Message.Kind.SECOND_FACTOR).count() == 1


def test_a_link_opened_in_another_browser_asks_for_the_password_then_works(client, staff):
    _password(client, staff)
    client.post(reverse("portal:second_factor_enrol"))
    link = _enrolment_link(staff)
    other = Client()
    response = other.get(link)
    assert response["Location"].startswith(reverse("portal:login"))
    response = _password(other, staff, next_url=link)
    assert response["Location"] == link
    response = other.get(link)
    page = other.get(response["Location"])
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert two_factor.secret_text(device) in page.content.decode()


def test_a_link_for_another_account_shows_no_secret(client, staff):
    colleague = StaffUserFactory(email="other@secretariat.example.org")
    colleague_device = two_factor.enrolment_device(user=colleague)
    _password(client, staff)
    token = two_factor.enrolment_link_token(colleague_device)
    response = client.get(reverse("portal:second_factor_enrol_link", args=[token]), follow=True)
    html = response.content.decode()
    assert "This link has expired" in html
    own = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert two_factor.secret_text(own) not in html
    assert two_factor.secret_text(colleague_device) not in html


def test_a_link_older_than_its_age_or_for_a_replaced_secret_is_refused(staff, monkeypatch):
    device = two_factor.enrolment_device(user=staff)
    token = two_factor.enrolment_link_token(device)
    assert two_factor.enrolment_proven(user=staff, token=token)
    later = time.time() + two_factor.ENROLMENT_LINK_AGE.total_seconds() + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert not two_factor.enrolment_proven(user=staff, token=token)
    monkeypatch.undo()
    device.delete()
    two_factor.enrolment_device(user=staff)
    assert not two_factor.enrolment_proven(user=staff, token=token)
    assert not two_factor.enrolment_proven(user=staff, token=token + "x")


def test_enrolment_keeps_the_same_secret_across_visits(client, staff):
    _password(client, staff)
    client.get(reverse("portal:second_factor_enrol"))
    client.get(reverse("portal:second_factor_enrol"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_an_account_with_a_device_cannot_enrol_another(client, device, staff):
    _password(client, staff)
    response = client.get(reverse("portal:second_factor_enrol"))
    assert response["Location"].startswith(reverse("portal:second_factor"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_delegates_log_in_with_the_password_alone(client, db):
    person = PersonFactory(with_account=True)
    response = _password(client, person.user)
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(reverse("portal:second_factor")).status_code == 302


def test_a_superuser_without_is_staff_needs_the_second_factor_too(client, db):
    boss = UserFactory(is_superuser=True)
    TOTPDevice.objects.create(user=boss, name="Phone", confirmed=True)
    response = _password(client, boss)
    assert response["Location"].startswith(reverse("portal:second_factor"))


def test_a_half_logged_in_staff_can_log_out(client, device, staff):
    _password(client, staff)
    client.post(reverse("portal:logout"))
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT, actor=staff).exists()


def test_force_login_in_tests_stands_for_the_second_factor(client, staff):
    client.force_login(staff)
    assert DEVICE_ID_SESSION_KEY in client.session
    assert client.get("/en/staff/").status_code == 200


def test_a_session_marked_with_another_accounts_device_is_not_verified(client, device, staff):
    other = StaffUserFactory()
    _password(client, other)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get("/en/staff/").status_code == 302


def test_code_now_gives_the_next_code_once_the_current_one_was_used(device):
    at = time.time()
    first = two_factor.code_now(device, at=at)
    assert device.verify_token(first)
    device.refresh_from_db()
    second = two_factor.code_now(device, at=at)
    assert second != first
    assert device.verify_token(second)
