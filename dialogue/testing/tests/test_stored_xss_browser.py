"""Stored XSS in a real browser: the payloads of every text field, shown by the public,
portal, staff and admin pages in Chromium, run nothing.

The data set is the one `test_stored_xss` parses (every text field people write holds
the payloads). Each page is opened as the reader it is meant for; a payload that ran
would open a dialog (`alert(1)`) or, refused by the Content-Security-Policy, leave a
console error. Both are counted, with uncaught script errors, and must be 0; and each
page must show the payload as text, so a page that dropped the data cannot pass.
"""

from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client

from dialogue.members.tests.factories import UserFactory
from dialogue.testing.tests.test_stored_xss import MARK, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@dataclass
class Watch:
    """Dialogs, console errors and script errors seen on the pages visited, per page."""

    problems: list[str] = field(default_factory=list)
    dialogs: int = 0


def _watched(page) -> Watch:
    watch = Watch()

    def on_dialog(dialog) -> None:
        watch.dialogs += 1
        watch.problems.append(f"{page.url}: dialog {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            watch.problems.append(f"{page.url}: console error: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.problems.append(f"{page.url}: script error {error}"))
    return watch


def _as(page, user, origin: str) -> None:
    """Let the browser act as `user` (a session made by the test client, second factor
    included for staff)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": origin,
            }
        ]
    )


def _visit(page, origin: str, paths: dict[str, str], watch: Watch, quiet=()) -> None:
    for name, path in paths.items():
        response = page.goto(origin + path, wait_until="load")
        if response.status != 200:
            watch.problems.append(f"{name}: HTTP {response.status}")
            continue
        # Let any script a payload would have started run before looking.
        page.wait_for_timeout(50)
        if name not in quiet and MARK not in page.locator("body").inner_text():
            watch.problems.append(f"{name}: shows none of the data")


def test_no_payload_runs_in_a_real_browser(transactional_db, live_server, page, world):  # noqa: F811
    origin = live_server.url
    watch = _watched(page)
    public = {
        "home": "/en/",
        "member": f"/en/members/{world.civ.code}/",
        "cycle": f"/en/cycles/{world.cycle.year}/",
        "event": f"/en/events/{world.event.pk}/",
        "held event": f"/en/events/{world.held.pk}/",
        "document": f"/en/publications/{world.document.pk}/",
        "search": "/en/search/?q=alert",
    }
    _visit(page, origin, public, watch)

    _as(page, world.focal.user, origin)
    portal = {
        "portal home": "/en/portal/",
        "open survey": f"/en/portal/surveys/{world.open_survey.pk}/",
        "receipt": f"/en/portal/surveys/{world.answered.pk}/receipt/",
        "results": f"/en/portal/surveys/{world.answered.pk}/results/",
        "portal event": f"/en/portal/events/{world.event.pk}/",
        "delegation": "/en/portal/delegation/",
    }
    _visit(page, origin, portal, watch)

    _as(page, world.staff, origin)
    staff = {
        "staff survey": f"/en/staff/surveys/{world.open_survey.pk}/",
        "staff results": f"/en/staff/surveys/{world.answered.pk}/results/",
        "staff event": f"/en/staff/events/{world.event.pk}/",
        "participants": f"/en/staff/events/{world.event.pk}/participants/",
        "staff document": f"/en/staff/documents/{world.document.pk}/",
        "note": f"/en/staff/notes/{world.draft.pk}/",
        "audit": "/en/staff/audit/",
    }
    _visit(page, origin, staff, watch)

    _as(page, UserFactory(is_staff=True, is_superuser=True), origin)
    admin = {
        "admin member": f"/en/admin/members/member/{world.civ.pk}/change/",
        "admin event": f"/en/admin/events/event/{world.event.pk}/change/",
        "admin survey": f"/en/admin/surveys/survey/{world.open_survey.pk}/change/",
    }
    _visit(page, origin, admin, watch)

    assert watch.dialogs == 0
    assert watch.problems == []
