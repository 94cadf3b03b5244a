"""Production settings are safe: Django's deployment checks pass and nothing insecure is a default.

Settings are read once per process, so each case runs in a fresh interpreter
with the environment under test.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]

# Variables that change what the settings module does; each case starts without them.
SETTINGS_VARIABLES = (
    "DIALOGUE_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "BEHIND_TLS_PROXY",
)

DEPLOY_CHECK = ("-m", "dialogue", "check", "--deploy", "--fail-level", "WARNING")


def run(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run `python *args` in the project directory with the given settings variables."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "dialogue.settings"
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production(**extra: str) -> dict[str, str]:
    return {
        "DIALOGUE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "dialogue.example.org",
        **extra,
    }


def settings_of(*names: str, **environment: str) -> dict:
    """The values of settings `names` as a fresh process with `environment` sees them."""
    result = run(
        "-c",
        "import json, sys; from django.conf import settings; "
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))",
        *names,
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_passes_with_production_settings():
    result = run(*DEPLOY_CHECK, **production())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output
    assert "ERRORS" not in output


def test_deploy_check_passes_behind_a_tls_proxy():
    result = run(
        *DEPLOY_CHECK,
        **production(BEHIND_TLS_PROXY="true", CSRF_TRUSTED_ORIGINS="https://dialogue.example.org"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_fails_on_a_weakened_setting():
    # The check above has teeth: turning off the HTTPS redirect is reported and fails.
    result = run(*DEPLOY_CHECK, **production(SECURE_SSL_REDIRECT="false"))
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    environment = production()
    del environment[missing]
    result = run("-c", "import dialogue.settings", **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set when DIALOGUE_ENV=production" in result.stderr


def test_the_dialogue_command_refuses_production_without_a_secret_key():
    environment = production()
    del environment["SECRET_KEY"]
    result = run("-m", "dialogue", "check", **environment)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    assert settings_of("DEBUG") == {"DEBUG": False}
    assert settings_of("DEBUG", **production()) == {"DEBUG": False}


def test_production_uses_its_own_key_and_turns_on_transport_security():
    key = secrets.token_urlsafe(48)
    values = settings_of(
        "SECRET_KEY",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        **production(SECRET_KEY=key),
    )
    assert values["SECRET_KEY"] == key
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
