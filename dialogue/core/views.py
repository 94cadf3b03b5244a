"""Views shared by every part of the site."""

import contextlib

from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from dialogue.core.errors import DomainError
from dialogue.members import services as member_services


@require_POST
def set_language(request):
    """Switch the interface language; a logged-in person's choice is also remembered."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    person = getattr(request.user, "person", None) if request.user.is_authenticated else None
    if person is not None and language != person.preferred_language:
        with contextlib.suppress(DomainError):
            member_services.person_set_language(
                actor=request.user, person=person, language=language
            )
    return response
