"""One JSON shape for every error the API answers, with a stable code and a message in
the request's language:

    {"error": {"code": "...", "message": "...", "fields": [{"field": "...", "message": "..."}]}}
"""

import json
import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from dialogue.core import ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.middleware import current_ip

logger = logging.getLogger("dialogue.api")
JSON = "application/json; charset=utf-8"
REPLAYED_HEADER = "Idempotent-Replayed"


class ApiError(Exception):
    """An error answered as it is: HTTP status, stable code, translated message, fields."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[dict] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = str(message)
        self.fields = fields or []


class NotAuthenticated(ApiError):
    """No valid credentials: 401 with a WWW-Authenticate challenge."""

    def __init__(self, message: str | None = None, *, invalid_token: bool = False) -> None:
        super().__init__(
            401, "not_authenticated", message or _("Log in or send a valid API token.")
        )
        self.invalid_token = invalid_token


class Replay(Exception):
    """The recorded first answer to a request sent again with its Idempotency-Key."""

    def __init__(self, record) -> None:
        super().__init__(record.key)
        self.record = record


def replayed_response(record) -> HttpResponse:
    """The recorded answer of an idempotency record, marked as replayed."""
    response = HttpResponse(record.response_body, status=record.status_code, content_type=JSON)
    response[REPLAYED_HEADER] = "true"
    return response


def invalid_cursor() -> ApiError:
    """The error for a cursor the API did not issue or that was altered."""
    return ApiError(
        400,
        "invalid_cursor",
        _("This cursor is not valid; start again from the first page."),
        [{"field": "cursor", "message": _("Use the cursor given by the previous page.")}],
    )


def payload_too_large(limit: int) -> ApiError:
    """The error for a request body over `limit` bytes."""
    return ApiError(
        413,
        "payload_too_large",
        _("The request body is too large; send at most %(limit)d bytes.") % {"limit": limit},
    )


def rate_limited(error: ratelimit.RateLimited) -> ApiError:
    """The error for a caller over a rate limit: 429, to retry after `error.retry_after` s."""
    return ApiError(429, "rate_limited", error.message)


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    """The JSON body of an error."""
    return {"error": {"code": code, "message": str(message), "fields": fields or []}}


API_PATH = "/api/"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's answer to an address nothing serves: under /api/ the API's JSON error
    (code "not_found"), so a client never has to read an HTML page; elsewhere the site's
    own "page not found" page."""
    if request.path.startswith(API_PATH):
        body = json.dumps(error_body("not_found", _("Nothing was found here.")))
        return HttpResponse(body, status=404, content_type=JSON)
    return defaults.page_not_found(request, exception)


def _respond(api: NinjaAPI, request: HttpRequest, status: int, body: dict) -> HttpResponse:
    return api.create_response(request, body, status=status)


def _field_path(loc) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not accepted.")
    if kind == "boolean_refused":
        return _("Give a value of the type asked for here, not true or false.")
    if kind == "timezone_aware":
        return _("Give the time with its offset from UTC, for example 2027-03-01T12:00:00+01:00.")
    if kind == "datetime_out_of_range":
        return _("This date and time is out of the range that can be stored.")
    return str(error.get("msg") or _("This value is not valid."))


def install(api: NinjaAPI) -> None:
    """Answer every error of `api` in the one JSON shape."""

    def api_error(request, exc: ApiError):
        if isinstance(exc, NotAuthenticated):
            # Refused credentials count against the address, so guessing tokens is slow.
            counter = (ratelimit.API_ANONYMOUS, ratelimit.address_key(current_ip()))
            decision = ratelimit.hit(counter)
            if not decision.allowed:
                return too_many(request, decision.error())
        response = _respond(api, request, exc.status, error_body(exc.code, exc.message, exc.fields))
        if isinstance(exc, NotAuthenticated):
            challenge = 'Bearer realm="api"'
            if exc.invalid_token:
                challenge += ', error="invalid_token"'
            response["WWW-Authenticate"] = challenge
        return response

    def too_many(request, exc: ratelimit.RateLimited):
        response = api_error(request, rate_limited(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response

    def throttled(request, exc: Throttled):
        decision = getattr(request, "rate_limit", None)
        if decision is not None and not decision.allowed:
            return too_many(request, decision.error())
        return too_many(request, ratelimit.RateLimited(ratelimit.API, exc.wait or 60))

    def validation_error(request, exc: ValidationError):
        fields = [
            {"field": _field_path(error.get("loc", ())), "message": _validation_message(error)}
            for error in exc.errors
        ]
        return _respond(
            api,
            request,
            422,
            error_body("validation_error", _("Some values are not valid; see the fields."), fields),
        )

    def not_permitted(request, exc: NotPermitted):
        request._refusal = exc
        return _respond(api, request, 403, error_body("permission_denied", exc.message))

    def domain_error(request, exc: DomainError):
        request._refusal = exc
        fields = [{"field": exc.field, "message": exc.message}] if exc.field else []
        if exc.code == "stale":
            return _respond(api, request, 409, error_body("conflict", exc.message, fields))
        code = exc.code if exc.code.startswith("idempotency_") else "domain_error"
        return _respond(api, request, 422, error_body(code, exc.message, fields))

    def not_found(request, exc: Exception):
        return _respond(api, request, 404, error_body("not_found", _("Nothing was found here.")))

    def permission_denied(request, exc: PermissionDenied):
        return _respond(
            api,
            request,
            403,
            error_body("permission_denied", str(exc) or _("You may not do this.")),
        )

    def http_error(request, exc: HttpError):
        if isinstance(exc, AuthenticationError):
            return api_error(request, NotAuthenticated())
        codes = {400: "bad_request", 403: "permission_denied", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "error")
        messages = {
            400: _("The request could not be read; send valid JSON."),
            403: _("You may not do this."),
        }
        message = messages.get(exc.status_code, str(exc))
        return _respond(api, request, exc.status_code, error_body(code, message))

    def server_error(request, exc: Exception):
        logger.exception("API request failed", exc_info=exc)
        return _respond(
            api,
            request,
            500,
            error_body("server_error", _("Something went wrong on our side; try again later.")),
        )

    def replay(request, exc: Replay):
        return replayed_response(exc.record)

    def too_big(request, exc: RequestDataTooBig):
        return api_error(request, payload_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))

    api.add_exception_handler(Replay, replay)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(ratelimit.RateLimited, too_many)
    api.add_exception_handler(Throttled, throttled)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(NotPermitted, not_permitted)
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(PermissionDenied, permission_denied)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Exception, server_error)
