"""Idempotent writes: a client that may retry sends an `Idempotency-Key` header, and a
repeated request with the same key gets the first answer again instead of a second write.

Usage, on a write operation of a router:

    @router.post("/things", response={201: ThingOut, ...})
    @idempotent
    def create_thing(request, payload: ThingIn): ...

The first answer (anything but a server error) is kept per account and key; the same key
with another method, path or body is refused (422, code "idempotency_key_reused"). A key
is honoured for a logged-in caller or a token only; anonymous requests ignore it.
"""

import functools

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from dialogue.api import services
from dialogue.api.errors import ApiError, Replay, replayed_response

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _key(request: HttpRequest) -> str | None:
    key = request.headers.get(HEADER)
    if key is None or not getattr(request.user, "is_authenticated", False):
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = _("Send an Idempotency-Key of 1 to %(limit)d printable characters.") % {
            "limit": MAX_KEY_LENGTH
        }
        raise ApiError(422, "validation_error", message, [{"field": HEADER, "message": message}])
    return key


def _store_first_answer(run):
    @functools.wraps(run)
    def stored(request: HttpRequest, **path_values):
        response = run(request, **path_values)
        key = getattr(request, "_idempotency_key", None)
        if key is None or response.status_code >= 500 or response.streaming:
            return response
        record = services.idempotency_store(
            user=request.user,
            key=key,
            method=request.method,
            path=request.path,
            body=request.body,
            status_code=response.status_code,
            response_body=response.content.decode(),
        )
        if record.response_body != response.content.decode():
            return replayed_response(record)
        return response

    return stored


def idempotent(view):
    """Make a write operation answer a repeated Idempotency-Key with its first answer."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs):
        key = _key(request)
        if key is not None:
            record = services.idempotency_lookup(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                body=request.body,
            )
            if record is not None:
                raise Replay(record)
            request._idempotency_key = key
        return view(request, *args, **kwargs)

    return decorate_view(_store_first_answer)(checked)
