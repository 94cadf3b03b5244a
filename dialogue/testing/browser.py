"""Pages in a real browser: Debian's chromium driven by Playwright, checked with axe-core.

`browser` (one per test run) and `page` (a fresh context per test) are pytest
fixtures; `axe_violations` lists what axe-core finds on a page and
`save_screenshot` keeps a picture of it under build/screenshots/.

Without chromium, the Python playwright package or axe-core (`npm ci`) the
tests that use the browser are skipped, unless DIALOGUE_REQUIRE_BROWSER=1
(as in `make test`), which makes them fail and say how to install what is
missing. Tests that use the browser run after all the others: while
Playwright runs, an event loop runs in the test thread, which Django's
async-safety checks and `async_to_sync` would otherwise refuse.
"""

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = PROJECT_DIR / "build" / "screenshots"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
TIMEOUT_MS = 15_000
HTML_SNIPPET_LENGTH = 300

INSTALL_HINT = (
    "Install what is missing with `make install-test` (Debian's chromium package, the Python "
    "playwright package from the test extra, and axe-core with `npm ci`)."
)


def chromium_path() -> str | None:
    """The chromium executable on the PATH (Debian's package), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_missing() -> str | None:
    """What is missing to run the browser tests, in sentences; None when nothing is."""
    missing = []
    if chromium_path() is None:
        missing.append("Chromium is not installed.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("The Python playwright package is not installed.")
    if not AXE_SCRIPT.is_file():
        missing.append(f"axe-core is not installed ({AXE_SCRIPT.relative_to(PROJECT_DIR)}).")
    return " ".join(missing) or None


def browser_required() -> bool:
    """True when the browser tests must fail rather than be skipped (DIALOGUE_REQUIRE_BROWSER=1)."""
    return os.environ.get("DIALOGUE_REQUIRE_BROWSER", "") == "1"


def pytest_collection_modifyitems(config, items):
    """Run the tests that use the browser after all the others, keeping each group's order."""
    items[:] = sorted(items, key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for the whole test run; skipped (or failed, when required) if
    chromium, playwright or axe-core is missing."""
    missing = browser_missing()
    if missing:
        if browser_required():
            pytest.fail(f"{missing} {INSTALL_HINT}", pytrace=False)
        pytest.skip(f"{missing} {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    """A page in a fresh browser context (no cookies, no storage), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def axe_violations(
    page, impacts: tuple[str, ...] = ("serious", "critical"), tags: tuple[str, ...] = AXE_TAGS
) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it is now, limited to the given impacts: one dict
    per element at fault, with the page address, rule id, impact, help text, help address,
    CSS selector of the element and the start of its HTML."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: the pages' Content-Security-Policy
        # (no inline scripts) would refuse it as a script tag.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']}).then(results => results.violations)",
        list(tags),
    )
    found = []
    for violation in violations:
        for node in violation["nodes"]:
            impact = node.get("impact") or violation.get("impact")
            if impact not in impacts:
                continue
            found.append(
                {
                    "page": page.url,
                    "rule": violation["id"],
                    "impact": impact,
                    "help": violation["help"],
                    "help_url": violation["helpUrl"],
                    "target": " ".join(_selector(part) for part in node["target"]),
                    "html": node["html"][:HTML_SNIPPET_LENGTH],
                }
            )
    return found


def _selector(part: Any) -> str:
    return part if isinstance(part, str) else " >>> ".join(map(str, part))


def format_violations(violations: list[dict[str, Any]]) -> str:
    """The violations as text, one paragraph each, naming the page, rule and element."""
    return "\n\n".join(
        f"{v['page']}\n  [{v['impact']}] {v['rule']}: {v['help']} ({v['help_url']})\n"
        f"  at {v['target']}\n  {v['html']}"
        for v in violations
    )


def save_screenshot(page, name: str) -> Path:
    """Save a full-page picture of the page as build/screenshots/<name>.png and return its path;
    characters other than letters, digits, dots, dashes and underscores become dashes."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "page"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
