"""Set-up helpers for the API's tests: tokens are made by the service, so only hashes
are stored, as in use."""

from dialogue.api import services


def make_token(user, name: str = "Script") -> str:
    """A usable token of `user`; returns the secret to send."""
    _token, secret = services.token_create(actor=user, name=name)
    return secret


def bearer(secret: str) -> dict:
    """The headers that send `secret` as a bearer token with the test client."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
