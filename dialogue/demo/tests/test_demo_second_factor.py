"""The demo staff login passes the second factor with the published demo secret, and
`dialogue totp-code` gives its current code outside production only."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from dialogue.demo import loader
from dialogue.members import two_factor

STAFF = "staff@dialogue.example.org"


def test_the_demo_staff_account_has_a_confirmed_device_with_the_demo_secret(first_run, db):
    device = two_factor.confirmed_device(loader.User.objects.get(email=STAFF))
    assert device is not None and device.name == loader.DEMO_DEVICE_NAME
    assert two_factor.secret_text(device).replace(" ", "") == loader.DEMO_TOTP_SECRET
    assert "secret=" + loader.DEMO_TOTP_SECRET in device.config_url


def test_load_demo_prints_the_secret_its_uri_and_how_to_get_a_code(first_run, db, demo_media):
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    output = out.getvalue()
    assert loader.DEMO_TOTP_SECRET in output
    assert "otpauth://totp/" in output
    assert f"dialogue totp-code {STAFF}" in output
    assert TOTPDevice.objects.filter(user__email=STAFF).count() == 1


def test_totp_code_prints_a_code_that_logs_the_demo_staff_in(first_run, db, client):
    out = io.StringIO()
    call_command("totp-code", STAFF, stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    client.post(
        reverse("portal:login"),
        {"username": STAFF, "password": loader.DEMO_PASSWORD},
        REMOTE_ADDR="192.0.2.1",
    )
    response = client.post(reverse("portal:second_factor"), {"code": code, "next": "/en/staff/"})
    assert response["Location"] == "/en/staff/"
    assert client.get("/en/staff/").status_code == 200


def test_totp_code_refuses_to_run_in_production(first_run, db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="DIALOGUE_ENV=production"):
        call_command("totp-code", STAFF, stdout=io.StringIO())


def test_totp_code_names_an_unknown_account_or_one_without_a_device(first_run, db):
    with pytest.raises(CommandError, match="No account"):
        call_command("totp-code", "nobody@example.org", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no confirmed authenticator"):
        call_command("totp-code", "delegate@mission-mex.example.org", stdout=io.StringIO())
