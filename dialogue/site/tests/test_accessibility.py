"""Every public page, in a real browser, is free of the accessibility errors axe-core finds.

The crawl starts from the home page in each language, the sitemap when there is
one, and every public page that takes no argument, then follows the links it
finds on the same site, so that new public pages are checked as they appear.
"""

import datetime
import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import NoReverseMatch, Resolver404, URLPattern, resolve, reverse
from django.utils import translation

from dialogue.core.actors import SYSTEM
from dialogue.cycles.models import Cycle
from dialogue.documents import services as documents
from dialogue.documents.models import Document
from dialogue.documents.tests.test_files import make_pdf
from dialogue.events.calendar import public_events
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.members.tests.factories import ObserverOrganizationFactory
from dialogue.site import urls as site_urls
from dialogue.testing.browser import (
    SCREENSHOT_DIR,
    axe_violations,
    format_violations,
    save_screenshot,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "fr", "es")
MAX_PAGES = 150
# Pages of one kind (the same view, in a language) checked at most, beyond the start pages:
# the crawl goes wide in English and checks one page of each kind in the other languages.
PAGES_OF_A_KIND = {"en": 4, "fr": 1, "es": 1}
NOT_PUBLIC = ("admin", "staff", "portal", "i18n")
FILE_SUFFIXES = (".ics", ".xml", ".atom", ".rss", ".pdf", ".docx", ".xlsx", ".csv", ".zip", ".json")
# Files and actions rather than pages, by address or view name.
NOT_PAGES = re.compile(r"logout|download|feed|sitemap|/files/|(^|[_:.])ics$", re.IGNORECASE)
LINKS = "a[href]:not([download])"
UNICODE_MEMBERS = ("CIV", "TUR")
SEARCHED = "migration"


@pytest.fixture
def public_data(transactional_db, settings, tmp_path):
    """The demo (members, cycles with themes, proposals and guiding questions,
    consultations, decisions, surveys, events), plus events of every status and date
    precision and documents of every kind and visibility."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load-demo", verbosity=0)
    ObserverOrganizationFactory(
        code="OIF",
        name_en="International Organisation of La Francophonie",
        name_fr="Organisation internationale de la Francophonie",
        name_es="Organización Internacional de la Francofonía",
    )
    cycle = Cycle.objects.order_by("-year").first()
    extra_events = []
    precisions = Event.Precision.values
    for number, status in enumerate(Event.Status.values):
        precision = precisions[number % len(precisions)]
        event = EventFactory(
            title_en=f"Seminar on labour mobility and remittances ({number})",
            title_fr=f"Séminaire sur la mobilité de la main-d'œuvre ({number})",
            title_es="",
            status=status,
            precision=precision,
            year=2008,
            start_date=datetime.date(2008, 3, 10) if precision == Event.Precision.DAY else None,
            month=3 if precision == Event.Precision.MONTH else None,
            seasons=["spring", "summer"] if precision == Event.Precision.SEASON else [],
            cycle=cycle,
            cancellation_reason="other" if status == Event.Status.CANCELLED else "",
        )
        extra_events.append(event.pk)
    _documents()
    shown = public_events().filter(pk__in=extra_events).order_by("pk")
    return {"events": list(shown.values_list("pk", flat=True))}


def _documents() -> None:
    pdf = make_pdf()
    for kind in Document.Kind.values:
        for visibility in Document.Visibility.values:
            document = documents.document_save(
                actor=SYSTEM,
                data={
                    "kind": kind,
                    "visibility": visibility,
                    "title_en": f"Migration and development: {kind} ({visibility})",
                    "title_fr": f"Migration et développement : {kind} ({visibility})",
                    "title_es": "",
                },
            )
            for language in ("en", "fr"):
                version = documents.version_upload(
                    actor=SYSTEM,
                    document=document,
                    language=language,
                    uploaded_file=SimpleUploadedFile(f"{kind}-{language}.pdf", pdf),
                )
                documents.version_publish(actor=SYSTEM, version=version)
            documents.document_publish(actor=SYSTEM, document=document)


def _start_paths(events: list[int]) -> list[str]:
    """Each language's home page, every public page without an argument, the pages of the
    members with names beyond ASCII and search results; the given events' pages in English."""
    paths = []
    names = ["home"] + [
        pattern.name
        for pattern in site_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters
    ]
    for language in LANGUAGES:
        with translation.override(language):
            for name in dict.fromkeys(names):
                try:
                    paths.append(reverse(f"site:{name}"))
                except NoReverseMatch:
                    continue
            paths += [reverse("site:member", args=[code]) for code in UNICODE_MEMBERS]
            if "search" in names:
                paths.append(reverse("site:search") + f"?q={SEARCHED}")
    with translation.override("en"):
        paths += [reverse("site:event", args=[pk]) for pk in events]
    return [path for path in paths if _is_public_page(path)]


def _is_public_page(path_and_query: str) -> bool:
    path = urlsplit(path_and_query).path
    parts = path.strip("/").split("/")
    if len(parts) > 1 and parts[0] in LANGUAGES and parts[1] in NOT_PUBLIC:
        return False
    if path.lower().endswith(FILE_SUFFIXES):
        return False
    return not NOT_PAGES.search(path) and not NOT_PAGES.search(_kind_of_page(path)[1])


def _kind_of_page(path_and_query: str) -> tuple[str, str]:
    """The page's language and view name (its path when no view answers it)."""
    path = urlsplit(path_and_query).path
    language = path.strip("/").split("/")[0]
    try:
        with translation.override(language if language in LANGUAGES else "en"):
            return language, resolve(path).view_name
    except Resolver404:
        return language, path


def _sitemap_paths(page, origin: str) -> list[str]:
    try:
        with translation.override("en"):
            address = reverse("site:sitemap")
    except NoReverseMatch:
        address = "/sitemap.xml"
    response = page.request.get(origin + address)
    if not response.ok:
        return []
    return [
        _same_site_path(location, origin)
        for location in re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", response.text())
    ]


def _same_site_path(url: str, origin: str) -> str | None:
    url, _fragment = urldefrag(url)
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _problems_of(page, path: str, status: int) -> list[str]:
    language = path.strip("/").split("/")[0]
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{headings} <h1> elements instead of one")
    if not page.evaluate("[...document.styleSheets].some(sheet => sheet.cssRules.length)"):
        problems.append("the stylesheet did not load, so contrast was not checked")
    lang = page.evaluate("document.documentElement.lang")
    if not lang:
        problems.append("<html> has no lang attribute")
    elif language in LANGUAGES and lang != language:
        problems.append(f'<html lang="{lang}"> on a page in "{language}"')
    return problems


def test_every_public_page_is_free_of_serious_accessibility_errors(public_data, live_server, page):
    for old in SCREENSHOT_DIR.glob("accessibility-*.png"):
        old.unlink()
    origin = live_server.url
    starts = _start_paths(public_data["events"])
    queue = list(dict.fromkeys([*starts, *_sitemap_paths(page, origin)]))
    starts = set(starts)
    seen = set(queue)
    kinds: Counter[tuple[str, str]] = Counter()
    checked, failures, violations = [], [], []

    while queue and len(checked) < MAX_PAGES:
        path = queue.pop(0)
        if not path or not _is_public_page(path):
            continue
        kind = _kind_of_page(path)
        if path not in starts:
            if kinds[kind] >= PAGES_OF_A_KIND.get(kind[0], 1):
                continue
            kinds[kind] += 1
        response = page.goto(origin + path, wait_until="load")
        checked.append(path)
        problems = _problems_of(page, path, response.status if response else 0)
        found = axe_violations(page)
        if problems or found:
            failures += [f"{origin}{path}: {problem}" for problem in problems]
            violations += found
            save_screenshot(page, f"accessibility{path}")
        for href in page.eval_on_selector_all(LINKS, "links => links.map(a => a.href)"):
            link = _same_site_path(href, origin)
            if link and link not in seen and _is_public_page(link):
                seen.add(link)
                queue.append(link)

    assert not failures and not violations, "\n\n".join(
        part
        for part in (
            f"{len(failures)} page problem(s) and {len(violations)} serious or critical "
            f"accessibility violation(s) on the {len(checked)} pages checked (screenshots in "
            "build/screenshots/):",
            "\n".join(failures),
            format_violations(violations),
        )
        if part
    )
    assert {path.split("/")[1] for path in checked} == set(LANGUAGES)
    for language in LANGUAGES:
        assert f"/{language}/" in checked
        for code in UNICODE_MEMBERS:
            assert f"/{language}/members/{code}/" in checked


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(
    transactional_db, live_server, page
):
    page.goto(f"{live_server.url}/en/")

    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => { const e = document.activeElement; "
        "return {href: e.getAttribute('href'), text: e.textContent.trim(), "
        "left: e.getBoundingClientRect().left, width: e.getBoundingClientRect().width}; }"
    )
    assert first["href"] == "#main"
    assert first["text"] == "Skip to content"
    assert first["left"] >= 0 and first["width"] > 0, "the focused skip link is off screen"

    page.keyboard.press("Enter")
    focused = page.evaluate("() => [document.activeElement.tagName, document.activeElement.id]")
    assert focused == ["MAIN", "main"]
