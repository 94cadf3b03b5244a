"""A short-lived cache of the public pages, for anonymous visitors only.

A page is cached by its full address (which holds the language) and served from
the cache only to a visitor who is not logged in and carries no session or
pending message: a delegate or a member of staff always gets a freshly built
page, marked private, and never a copy made for someone else. The language
switcher's CSRF token is not stored: each visitor served a cached copy gets
their own.

The copies live in the shared cache, so every application process serves the
same one. Each process also keeps the copies it has read from there, until the
moment the shared copy expires: a page is then never older than PAGE_TIMEOUT
wherever it is served, and a process serves a page it has seen before without
asking the database.
"""

import hashlib
import re
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from dialogue.core import clock

PAGE_TIMEOUT = 120
KEY_PREFIX = "site:page:"
CSRF_PLACEHOLDER = "__csrf_token__"
CACHED_HEADER = "X-Dialogue-Cache"
# How many pages a process keeps beside the shared cache; the oldest kept goes first.
LOCAL_PAGES = 256
_LOCAL_ATTRIBUTE = "_dialogue_local_pages"
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


def _local_pages() -> OrderedDict:
    """This process's copies, kept with the cache they came from: another cache
    configuration starts with none."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    pages = getattr(backend, _LOCAL_ATTRIBUTE, None)
    if pages is None:
        pages = OrderedDict()
        setattr(backend, _LOCAL_ATTRIBUTE, pages)
    return pages


def forget_local_copies() -> None:
    """Drop this process's copies: the pages are read again from the shared cache, for
    instance after the database under it was emptied (between tests)."""
    _local_pages().clear()


def _stored_page(key: str) -> dict | None:
    """The stored copy of a page: this process's own while the shared one lasts, else the
    shared one, which is then kept here too.

    A copy read inside a transaction is not kept here, since that transaction may still
    be rolled back (tests run inside one)."""
    pages = _local_pages()
    now = clock.now().timestamp()
    stored = pages.get(key)
    if stored is not None:
        if stored["expires"] > now:
            return stored
        del pages[key]
    stored = cache.get(key)
    if stored is not None and stored.get("expires", 0) > now and not connection.in_atomic_block:
        pages[key] = stored
        while len(pages) > LOCAL_PAGES:
            pages.popitem(last=False)
    return stored


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
        {
            "content": content,
            "content_type": response["Content-Type"],
            "expires": clock.now().timestamp() + PAGE_TIMEOUT,
        },
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
        stored = _stored_page(page_key(request))
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
