"""Idempotent writes: a client that may retry sends an `Idempotency-Key` header, and a
repeated request with the same key gets the first answer again instead of a second write.

Usage, on a write operation of a router:

    @router.post("/things", response={201: ThingOut, ...})
    @idempotent
    def create_thing(request, payload: ThingIn): ...

The first answer (anything but a server error) is kept per account and key; the same key
with another method, path or body is refused (422, code "idempotency_key_reused"). A key
is honoured for a logged-in caller or a token only; anonymous requests ignore it.

The write and the record of its answer are one transaction, committed before the answer
leaves: a crash either keeps both (a retry gets the recorded answer) or neither (a retry
writes afresh), so a retried request can never write twice. A request refused by the
domain leaves none of its own writes behind; a server error keeps nothing at all.
"""

import functools
import sys

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from dialogue.api import services
from dialogue.api.errors import ApiError, Replay

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


def _open_transaction(request: HttpRequest) -> None:
    """Open the request's transaction once it is authenticated and counted: rate limits
    count in autocommit, before it, so that a refused request still counts."""
    atomic = transaction.atomic()
    atomic.__enter__()
    request._idempotency_transaction = atomic


def _close_transaction(request: HttpRequest, response) -> None:
    """Keep the answer under the request's key and commit, before the answer is sent; a
    server error rolls everything back."""
    atomic = request.__dict__.pop("_idempotency_transaction", None)
    if atomic is None:
        return
    record = request.__dict__.pop("_idempotency_record", None)
    try:
        if response.status_code >= 500 or transaction.get_rollback():
            transaction.set_rollback(True)
        elif record is not None and response.streaming:
            record.delete()
        elif record is not None:
            services.idempotency_answer(
                record=record,
                status_code=response.status_code,
                response_body=response.content.decode(),
            )
    except BaseException:
        atomic.__exit__(*sys.exc_info())
        raise
    atomic.__exit__(None, None, None)


def _in_one_transaction(run):
    @functools.wraps(run)
    def answered(request: HttpRequest, **path_values):
        try:
            response = run(request, **path_values)
        except BaseException:
            atomic = request.__dict__.pop("_idempotency_transaction", None)
            if atomic is not None:
                atomic.__exit__(*sys.exc_info())
            raise
        _close_transaction(request, response)
        return response

    return answered


def idempotent(view):
    """Make a write operation answer a repeated Idempotency-Key with its first answer, and
    commit its writes together with that answer before the answer is sent."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs):
        key = _key(request)
        _open_transaction(request)
        if key is None:
            # Nothing else to keep: a refusal rolls back the whole transaction, which needs
            # no savepoint.
            try:
                return view(request, *args, **kwargs)
            except BaseException:
                transaction.set_rollback(True)
                raise
        record, new = services.idempotency_claim(
            user=request.user,
            key=key,
            method=request.method,
            path=request.path,
            body=request.body,
        )
        if not new:
            raise Replay(record)
        request._idempotency_record = record
        # A refusal undoes the view's writes but keeps the claimed key with its answer.
        with transaction.atomic():
            return view(request, *args, **kwargs)

    return decorate_view(_in_one_transaction)(checked)
