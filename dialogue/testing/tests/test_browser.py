import pytest

from dialogue.testing.browser import (
    SCREENSHOT_DIR,
    axe_violations,
    format_violations,
    save_screenshot,
)

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Report</title></head>
<body><main><h1>Report</h1>{}</main></body></html>"""


def test_an_image_without_alternative_text_is_reported_with_its_rule_and_element(page):
    page.set_content(PAGE.format('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'))

    violations = axe_violations(page)

    assert [(v["rule"], v["impact"], v["target"]) for v in violations] == [
        ("image-alt", "critical", "img")
    ]
    assert violations[0]["html"].startswith("<img")
    text = format_violations(violations)
    assert "image-alt" in text and "Images must have alternative text" in text


def test_a_clean_page_has_no_violations_and_minor_ones_are_left_out_by_default(page):
    page.set_content(PAGE.format("<p>Remittances and labour mobility.</p>"))
    assert axe_violations(page) == []

    page.set_content(PAGE.format('<div role="banner">Top</div><p>Text</p>'))
    assert axe_violations(page) == []
    assert {v["impact"] for v in axe_violations(page, impacts=("moderate",))} == {"moderate"}


def test_a_screenshot_is_saved_under_a_safe_name(page):
    page.set_content(PAGE.format("<p>Côte d'Ivoire</p>"))

    path = save_screenshot(page, "checks/Côte d'Ivoire?page=1")

    try:
        assert path.parent == SCREENSHOT_DIR
        assert path.name == "checks-C-te-d-Ivoire-page-1.png"
        assert path.read_bytes().startswith(b"\x89PNG")
    finally:
        path.unlink(missing_ok=True)
