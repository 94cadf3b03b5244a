"""Who calls the API: a personal token sent as `Authorization: Bearer ...`, the browser
session (with its CSRF token for writes), or, on public resources, nobody; and how often.

A token that is sent but unknown, revoked or expired is refused (401) even where
anonymous reading is allowed, so a client never silently reads less than it expects.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from dialogue.api import services
from dialogue.api.errors import ApiError, NotAuthenticated
from dialogue.core import ratelimit
from dialogue.core.middleware import current_ip


class TokenAuth(HttpBearer):
    """A personal API token; the request then acts as the token's account."""

    def __call__(self, request: HttpRequest):
        value = request.headers.get(self.header)
        if value is None:
            return None
        scheme, _space, token = value.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise NotAuthenticated(
                _("Send the token as: Authorization: Bearer <token>."), invalid_token=True
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        found = services.token_authenticate(token)
        if found is None:
            raise NotAuthenticated(
                _("This API token is not valid: it is unknown, revoked or expired."),
                invalid_token=True,
            )
        request.user = found.user
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods also need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise ApiError(
                403,
                "permission_denied",
                _("The CSRF token is missing or wrong; reload the page and try again."),
            )
        return user


def anonymous(request: HttpRequest):
    """Anyone, for public resources: the request reads as a visitor."""
    request.user = AnonymousUser()
    return request.user


CounterSource = Callable[[HttpRequest], Iterable[ratelimit.Counter]]


def caller_counter(request: HttpRequest) -> ratelimit.Counter:
    """The API limit a request counts against: its account's, or for an anonymous caller
    its IP address's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return (ratelimit.API, ratelimit.account_key(user))
    return (ratelimit.API_ANONYMOUS, ratelimit.address_key(current_ip()))


def per_account(scope: str) -> CounterSource:
    """An operation's own limit of `scope`, counted per account."""

    def counters(request: HttpRequest) -> list[ratelimit.Counter]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return [(scope, ratelimit.account_key(user))]

    return counters


class RateLimit(BaseThrottle):
    """Count a request, once authenticated, against the caller's API limit and the
    operation's own limits (`sources`) in one statement; over any of them it is answered
    429 with the code "rate_limited" and a Retry-After header (see errors.install)."""

    def __init__(self, *sources: CounterSource) -> None:
        self.sources = sources

    def allow_request(self, request: HttpRequest) -> bool:
        counters = [caller_counter(request)]
        for source in self.sources:
            counters.extend(source(request))
        decision = ratelimit.hit(*counters, actor=getattr(request, "user", None))
        request.rate_limit = decision
        return decision.allowed


token_auth = TokenAuth()
session_auth = SessionAuth()

SIGNED_IN = [token_auth, session_auth]
ANYONE = [token_auth, session_auth, anonymous]
