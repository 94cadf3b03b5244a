"""The JSON API under /api/v1/: its OpenAPI schema at /api/v1/openapi.json and interactive
documentation at /api/v1/docs."""

import copy
import functools

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import NinjaAPI, Swagger
from ninja.errors import ValidationError

from dialogue.api import cycles, documents, errors, members, persons
from dialogue.api.auth import RateLimit
from dialogue.core import audit

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def max_body_bytes() -> int:
    """The largest request body accepted (setting API_MAX_BODY_BYTES, 1 MB by default)."""
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def _language_from_header(value: str) -> str | None:
    for code, _quality in parse_accept_lang_header(value):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def _body_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _text_with_nul(request: HttpRequest, path_values: dict) -> str | None:
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "")
    for name, value in path_values.items():
        if isinstance(value, str) and "\x00" in value:
            return name
    return None


def guard_request(run):
    """Before anything else: answer in the language of Accept-Language when it names one
    (the language cookie otherwise), refuse an oversized body (413) and text holding a
    NUL character, which no field accepts (422)."""

    @functools.wraps(run)
    def guarded(request: HttpRequest, **path_values):
        header = request.headers.get("Accept-Language")
        language = _language_from_header(header) if header else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        limit = max_body_bytes()
        if _body_size(request) > limit:
            return api.on_exception(request, errors.payload_too_large(limit))
        field = _text_with_nul(request, path_values)
        if field is not None:
            error = ValidationError(
                [{"loc": ("query", field), "type": "nul", "msg": _("Remove the NUL character.")}]
            )
            return api.on_exception(request, error)
        response = run(request, **path_values)
        # A refusal's audit entry, once the refused request's transaction has ended.
        audit.record_refusal(request.__dict__.pop("_refusal", None))
        return response

    return guarded


TOO_MANY_REQUESTS = {
    "description": "Too many requests: the caller is over a rate limit (code rate_limited).",
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


class DialogueAPI(NinjaAPI):
    """The API, whose every operation may answer 429 when its caller is over a rate limit."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The schema, built once per process and path prefix (the operations do not change
        while it runs); texts stay lazy, so each reader gets them in their language."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cached = self._schemas.get(path_prefix)
        if cached is None:
            cached = super().get_openapi_schema(path_prefix=path_prefix)
            for operations in cached["paths"].values():
                for operation in operations.values():
                    operation["responses"].setdefault(429, TOO_MANY_REQUESTS)
            self._schemas[path_prefix] = cached
        return copy.deepcopy(cached)

    @functools.cached_property
    def _schemas(self) -> dict:
        return {}


api = DialogueAPI(
    title="Dialogue API",
    version="1",
    description=gettext_lazy(
        "Members, persons, cycles, surveys, events, documents, funding and exports of the "
        "dialogue. Authenticate with the browser session or a personal API token sent as "
        "`Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    # Served from the bundled static files; the online validator badge would load an
    # image from another site, which the Content-Security-Policy refuses.
    docs=Swagger(settings={"validatorUrl": "none"}),
    throttle=RateLimit(),
)
errors.install(api)
api.add_decorator(guard_request, mode="view")
api.add_router("", members.router)
api.add_router("", persons.router)
api.add_router("", cycles.router)
api.add_router("", documents.router)
api.add_router("", "dialogue.api.events.router")
api.add_router("", "dialogue.api.surveys.router")
