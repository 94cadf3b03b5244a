"""The Content-Security-Policy in a real browser: no page breaks it, and what it forbids is refused.

Every page visited is watched for `securitypolicyviolation` events, console errors and
warnings and uncaught script errors; a page passes when there are none and what it offers
(ranking a survey's options, the admin's widgets, the API's interactive documentation)
still works.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.urls import reverse

from dialogue.core.errors import DomainError
from dialogue.cycles.models import Consultation, Cycle
from dialogue.documents import note_services
from dialogue.documents.models import Document
from dialogue.members.tests.factories import StaffUserFactory
from dialogue.portal.tests.browser_steps import (
    DELEGATE,
    STAFF,
    load_demo,
    log_in,
    open_theme_survey,
    user,
)
from dialogue.testing.browser import save_screenshot

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "correct-horse-battery"  # the factories' password

# Runs in every document before its own scripts, through the browser's debugging protocol,
# which the page's policy does not govern.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", event => {
  window.__violations.push({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    disposition: event.disposition,
  });
});
"""


@dataclass
class Watch:
    """What went wrong on the pages visited so far, one line each, naming the page."""

    problems: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def check(self, page, label: str) -> None:
        """Collect the policy violations of the page shown now (they live in its document)."""
        self.pages.append(label)
        # Read after the tasks already queued, which include any pending violation reports.
        violations = page.evaluate(
            "() => new Promise(done => setTimeout(() => done(window.__violations || []), 50))"
        )
        for violation in violations:
            self.problems.append(f"{label} ({page.url}): violation {violation}")


@pytest.fixture
def watch(page) -> Watch:
    watch = Watch()
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message) -> None:
        # The site has no icon: the browser's own request for one is not the page's doing.
        if message.type not in ("error", "warning"):
            return
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        watch.problems.append(f"{page.url}: console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.problems.append(f"{page.url}: script error {error}"))
    return watch


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """The demo data, with its uploaded files in a temporary directory."""
    load_demo(settings, tmp_path / "media")


def _log_out(page, origin: str) -> None:
    page.goto(f"{origin}/en/")
    page.locator("form.inline-form button.link-button").click()
    page.wait_for_url(re.compile(r"/(en|fr|es)/$"))


def _public_pages(page, origin: str, watch: Watch) -> None:
    cycle = Cycle.objects.exclude(theme=None).order_by("-year").first() or Cycle.objects.first()
    document = Document.objects.filter(
        visibility=Document.Visibility.PUBLIC, status=Document.Status.PUBLISHED
    ).first()
    pages = {
        "public home": "/en/",
        "cycle page": reverse("site:cycle", args=[cycle.year]),
        "search results": reverse("site:search") + "?q=migration",
        "document page": reverse("site:document", args=[document.pk]),
        "portal login": reverse("portal:login"),
    }
    for label, path in pages.items():
        response = page.goto(origin + path, wait_until="load")
        assert response.status == 200, f"{label}: {response.status}"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        watch.check(page, label)
    assert page.locator("main").count() == 1


def _survey_is_ranked_and_submitted(page, origin: str, watch: Watch) -> None:
    data = open_theme_survey()
    first, second, third = (theme.title_en for theme in data.themes)
    log_in(page, origin, DELEGATE)
    watch.check(page, "portal home")

    page.goto(f"{origin}{reverse('portal:survey', args=[data.survey.pk])}")
    watch.check(page, "survey answer page")
    for rank, label in enumerate([third, first, second], start=1):
        page.get_by_label(f"Choice {rank}", exact=True).select_option(label=label)
    page.get_by_role("button", name="Submit your delegation's answer").click()
    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/receipt/")
    watch.check(page, "survey receipt")
    ranked = [text.strip() for text in page.locator("section ol > li").all_inner_texts()]
    assert ranked == [third, first, second]
    _log_out(page, origin)


def _a_note_draft(staff):
    """A draft Discussion Note of the latest consultation that has something to report."""
    for consultation in Consultation.objects.order_by("-held_on", "-pk"):
        try:
            return note_services.note_draft(actor=staff, consultation=consultation, language="en")
        except DomainError:
            continue
    raise AssertionError("The demo has no consultation to draft a Discussion Note for.")


def _staff_pages(page, origin: str, watch: Watch) -> None:
    draft = _a_note_draft(user(STAFF))
    log_in(page, origin, STAFF)

    page.goto(f"{origin}/en/staff/")
    watch.check(page, "staff home")

    page.goto(f"{origin}{reverse('staff:note_edit', args=[draft.pk])}")
    watch.check(page, "Discussion Note editor")
    # The note's own stylesheet is applied: paragraph numbers hang in the margin.
    number = page.locator(".note-preview .para .num").first
    assert number.evaluate("element => getComputedStyle(element).float") == "left"

    page.goto(f"{origin}/en/admin/")
    watch.check(page, "admin index")
    page.goto(f"{origin}/en/admin/events/event/")
    watch.check(page, "admin event list")
    page.goto(f"{origin}/en/admin/events/event/add/")
    # The admin's widgets run: the partners chooser moves an organization across, and the
    # calendar shortcut writes today's date.
    chosen = page.locator("#id_partners_to option")
    assert chosen.count() == 0
    page.locator("#id_partners_from option").first.dblclick()
    assert chosen.count() == 1
    page.locator("#id_start_date").locator("xpath=..").get_by_role("link", name="Today").click()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.locator("#id_start_date").input_value())
    # The host's autocomplete asks the server and lists what it answers.
    page.locator("#id_host").locator("xpath=following-sibling::span[1]").click()
    page.locator(".select2-results__option").first.wait_for()
    assert page.locator(".select2-results__option").count() >= 1
    watch.check(page, "admin event form")
    _log_out(page, origin)


def _staff_enrolment_page(page, origin: str, watch: Watch) -> None:
    # A staff account without an authenticator app is shown its secret as an inline SVG.
    account = StaffUserFactory(email="new.staff@dialogue.example.org")
    page.goto(f"{origin}{reverse('portal:login')}")
    page.get_by_label("E-mail address").fill(account.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/portal/login/authenticator/"))
    watch.check(page, "second-factor enrolment: the e-mailed link")
    page.get_by_role("button", name="E-mail me the link").click()
    page.wait_for_load_state()
    sent = [email for email in mail.outbox if email.to == [account.email]][-1]
    page.goto(re.search(r"https?://\S+", sent.body).group(0))
    page.wait_for_url(re.compile(r"/portal/login/authenticator/\?"))
    watch.check(page, "second-factor enrolment")
    box = page.locator("figure.qr-code svg").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    page.locator("main form[action$='/logout/'] button").click()
    page.wait_for_url(re.compile(r"/(en|fr|es)/$"))


def _api_documentation(page, origin: str, watch: Watch) -> None:
    response = page.goto(f"{origin}/api/v1/docs", wait_until="load")
    assert response.status == 200
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() >= 10
    operations.first.locator(".opblock-summary").click()
    page.locator(".opblock-body").first.wait_for()
    watch.check(page, "API documentation")


def test_representative_pages_run_under_the_policy_without_a_single_violation(
    demo, live_server, page, watch
):
    origin = live_server.url
    _public_pages(page, origin, watch)
    _survey_is_ranked_and_submitted(page, origin, watch)
    _staff_pages(page, origin, watch)
    _staff_enrolment_page(page, origin, watch)
    _api_documentation(page, origin, watch)

    if watch.problems:
        save_screenshot(page, "csp-last-page")
    assert not watch.problems, f"{len(watch.problems)} problem(s):\n" + "\n".join(watch.problems)
    assert len(watch.pages) == 16


def test_an_inline_script_style_or_handler_slipped_into_a_page_is_refused_and_reported(
    transactional_db, live_server, page, watch
):
    # The policy as the server sends it, on a home page altered on its way to the browser.
    def add_inline_code(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            '<script>window.__ran = true;</script><p style="color: red" id="styled">x</p>'
            '<button id="handled" onclick="window.__clicked = true">y</button>'
            "<style>#styled { font-size: 40px; }</style></main>",
        )
        route.fulfill(response=response, body=body)

    page.route(f"{live_server.url}/en/", add_inline_code)
    page.goto(f"{live_server.url}/en/", wait_until="load")
    page.locator("#handled").click()
    # The browser reports a violation in a task of its own, after the click returns.
    page.wait_for_function("window.__violations.length >= 4")
    watch.check(page, "altered home")

    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__clicked") is None
    assert page.locator("#styled").evaluate("element => getComputedStyle(element).color") != (
        "rgb(255, 0, 0)"
    )
    assert page.locator("#styled").evaluate("element => getComputedStyle(element).fontSize") != (
        "40px"
    )
    refused = {
        directive
        for problem in watch.problems
        for directive in re.findall(r"'directive': '([a-z-]+)'", problem)
    }
    assert refused == {"script-src-elem", "script-src-attr", "style-src-attr", "style-src-elem"}
