"""Every page of the delegates' portal and of the staff pages, in a real browser, is free of
the serious and critical accessibility errors axe-core finds.

The crawl starts from the portal's home (as the demo's focal point of Mexico) or the staff
home (as the demo's secretariat staff) and follows the links it finds under the same part
of the site, never a logout, a file or a form, a few pages of each kind; the main portal
pages are also checked in French and Spanish.
"""

import datetime
import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import translation

from dialogue.core import clock
from dialogue.cycles.models import Cycle
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.portal.tests.browser_steps import (
    FOCAL_POINT,
    STAFF,
    load_demo,
    log_in,
    mexico,
    open_theme_survey,
    user,
)
from dialogue.surveys import services as surveys
from dialogue.testing.browser import (
    SCREENSHOT_DIR,
    axe_violations,
    format_violations,
    save_screenshot,
)

pytestmark = pytest.mark.browser

MAX_PAGES = 45
PAGES_OF_A_KIND = 2
LINKS = "a[href]:not([download])"
PAGE_HEADINGS = "h1"
# Files and actions rather than pages, by address or view name.
NOT_PAGES = re.compile(
    r"logout|download|feed|export|letter|/files/|\.(ics|csv|xlsx|pdf|docx|zip|json)$",
    re.IGNORECASE,
)


@pytest.fixture
def crawl_data(transactional_db, settings, tmp_path):
    """The demo, an open theme survey Mexico has answered and an upcoming workshop, so that
    the survey, receipt, results and event pages all have something to show."""
    load_demo(settings, tmp_path / "media")
    data = open_theme_survey()
    surveys.response_submit(
        actor=user(FOCAL_POINT),
        survey=data.survey,
        member=mexico(),
        choices={data.question.pk: data.options},
        comment="A comment of the delegation.",
    )
    start = clock.today() + datetime.timedelta(days=30)
    EventFactory(
        kind=Event.Kind.WORKSHOP,
        title_en="Intersessional workshop on return migration",
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        year=start.year,
        start_date=start,
        end_date=start,
        cycle=Cycle.objects.order_by("-year").first(),
    )
    return data


def _kind_of_page(path: str) -> str:
    """The view that answers the path (the path itself when none does)."""
    try:
        with translation.override("en"):
            return resolve(path).view_name
    except Resolver404:
        return path


def _same_site_path(url: str, origin: str) -> str | None:
    url, _fragment = urldefrag(url)
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _check(page, origin: str, path: str) -> tuple[list[str], list[dict]]:
    """Open the page and list its problems (status, headings, language) and axe-core's
    serious or critical violations; keep a picture of it when there is any."""
    response = page.goto(origin + path, wait_until="load")
    found = axe_violations(page)
    own = []
    if response is None or response.status != 200:
        own.append(f"status {response.status if response else 'none'}")
    headings = page.locator(PAGE_HEADINGS).count()
    if headings != 1:
        own.append(f"{headings} <h1> elements instead of one")
    language = path.strip("/").split("/")[0]
    lang = page.evaluate("document.documentElement.lang")
    if lang != language:
        own.append(f'<html lang="{lang}"> on a page in "{language}"')
    if own or found:
        save_screenshot(page, f"accessibility{path}")
    return [f"{origin}{path}: {problem}" for problem in own], found


def _crawl(
    page, origin: str, prefix: str, also: tuple[str, ...] = ()
) -> tuple[list[str], list[str], list[dict]]:
    """Check the pages under `prefix` reachable from it, a few of each kind, then the pages
    `also` given (without following their links): the paths checked, the problems of the
    pages and axe-core's serious or critical violations."""
    queue, seen = [prefix], {prefix}
    kinds: Counter[str] = Counter()
    checked, problems, violations = [], [], []
    while queue and len(checked) < MAX_PAGES:
        path = queue.pop(0)
        kind = _kind_of_page(urlsplit(path).path)
        if kinds[kind] >= PAGES_OF_A_KIND:
            continue
        kinds[kind] += 1
        own, found = _check(page, origin, path)
        checked.append(path)
        problems += own
        violations += found
        for href in page.eval_on_selector_all(LINKS, "links => links.map(a => a.href)"):
            link = _same_site_path(href, origin)
            if (
                link
                and link not in seen
                and link.startswith(prefix)
                and not NOT_PAGES.search(urlsplit(link).path)
                and not NOT_PAGES.search(_kind_of_page(urlsplit(link).path))
            ):
                seen.add(link)
                queue.append(link)
    for path in also:
        own, found = _check(page, origin, path)
        checked.append(path)
        problems += own
        violations += found
    return checked, problems, violations


def _report(checked, problems, violations) -> str:
    return "\n\n".join(
        part
        for part in (
            f"{len(problems)} page problem(s) and {len(violations)} serious or critical "
            f"accessibility violation(s) on the {len(checked)} pages checked (screenshots in "
            "build/screenshots/):",
            "\n".join(problems),
            format_violations(violations),
        )
        if part
    )


def _clear_old_screenshots(prefix: str) -> None:
    for old in SCREENSHOT_DIR.glob(f"accessibility-en-{prefix}*.png"):
        old.unlink()


def test_every_portal_page_is_free_of_serious_accessibility_errors(crawl_data, live_server, page):
    _clear_old_screenshots("portal")
    origin = live_server.url
    log_in(page, origin, FOCAL_POINT)

    survey = crawl_data.survey.pk
    in_other_languages = tuple(
        f"/{language}/portal/{page_path}"
        for language in ("fr", "es")
        for page_path in ("", "surveys/", f"surveys/{survey}/", "events/")
    )
    checked, problems, violations = _crawl(page, origin, "/en/portal/", in_other_languages)

    assert not problems and not violations, _report(checked, problems, violations)
    for path in (
        "/en/portal/",
        "/en/portal/surveys/",
        f"/en/portal/surveys/{survey}/",
        f"/en/portal/surveys/{survey}/receipt/",
        "/en/portal/delegation/",
        "/en/portal/events/",
        "/en/portal/events/calendar/",
        "/en/portal/profile/",
    ):
        assert path in checked
    assert any(re.fullmatch(r"/en/portal/surveys/\d+/results/", path) for path in checked)
    assert any(re.fullmatch(r"/en/portal/events/\d+/", path) for path in checked)
    assert set(in_other_languages) <= set(checked)


def test_every_staff_page_is_free_of_serious_accessibility_errors(crawl_data, live_server, page):
    _clear_old_screenshots("staff")
    origin = live_server.url
    log_in(page, origin, STAFF)

    checked, problems, violations = _crawl(page, origin, "/en/staff/")

    assert not problems and not violations, _report(checked, problems, violations)
    survey = crawl_data.survey.pk
    for path in (
        "/en/staff/",
        "/en/staff/surveys/",
        "/en/staff/cycles/",
        "/en/staff/events/",
        "/en/staff/documents/",
        f"/en/staff/surveys/{survey}/",
    ):
        assert path in checked
    assert not any(path.startswith("/en/admin/") for path in checked)
