"""Template context shared by every page."""

from django.conf import settings

from dialogue.core.i18n import language_names


def languages(request):
    """The language switcher's choices, the dialogue's names and the site's own address
    (for canonical links, never taken from the request's Host header)."""
    return {
        "site_url": settings.SITE_URL.rstrip("/"),
        "content_languages": language_names(),
        "organization_name": settings.ORGANIZATION_NAME,
        "dialogue_name": settings.DIALOGUE_NAME,
    }
