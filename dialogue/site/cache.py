"""A short-lived cache of the public pages, for anonymous visitors only.

A page is cached by its full address (which holds the language) and served from
the cache only to a visitor who is not logged in and carries no session or
pending message: a delegate or a member of staff always gets a freshly built
page, marked private, and never a copy made for someone else. The language
switcher's CSRF token is not stored: each visitor served a cached copy gets
their own.
"""

import hashlib
import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

PAGE_TIMEOUT = 120
KEY_PREFIX = "site:page:"
CSRF_PLACEHOLDER = "__csrf_token__"
CACHED_HEADER = "X-Dialogue-Cache"
_CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def is_cacheable_request(request) -> bool:
    """True for a GET or HEAD from an anonymous visitor without a session or messages."""
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    if getattr(settings, "MESSAGE_COOKIE_NAME", "messages") in request.COOKIES:
        return False
    return not request.user.is_authenticated


def page_key(request) -> str:
    """The cache key of a page: its full address and the active language."""
    address = f"{request.build_absolute_uri()}|{get_language()}"
    return KEY_PREFIX + hashlib.sha256(address.encode()).hexdigest()


def _from_cache(request, stored: dict) -> HttpResponse:
    content = stored["content"]
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    response = HttpResponse(content, content_type=stored["content_type"])
    response[CACHED_HEADER] = "hit"
    return response


def _store(request, response: HttpResponse) -> None:
    content = _CSRF_FIELD.sub(rb"\g<1>" + CSRF_PLACEHOLDER.encode() + rb"\g<2>", response.content)
    cache.set(
        page_key(request),
        {"content": content, "content_type": response["Content-Type"]},
        PAGE_TIMEOUT,
    )


def public_page(view):
    """Serve and store anonymous visitors' copies of a public page for PAGE_TIMEOUT seconds.

    Anonymous responses say `Cache-Control: public, max-age=...`; anyone else's say
    `private, no-cache`, and are never stored.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_cacheable_request(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
            return response
        stored = cache.get(page_key(request))
        if stored is not None:
            response = _from_cache(request, stored)
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code == 200 and not response.streaming:
                _store(request, response)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=PAGE_TIMEOUT)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper
