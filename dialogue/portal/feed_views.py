"""The calendar of a delegation's events, which a calendar program fetches without logging in.

The feed address carries a signed token of the person's id: it stays the same for the
person, is refused when altered, and stops working when the person is deactivated.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from dialogue.core.pages import render
from dialogue.events import calendar
from dialogue.members import selectors
from dialogue.members.models import Person
from dialogue.site.event_views import FEED_REFRESH, calendar_response

FEED_SALT = "dialogue.delegation-feed"


def feed_token(person: Person) -> str:
    """The secret part of a person's feed address."""
    return signing.Signer(salt=FEED_SALT).sign_object(person.pk)


def _person_for_token(token: str) -> Person:
    try:
        pk = signing.Signer(salt=FEED_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError) as error:
        raise Http404 from error
    if not isinstance(pk, int):
        raise Http404
    person = Person.objects.select_related("delegation").filter(pk=pk, is_active=True).first()
    if person is None:
        raise Http404
    return person


def _feed_name(person: Person) -> str:
    if person.delegation_id:
        return _("%(dialogue)s: events of %(delegation)s") % {
            "dialogue": settings.DIALOGUE_NAME,
            "delegation": person.delegation.name,
        }
    return _("%(dialogue)s: your events") % {"dialogue": settings.DIALOGUE_NAME}


@require_safe
def delegation_feed(request, token: str):
    """The events a person's delegation is invited to and those the person registered for."""
    person = _person_for_token(token)
    body = calendar.to_ics(
        calendar.person_feed_events(person), name=_feed_name(person), refresh=FEED_REFRESH
    )
    response = calendar_response(body, "delegation-events.ics")
    patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_safe
def calendar_page(request):
    """The address of the person's own calendar feed, to subscribe to in a calendar program."""
    person = selectors.person_for_user(request.user)
    if person is None or not person.is_active:
        raise Http404
    path = reverse("portal:delegation_feed", kwargs={"token": feed_token(person)})
    feed_url = settings.SITE_URL.rstrip("/") + path
    webcal_url = "webcal://" + feed_url.split("://", 1)[-1]
    return render(
        request,
        "portal/calendar.html",
        {
            "person": person,
            "feed_url": feed_url,
            "webcal_url": webcal_url,
            "events": calendar.person_feed_events(person),
        },
    )
