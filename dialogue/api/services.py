"""Writes of the API app: personal tokens and the records that make writes idempotent."""

import datetime
import functools
import hashlib
import hmac
import itertools
import secrets

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from dialogue.api.models import ApiToken, IdempotencyRecord
from dialogue.core import audit, clock, rows
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.services import save_audited

TOKEN_SCHEME = "dlg"  # noqa: S105 - the label that starts every token, not a secret
PREFIX_BYTES = 6
SECRET_BYTES = 32
MAX_ACTIVE_TOKENS = 20
USAGE_RESOLUTION = datetime.timedelta(minutes=1)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_BYTES)
    return prefix, f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


@transaction.atomic
def token_create(
    *, actor, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for the actor's own account and its secret, which is returned only here:
    only its hash is stored. Refuses an empty or too long name, a past expiry and more than
    MAX_ACTIVE_TOKENS usable tokens."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotPermitted(_("Log in to create an API token."))
    name = str(name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name."), field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise DomainError(_("Use at most 100 characters for the name."), field="name")
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise DomainError(_("Choose an expiry date in the future."), field="expires_at")
    usable = [t for t in ApiToken.objects.filter(user=actor) if t.is_usable(now)]
    if len(usable) >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            _("You already have %(count)d tokens; revoke one you no longer use first.")
            % {"count": MAX_ACTIVE_TOKENS},
            field="name",
        )
    prefix, secret = _new_token()
    token = ApiToken(
        user=actor,
        name=name,
        prefix=prefix,
        hash=token_hash(secret),
        created_at=now,
        expires_at=expires_at,
    )
    save_audited(token, actor=actor, fields=["name", "prefix", "expires_at"])
    return token, secret


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (staff may revoke anyone's); it stops working at
    once. Revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    is_owner = getattr(actor, "is_authenticated", False) and token.user_id == actor.pk
    if not is_owner and not getattr(actor, "is_staff", False):
        raise NotPermitted(_("You can only revoke your own tokens."))
    if token.revoked_at is not None:
        return token
    before = audit.snapshot(token, ["revoked_at"])
    token.revoked_at = clock.now()
    return save_audited(token, actor=actor, fields=["revoked_at"], before=before)


@functools.cache
def _token_query() -> str:
    from dialogue.members.models import Member, Person, User

    return (
        f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(User, 'u')}, "  # noqa: S608
        f"{rows.columns(Person, 'p')}, {rows.columns(Member, 'm')} "
        "FROM api_apitoken t JOIN members_user u ON u.id = t.user_id "
        "LEFT JOIN members_person p ON p.user_id = u.id "
        "LEFT JOIN members_member m ON m.id = p.delegation_id "
        "WHERE t.prefix = %s"
    )


def _token_with_account(prefix: str) -> ApiToken | None:
    """The token of `prefix` with its account, the account's person and delegation, read
    in one statement written out (this runs before every API call made with a token)."""
    from dialogue.members.models import Member, Person, User

    with connection.cursor() as cursor:
        cursor.execute(_token_query(), [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    ends = list(itertools.accumulate(rows.width(m) for m in (ApiToken, User, Person, Member)))
    token = rows.load(ApiToken, row[: ends[0]])
    user = rows.load(User, row[ends[0] : ends[1]])
    person = None
    if row[ends[1]] is not None:
        person = rows.load(Person, row[ends[1] : ends[2]])
        delegation = rows.load(Member, row[ends[2] :]) if row[ends[2]] is not None else None
        Person._meta.get_field("delegation").set_cached_value(person, delegation)
        Person._meta.get_field("user").set_cached_value(person, user)
    User._meta.get_field("person").set_cached_value(user, person)
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    return token


def token_authenticate(secret: str) -> ApiToken | None:
    """The usable token whose hash matches `secret`, with its account and the account's
    person and delegation (read in the same query), or None.

    The secret is compared by hash in constant time; its last use is recorded to the
    minute (bookkeeping, not an audited change)."""
    parts = str(secret or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or not parts[1] or not parts[2]:
        return None
    candidate = _token_with_account(parts[1])
    if candidate is None or not hmac.compare_digest(candidate.hash, token_hash(secret)):
        return None
    now = clock.now()
    if not candidate.is_usable(now) or not candidate.user.is_active:
        return None
    if candidate.last_used_at is None or now - candidate.last_used_at >= USAGE_RESOLUTION:
        ApiToken.objects.filter(pk=candidate.pk).update(last_used_at=now)
        candidate.last_used_at = now
    return candidate


def idempotency_lookup(*, user, key: str, method: str, path: str, body: bytes):
    """The recorded answer to an earlier request with this key, or None for a new key.

    A key reused for another request (method, path or body) raises DomainError with code
    "idempotency_key_reused"."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    same = (
        record.method == method
        and record.path == path
        and hmac.compare_digest(record.request_hash, hashlib.sha256(body).hexdigest())
    )
    if not same:
        raise DomainError(
            _("This Idempotency-Key was already used for a different request."),
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return record


def idempotency_claim(
    *, user, key: str, method: str, path: str, body: bytes
) -> tuple[IdempotencyRecord, bool]:
    """Reserve `key` for this request inside the caller's transaction.

    Returns (record, True) for a new key: a placeholder that `idempotency_answer` completes
    in the same transaction, so the key and the write it guards commit together or not at
    all. Returns (earlier record, False) when the key was answered before, also when a
    concurrent request with the key committed first (this one waits for it). A key reused
    for another request raises DomainError with code "idempotency_key_reused"."""
    earlier = idempotency_lookup(user=user, key=key, method=method, path=path, body=body)
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user,
                key=key,
                method=method,
                path=path,
                request_hash=hashlib.sha256(body).hexdigest(),
                status_code=0,
                response_body="",
                created_at=clock.now(),
            )
    except IntegrityError:
        earlier = idempotency_lookup(user=user, key=key, method=method, path=path, body=body)
        if earlier is None:
            raise
        return earlier, False
    return record, True


def idempotency_answer(
    *, record: IdempotencyRecord, status_code: int, response_body: str
) -> IdempotencyRecord:
    """Keep the answer to the request that claimed `record`, to be replayed on a retry."""
    record.status_code = status_code
    record.response_body = response_body
    record.save(update_fields=["status_code", "response_body"])
    return record


@transaction.atomic
def idempotency_store(
    *, user, key: str, method: str, path: str, body: bytes, status_code: int, response_body: str
) -> IdempotencyRecord:
    """Keep the answer to a write sent with an Idempotency-Key; when the key was answered
    before, that first answer is returned unchanged."""
    record, new = idempotency_claim(user=user, key=key, method=method, path=path, body=body)
    if not new:
        return record
    return idempotency_answer(record=record, status_code=status_code, response_body=response_body)
