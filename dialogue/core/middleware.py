"""Request context (the client's address) made available to the audit trail, and the
expiry of idle or old sessions."""

import contextvars
import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render
from django.utils.translation import gettext as _

from dialogue.core import clock

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("dialogue_ip", default=None)


def _valid_address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip())) if value else None
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address: REMOTE_ADDR, or with BEHIND_TLS_PROXY the address that the
    proxy appended last to X-Forwarded-For (earlier entries come from the client and prove
    nothing)."""
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1]
        address = _valid_address(forwarded)
        if address:
            return address
    return _valid_address(request.META.get("REMOTE_ADDR"))


def current_ip() -> str | None:
    """The address of the client whose request is being served, if any."""
    return _ip.get()


class RequestContextMiddleware:
    """Remember the client's address for the duration of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _ip.reset(token)


# Browser features no page of the site uses, denied to every page and to anything it embeds.
# Only features that current browsers recognise: an unknown name is reported as an error.
DENIED_BROWSER_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


class PermissionsPolicyMiddleware:
    """Send a Permissions-Policy header that denies the features in DENIED_BROWSER_FEATURES,
    unless the response already has one."""

    header = ", ".join(f"{feature}=()" for feature in DENIED_BROWSER_FEATURES)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


SESSION_STARTED_KEY = "dialogue_session_started"
SESSION_SEEN_KEY = "dialogue_session_seen"
# The time of the last request is written to the session at most this often.
ACTIVITY_RESOLUTION_SECONDS = 60


def session_idle_limit(user) -> int:
    """Seconds without a request after which a session of `user` ends: shorter for staff."""
    if user.is_staff or user.is_superuser:
        return settings.SESSION_IDLE_SECONDS_STAFF
    return settings.SESSION_IDLE_SECONDS


def mark_session_start(session, now: int | None = None) -> None:
    """Note in a new logged-in session when it started and when it was last used."""
    now = int(clock.now().timestamp()) if now is None else now
    session[SESSION_STARTED_KEY] = now
    session[SESSION_SEEN_KEY] = now


class SessionExpiryMiddleware:
    """End a logged-in session that has been idle too long (session_idle_limit) or that began
    more than SESSION_COOKIE_AGE seconds ago; the request then goes on as a visitor's.

    The last request's time is kept in the session and rewritten at most once every
    ACTIVITY_RESOLUTION_SECONDS, so most requests do not write the session; a visitor's
    request never reads or creates one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session = request.session
        now = int(clock.now().timestamp())
        started = session.get(SESSION_STARTED_KEY)
        seen = session.get(SESSION_SEEN_KEY)
        if started is None or seen is None:
            mark_session_start(session, now)
            return
        if now - started >= settings.SESSION_COOKIE_AGE:
            self._end(request, "the session is older than its maximum age")
            messages.info(
                request, _("Your session has ended. Please log in again."), fail_silently=True
            )
        elif now - seen >= session_idle_limit(request.user):
            self._end(request, "the session was idle too long")
            messages.info(
                request,
                _("You were logged out after a period without activity. Please log in again."),
                fail_silently=True,
            )
        elif now - seen >= ACTIVITY_RESOLUTION_SECONDS:
            session[SESSION_SEEN_KEY] = now

    @staticmethod
    def _end(request, reason: str) -> None:
        request.session_end_reason = reason
        logout(request)
        request.user = AnonymousUser()


API_PREFIX = "/api/"


def body_limit(request) -> int:
    """The largest request body accepted from this requester: staff may upload files (the
    largest of the upload limits, plus 1 MB for the other fields); everyone else sends
    forms of text (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    forms = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        uploads = max(
            int(getattr(settings, name, 0))
            for name in ("DOCUMENT_MAX_BYTES", "LETTER_MAX_BYTES", "MEMBER_IMPORT_MAX_BYTES")
        )
        return max(forms, uploads + 1024 * 1024)
    return forms


class BodyLimitMiddleware:
    """Refuse with 413 a request whose declared body is over `body_limit`, before anything
    reads it: Django parses a form (and writes its files to disk) as soon as anything
    asks for request.POST, the CSRF check included, whoever sends it. Django never reads
    more than the declared Content-Length, and nothing of a body declared without one.

    The API is left to its own guard, which refuses by the same header in the API's
    error format (dialogue.api.api.guard_request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) and not request.path.startswith(
            API_PREFIX
        ):
            limit = body_limit(request)
            if declared > limit:
                return _too_large(request, limit)
        return self.get_response(request)


def _too_large(request, limit: int):
    response = render(request, "413.html", {"limit_mb": limit // (1024 * 1024)}, status=413)
    response["Connection"] = "close"
    return response
