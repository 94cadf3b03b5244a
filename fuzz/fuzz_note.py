"""Fuzz the Discussion Note: its text format (`notes.parse`) and its HTML (`render_fragment`).

The parser's refusal is DomainError; any other exception, in parsing or rendering, is a
crash. The HTML of a note that parses is read again with `html.parser`: it must hold no
`script` element, no attribute named `on...`, and no link or source whose address, once
stripped of whitespace and control characters and lower-cased, is a `javascript:`,
`vbscript:` or `data:` URL.
"""

import datetime
import sys
import unicodedata
from html.parser import HTMLParser

import atheris

with atheris.instrument_imports(include=["dialogue"]):
    import common

    common.setup_django()

    from dialogue.core.errors import DomainError
    from dialogue.documents import note_render, notes

META = notes.Meta(
    organization="International Organization for Migration",
    dialogue="International Dialogue on Migration",
    title="International Dialogue on Migration 2007",
    subtitle="Discussion Note: informal consultations of 21 June 2007",
    issued_on=datetime.date(2007, 6, 1),
    issued_on_text="1 June 2007",
    language="en",
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href"})
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:")


def address(value: str) -> str:
    """An attribute value as a browser reads a URL's scheme: lower-case, no blanks or controls."""
    return "".join(
        ch for ch in value.strip().lower() if not ch.isspace() and unicodedata.category(ch) != "Cc"
    )


class ActiveMarkupFinder(HTMLParser):
    """Collects what in an HTML text could run a script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "script":
            self.problems.append("a <script> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an attribute {name}={value!r}")
            if name in URL_ATTRIBUTES and address(value or "").startswith(ACTIVE_SCHEMES):
                self.problems.append(f"{name}={value!r}")

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)


def active_markup(html: str) -> list[str]:
    """What in `html` could run a script, as read by `html.parser`; empty when nothing."""
    finder = ActiveMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def TestOneInput(data: bytes) -> None:
    """One note text: refused, or parsed and rendered as HTML that runs nothing."""
    text = data.decode("utf-8", "replace")
    try:
        note = notes.parse(text)
    except DomainError:
        return
    html = note_render.render_fragment(note, META)
    problems = active_markup(html)
    if problems:
        raise AssertionError(f"the note's HTML holds {problems[0]}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
