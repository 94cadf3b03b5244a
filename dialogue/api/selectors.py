"""Reads of the API app."""

from django.db.models import QuerySet

from dialogue.api.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    """A person's own API tokens, latest first, revoked ones included."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_of(user, token_id) -> ApiToken:
    """One of a person's own tokens (raises ApiToken.DoesNotExist for anyone else's)."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        raise ApiToken.DoesNotExist from None
    return tokens_of(user).get(pk=token_id)
