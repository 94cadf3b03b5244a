"""Template helpers for multilingual content."""

from django import template
from django.urls import translate_url
from django.utils.html import format_html

from dialogue.core.i18n import FALLBACK_LANGUAGE, is_fallback, localized

register = template.Library()


@register.simple_tag
def translated_url(path: str, language: str) -> str:
    """The same page in another language."""
    return translate_url(path, language)


@register.simple_tag
def content(obj, field: str):
    """A translatable field in the active language; English fallback is marked with lang="en"."""
    text = localized(obj, field)
    if text and is_fallback(obj, field):
        return format_html('<span lang="{}">{}</span>', FALLBACK_LANGUAGE, text)
    return text
