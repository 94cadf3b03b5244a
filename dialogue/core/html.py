"""The one way rich text written by people becomes HTML: sanitized against an allow-list.

Everything else users write is plain text and is escaped where it is shown (the template
engine, `format_html`); only text meant to carry formatting goes through `clean_html`.
"""

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "em",
        "h2",
        "h3",
        "h4",
        "i",
        "li",
        "ol",
        "p",
        "strong",
        "sub",
        "sup",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Tags removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
    url_relative="deny",
)


def clean_html(text: str) -> str:
    """`text` with only the allowed tags and attributes kept, links limited to http,
    https and mailto (relative links dropped) and given rel="noopener noreferrer
    nofollow"; scripts, styles and frames are removed with their content."""
    return _CLEANER.clean(str(text or ""))
