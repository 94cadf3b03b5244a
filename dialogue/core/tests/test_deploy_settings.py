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
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))",
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


def test_production_refuses_to_start_in_debug_mode():
    result = run("-c", "import dialogue.settings", **production(DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must be off when DIALOGUE_ENV=production" in result.stderr


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


CHECKLIST = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "MIDDLEWARE",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_PATH",
    "CSRF_TRUSTED_ORIGINS",
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS",
    "DATA_UPLOAD_MAX_NUMBER_FILES",
    "FILE_UPLOAD_MAX_MEMORY_SIZE",
    "CONTENT_SECURITY_POLICY",
    "DATABASES",
)
SECURITY = "django.middleware.security.SecurityMiddleware"
# Middleware that sets a security header on every answer, including answers another
# middleware gives by itself (a static file, a lockout, a second-factor redirect).
HEADER_MIDDLEWARE = (
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "dialogue.core.middleware.PermissionsPolicyMiddleware",
)
BUILT_IN_VALIDATORS = {
    f"django.contrib.auth.password_validation.{name}"
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
}
YEAR = 365 * 24 * 3600


def test_production_settings_follow_the_deployment_checklist():
    values = settings_of(
        *CHECKLIST,
        **production(CSRF_TRUSTED_ORIGINS="https://dialogue.example.org"),
    )

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["dialogue.example.org"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://dialogue.example.org"]

    middleware = values["MIDDLEWARE"]
    assert middleware[0] == SECURITY
    assert "django.middleware.csrf.CsrfViewMiddleware" in middleware
    answers_alone = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    for name in HEADER_MIDDLEWARE:
        assert middleware.index(name) < answers_alone, name

    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True

    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True, cookie
        assert values[f"{cookie}_COOKIE_SAMESITE"] == "Lax", cookie
        # The __Host- prefix holds only for a Secure cookie with no Domain and path "/".
        assert values[f"{cookie}_COOKIE_NAME"].startswith("__Host-"), cookie
        assert values[f"{cookie}_COOKIE_DOMAIN"] is None, cookie
        assert values[f"{cookie}_COOKIE_PATH"] == "/", cookie
    assert values["SESSION_COOKIE_HTTPONLY"] is True

    assert values["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    validators = {v["NAME"]: v.get("OPTIONS", {}) for v in values["AUTH_PASSWORD_VALIDATORS"]}
    assert validators.keys() >= BUILT_IN_VALIDATORS
    minimum = validators["django.contrib.auth.password_validation.MinimumLengthValidator"]
    assert minimum["min_length"] >= 12

    assert 0 < values["DATA_UPLOAD_MAX_MEMORY_SIZE"] <= 10 * 1024 * 1024
    assert 0 < values["FILE_UPLOAD_MAX_MEMORY_SIZE"] <= 10 * 1024 * 1024
    assert 0 < values["DATA_UPLOAD_MAX_NUMBER_FIELDS"] <= 1000
    assert 0 < values["DATA_UPLOAD_MAX_NUMBER_FILES"] <= 100

    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    for name in ("default-src", "script-src", "style-src"):
        assert directives[name] == ["'self'"], name
    for name in ("object-src", "base-uri", "frame-ancestors"):
        assert directives[name] == ["'none'"], name
    assert directives["upgrade-insecure-requests"] is True

    database = values["DATABASES"]["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        options = database["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert options["timeout"] >= 5
        pragmas = options["init_command"].replace(" ", "").lower()
        for pragma in ("journal_mode=wal", "synchronous=full", "foreign_keys=on"):
            assert f"pragma{pragma};" in pragmas, pragma


POLICY_AS_SENT = (
    "from django.http import HttpResponse; from django.test import RequestFactory; "
    "from csp.middleware import CSPMiddleware; "
    "print(CSPMiddleware(lambda request: HttpResponse())(RequestFactory().get('/'))"
    "['Content-Security-Policy'])"
)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_production_policy_upgrades_requests_and_refuses_inline_script():
    result = run("-c", f"import django; django.setup(); {POLICY_AS_SENT}", **production())
    assert result.returncode == 0, result.stderr
    policy = _directives(result.stdout.strip())
    assert policy["upgrade-insecure-requests"] == []
    for name in ("default-src", "script-src"):
        assert "'unsafe-inline'" not in policy[name]
        assert "'unsafe-eval'" not in policy[name]


def test_development_policy_leaves_plain_http_alone():
    # A development server answers on http://127.0.0.1 only: upgrading would break it.
    result = run("-c", f"import django; django.setup(); {POLICY_AS_SENT}")
    assert result.returncode == 0, result.stderr
    assert "upgrade-insecure-requests" not in _directives(result.stdout.strip())


def test_development_cookies_keep_their_plain_names():
    # Without HTTPS a browser refuses a __Host- cookie, which would make logging in impossible.
    values = settings_of("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE")
    assert values == {
        "SESSION_COOKIE_NAME": "sessionid",
        "CSRF_COOKIE_NAME": "csrftoken",
        "SESSION_COOKIE_SECURE": False,
    }


def test_deploy_check_fails_on_a_weak_secret_key():
    result = run(*DEPLOY_CHECK, **production(SECRET_KEY="django-insecure-" + "x" * 50))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


READ_PRAGMAS = (
    "import django, json; django.setup(); from django.db import connection; "
    "cursor = connection.cursor(); "
    "print(json.dumps({name: cursor.execute(f'PRAGMA {name}').fetchone()[0] "
    "for name in ('journal_mode', 'synchronous', 'foreign_keys')}))"
)


def test_sqlite_connections_commit_durably(tmp_path):
    result = run("-c", READ_PRAGMAS, DATABASE_URL=f"sqlite:///{tmp_path / 'durability.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
