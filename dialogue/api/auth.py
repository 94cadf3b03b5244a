"""Who calls the API: a personal token sent as `Authorization: Bearer ...`, the browser
session (with its CSRF token for writes), or, on public resources, nobody.

A token that is sent but unknown, revoked or expired is refused (401) even where
anonymous reading is allowed, so a client never silently reads less than it expects.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dialogue.api import services
from dialogue.api.errors import ApiError, NotAuthenticated


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


token_auth = TokenAuth()
session_auth = SessionAuth()

SIGNED_IN = [token_auth, session_auth]
ANYONE = [token_auth, session_auth, anonymous]
