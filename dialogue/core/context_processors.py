"""Template context shared by every page."""

from django.conf import settings

from dialogue.core.i18n import language_names


def languages(request):
    """The language switcher's choices and the dialogue's names."""
    return {
        "content_languages": language_names(),
        "organization_name": settings.ORGANIZATION_NAME,
        "dialogue_name": settings.DIALOGUE_NAME,
    }
