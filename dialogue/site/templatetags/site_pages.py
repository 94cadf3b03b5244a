"""Presentation helpers of the public website: long multilingual texts, links, snippets."""

from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html, format_html_join

from dialogue.core.i18n import FALLBACK_LANGUAGE, is_fallback, localized
from dialogue.events.selectors import dates_text

register = template.Library()


@register.simple_tag
def content_block(obj, field: str):
    """A long translatable text as paragraphs; English fallback is marked with lang="en"."""
    text = localized(obj, field)
    if not text:
        return ""
    if is_fallback(obj, field):
        return format_html('<div lang="{}">{}</div>', FALLBACK_LANGUAGE, linebreaks_filter(text))
    return format_html("<div>{}</div>", linebreaks_filter(text))


@register.filter
def host_of(url: str) -> str:
    """The host name of an address, without a leading "www."; empty if there is none."""
    host = urlsplit(url or "").hostname or ""
    return host.removeprefix("www.")


@register.filter
def language_name(code: str) -> str:
    """The interface's name of a language code ("fr" gives "French" in English)."""
    return str(dict(settings.LANGUAGES).get(code, code))


@register.simple_tag
def snippet(segments):
    """Plain-text snippet segments, escaped, with the matched ones inside <mark>."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", text) if is_match else text,)
            for text, is_match in segments
        ),
    )


@register.filter
def dates_label(event) -> str:
    """An event's dates in words, as plain text (for a select option)."""
    return dates_text(event)
