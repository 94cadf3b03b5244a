"""Security headers on every kind of response: a strict Content-Security-Policy, frame denial,
no MIME sniffing, a same-origin referrer and opener policy and denied browser features.

Downloads keep their stricter `sandbox` policy, and no template a page is made from holds
code the policy would refuse.
"""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path, reverse
from django_otp import DEVICE_ID_SESSION_KEY

from dialogue import urls as project_urls
from dialogue.core.middleware import DENIED_BROWSER_FEATURES
from dialogue.site.tests.document_factories import make_document

PACKAGE_DIR = Path(__file__).resolve().parents[2]


def _broken_view(request):
    raise RuntimeError("a failure the server did not expect")


# The project's own URLs plus one view that fails, to see the server-error page.
urlpatterns = [path("broken/", _broken_view), *project_urls.urlpatterns]


def parse_policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in policy, f"{words[0]} appears twice in {header!r}"
            policy[words[0]] = words[1:]
    return policy


def assert_strict_page_headers(response) -> None:
    """The headers every page and API answer carries."""
    policy = parse_policy(response["Content-Security-Policy"])
    for directive in ("default-src", "script-src", "style-src"):
        assert policy[directive] == ["'self'"], (directive, policy)
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert_common_headers(response)


def assert_common_headers(response) -> None:
    """The headers every response carries, downloads included."""
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature


def test_the_policy_refuses_inline_and_evaluated_script_everywhere(client, db):
    policy = parse_policy(client.get("/en/")["Content-Security-Policy"])
    for directive in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        assert not any(source.startswith(("'nonce-", "'sha")) for source in policy[directive])
    for directive in ("script-src-elem", "script-src-attr", "style-src-elem", "style-src-attr"):
        assert directive not in policy
    assert "upgrade-insecure-requests" not in policy


def test_public_page_carries_the_security_headers(client, db):
    response = client.get("/en/")
    assert response.status_code == 200
    assert_strict_page_headers(response)


def test_portal_page_of_a_delegate_carries_the_security_headers(client, delegate):
    client.force_login(delegate.user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert_strict_page_headers(response)


def test_staff_page_carries_the_security_headers(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert_strict_page_headers(response)


def test_django_admin_carries_the_security_headers(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_strict_page_headers(response)


def test_an_answer_given_by_a_middleware_carries_the_security_headers(client, staff_user):
    # A staff session without its second factor is sent away before any view runs.
    client.force_login(staff_user)
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]
    session.save()
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302
    assert_strict_page_headers(response)


def test_api_answer_carries_the_security_headers(client, member_state):
    response = client.get("/api/v1/members")
    assert response.status_code == 200
    assert_strict_page_headers(response)


def test_api_error_carries_the_security_headers(client, db):
    response = client.get("/api/v1/members/NOPE")
    assert response.status_code == 404
    assert response.json()["error"]["code"]
    assert_strict_page_headers(response)


def test_api_documentation_is_served_from_local_files_under_the_policy(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert_strict_page_headers(response)
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    # Only a JSON data block is inline; the browser never runs it.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    assert '"validatorUrl": "none"' in html


def test_page_not_found_carries_the_security_headers(client, db):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert_strict_page_headers(response)


@pytest.mark.urls(__name__)
def test_server_error_page_carries_the_security_headers(db):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert_strict_page_headers(response)


def test_document_download_keeps_its_sandbox_policy(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    version = make_document(text="<script>alert(1)</script>").versions.get()
    response = client.get(reverse("site:document_download", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith("attachment;")
    assert_common_headers(response)


def test_api_document_download_keeps_its_sandbox_policy(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = make_document(languages=("fr",))
    response = client.get(f"/api/v1/documents/{document.pk}/versions/fr/download")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"
    assert_common_headers(response)


def test_every_denied_browser_feature_is_named_once():
    assert len(set(DENIED_BROWSER_FEATURES)) == len(DENIED_BROWSER_FEATURES)
    assert "interest-cohort" not in DENIED_BROWSER_FEATURES


# Templates that never reach a browser as a page under the policy: PDF sources and the
# standalone Discussion Note, which is downloaded as a file (attachment) or printed to PDF.
NOT_PAGES = {
    "events/templates/events/pdf/badges.html",
    "events/templates/events/pdf/sign_in_sheet.html",
    "documents/templates/documents/note/document.html",
}
REFUSED_IN_TEMPLATES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)"),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style= attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE),
    "on*= handler": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _page_templates() -> list[Path]:
    templates = sorted(PACKAGE_DIR.glob("**/templates/**/*.html"))
    return [t for t in templates if str(t.relative_to(PACKAGE_DIR)) not in NOT_PAGES]


def test_no_page_template_holds_code_the_policy_would_refuse():
    templates = _page_templates()
    assert len(templates) > 50
    found = [
        f"{template.relative_to(PACKAGE_DIR)}: {what}"
        for template in templates
        for what, pattern in REFUSED_IN_TEMPLATES.items()
        if pattern.search(template.read_text())
    ]
    assert not found, "\n".join(found)


def test_the_template_scan_finds_each_kind_of_refused_code():
    samples = {
        "inline <script>": '<script>alert(1)</script><script src="/static/x.js"></script>',
        "<style> block": "<style>p { color: red }</style>",
        "style= attribute": '<p class="x" style="color: red">',
        "on*= handler": '<button type="button" onclick="go()">',
        "javascript: URL": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert REFUSED_IN_TEMPLATES[what].search(sample), what
    assert not any(
        pattern.search('<script src="/static/x.js"></script><p class="one">')
        for pattern in REFUSED_IN_TEMPLATES.values()
    )
