"""Content written by the Administration in English, French and Spanish.

A translatable field `name` is stored as three columns `name_en`, `name_fr`,
`name_es`; English is required and is the fallback for a missing translation.
"""

from django.utils import translation

CONTENT_LANGUAGES = ("en", "fr", "es")
FALLBACK_LANGUAGE = "en"


def current_language() -> str:
    """The active interface language reduced to one of the content languages."""
    code = (translation.get_language() or FALLBACK_LANGUAGE).split("-")[0].lower()
    return code if code in CONTENT_LANGUAGES else FALLBACK_LANGUAGE


def localized(obj: object, field: str, language: str | None = None) -> str:
    """The value of `field` in `language` (default: the active one), else in English."""
    language = language or current_language()
    value = getattr(obj, f"{field}_{language}", "") or ""
    if value:
        return value
    return getattr(obj, f"{field}_{FALLBACK_LANGUAGE}", "") or ""


def is_fallback(obj: object, field: str, language: str | None = None) -> bool:
    """True when `field` has no text in `language`, so English is shown instead."""
    language = language or current_language()
    return language != FALLBACK_LANGUAGE and not getattr(obj, f"{field}_{language}", "")


def language_names() -> list[tuple[str, str]]:
    """The content languages with their names in their own language, for switchers."""
    return [(code, translation.get_language_info(code)["name_local"]) for code in CONTENT_LANGUAGES]
