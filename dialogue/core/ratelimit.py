"""Rate limits shared by every application process: how many requests a caller may make
in a window of time, counted in the database.

A limit has a scope ("api", "submission_delegation", "upload", ...) and is counted per
caller key ("user:12", "member:7", "ip:192.0.2.1") in fixed windows aligned on the Unix
epoch (a 60-second window starts on the minute). `settings.RATE_LIMITS` gives each scope
as (requests, window seconds); a scope that is missing or None is not limited, and
`settings.RATE_LIMIT_FACTOR` multiplies every limit (for load tests).

Counting is one statement however many limits a request is counted against: an
``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`` on
`RateCounter` (SQLite 3.35+ and PostgreSQL). The database makes it atomic, so processes
and threads counting at once never lose a count and exactly one request sees each value;
Django's DatabaseCache.incr, a read then a write, would lose counts between processes.

Call `hit` or `enforce` before the request's business transaction opens, in autocommit:
the count then commits at once, so a refused or failing request still counts, and the
counter's row is locked only for that one statement, not for the whole request. Called
inside an atomic block, the count would join that transaction (and roll back with it).

A count is worth less than a ballot, so it is not flushed to disk on its own: on
PostgreSQL the table is UNLOGGED (emptied after a database crash, which only restarts the
windows), and on SQLite the count commits with synchronous=NORMAL, the business writes
keeping FULL. Old windows are deleted by `purge`, run every PURGE_EVERY hits of a process.
"""

import functools
import itertools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue.core import audit, clock
from dialogue.core.errors import DomainError
from dialogue.core.middleware import current_ip
from dialogue.core.models import AuditEntry, RateCounter

logger = logging.getLogger("dialogue.ratelimit")

API = "api"
API_ANONYMOUS = "api_anonymous"
SUBMISSION_DELEGATION = "submission_delegation"
SUBMISSION_PERSON = "submission_person"
UPLOAD = "upload"
EXPORT = "export"

PURGE_EVERY = 1000
_hits_in_process = itertools.count(1)

Counter = tuple[str, str]
"""One limit a request is counted against: (scope, caller key)."""


@dataclass(frozen=True)
class Limit:
    requests: int
    window: int


@dataclass(frozen=True)
class Count:
    scope: str
    key: str
    limit: Limit
    hits: int
    window_end: int

    @property
    def allowed(self) -> bool:
        return self.hits <= self.limit.requests

    @property
    def first_refusal(self) -> bool:
        """True for the one request of the window that first went over the limit."""
        return self.hits == self.limit.requests + 1


@dataclass(frozen=True)
class Decision:
    """The answer to one request: allowed or not, how many requests are left in the
    tightest window, and in how many seconds a refused caller may try again."""

    allowed: bool
    remaining: int | None
    retry_after: int
    counts: tuple[Count, ...] = ()

    @property
    def refused_scopes(self) -> list[str]:
        return [count.scope for count in self.counts if not count.allowed]

    def error(self) -> "RateLimited":
        """The domain error telling the caller to wait."""
        return RateLimited(self.refused_scopes[0] if self.refused_scopes else API, self.retry_after)


ALLOWED = Decision(allowed=True, remaining=None, retry_after=0)


class RateLimited(DomainError):
    """Too many requests of one kind in a short time; try again in `retry_after` seconds."""

    def __init__(self, scope: str, retry_after: int):
        self.scope = scope
        self.retry_after = max(int(retry_after), 1)
        super().__init__(_message(scope, self.retry_after), code="rate_limited")


def _wait(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _message(scope: str, retry_after: int) -> str:
    wait = _wait(retry_after)
    if scope in (SUBMISSION_DELEGATION, SUBMISSION_PERSON):
        return _(
            "Your delegation's answer was sent too many times in a short time, so this one "
            "was not recorded. Try again in %(wait)s."
        ) % {"wait": wait}
    if scope == UPLOAD:
        return _("You have uploaded too many files in a short time; try again in %(wait)s.") % {
            "wait": wait
        }
    if scope == EXPORT:
        return _("You have downloaded too many exports in a short time; try again in %(wait)s.") % {
            "wait": wait
        }
    return _("Too many requests in a short time; try again in %(wait)s.") % {"wait": wait}


def limit_for(scope: str) -> Limit | None:
    """The limit of `scope` from settings, or None when the scope is not limited."""
    configured = getattr(settings, "RATE_LIMITS", {}).get(scope)
    if not configured:
        return None
    requests, window = configured
    factor = int(getattr(settings, "RATE_LIMIT_FACTOR", 1) or 1)
    return Limit(requests=int(requests) * factor, window=int(window))


def account_key(user) -> str:
    """The caller key of a logged-in account."""
    return f"user:{user.pk}"


def address_key(address: str | None) -> str:
    """The caller key of an anonymous client, by its IP address."""
    return f"ip:{address or 'unknown'}"


def submission_counters(*, member_id: int, user) -> list[Counter]:
    """The limits a response submission is counted against: its delegation's and the
    submitting person's."""
    return [(SUBMISSION_DELEGATION, f"member:{member_id}"), (SUBMISSION_PERSON, account_key(user))]


# One row per counter; the only variable part is how many "(%s, %s, %s, %s, 1)" groups
# there are, every value being a query parameter.
UPSERT = (
    'INSERT INTO "core_ratecounter" ("scope", "key", "window_start", "window_end", "hits") '
    "VALUES {rows} "
    'ON CONFLICT ("scope", "key", "window_start") '
    'DO UPDATE SET "hits" = "core_ratecounter"."hits" + 1 '
    'RETURNING "scope", "key", "hits", "window_end"'
)


@functools.cache
def _upsert_sql(rows: int) -> str:
    return UPSERT.format(rows=", ".join(["(%s, %s, %s, %s, 1)"] * rows))


def _upsert(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            cursor.execute(sql, params)
            return cursor.fetchall()
        # A count needs no flush to disk of its own (SQLite's WAL stays consistent, and the
        # next fully synchronous commit flushes it too); the connection's setting is put back
        # at once, so the business writes keep theirs.
        cursor.execute("PRAGMA synchronous")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous = NORMAL")
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.execute(f"PRAGMA synchronous = {int(previous)}")


def _count(counters: Iterable[Counter], now_seconds: float) -> list[Count]:
    limits: dict[Counter, Limit] = {}
    for scope, key in counters:
        limit = limit_for(scope)
        if limit is not None:
            limits[(scope, str(key)[:150])] = limit
    if not limits:
        return []
    # Rows in a fixed order, so two requests sharing counters lock them in the same order.
    ordered = sorted(limits)
    params: list = []
    for scope, key in ordered:
        window = limits[(scope, key)].window
        start = int(now_seconds // window) * window
        params += [scope, key, start, start + window]
    rows = _upsert(_upsert_sql(len(ordered)), params)
    return [
        Count(scope, key, limits[(scope, key)], int(hits), int(window_end))
        for scope, key, hits, window_end in rows
    ]


def hit(*counters: Counter, actor=None, now=None) -> Decision:
    """Count one request against each (scope, key) in one atomic statement and decide.

    The request is allowed when no limit is exceeded. The first refusal of a window for
    a key is noted in the audit trail and the log (who, what, when, from which address),
    the others are not, so an attack cannot flood them.
    """
    now = now or clock.now()
    now_seconds = now.timestamp()
    counts = _count(counters, now_seconds)
    if next(_hits_in_process) % PURGE_EVERY == 0:
        purge(now=now)
    if not counts:
        return ALLOWED
    refused = [count for count in counts if not count.allowed]
    for count in refused:
        if count.first_refusal:
            _record_refusal(count, actor)
    retry_after = max((math.ceil(c.window_end - now_seconds) for c in refused), default=0)
    return Decision(
        allowed=not refused,
        remaining=min(max(c.limit.requests - c.hits, 0) for c in counts),
        retry_after=max(retry_after, 1) if refused else 0,
        counts=tuple(counts),
    )


def enforce(*counters: Counter, actor=None, now=None) -> Decision:
    """As `hit`, but raise RateLimited when the request is refused."""
    decision = hit(*counters, actor=actor, now=now)
    if not decision.allowed:
        raise decision.error()
    return decision


def account_refusal(scope: str, user) -> RateLimited | None:
    """Count one request of `user` against `scope`: None when allowed, else the refusal."""
    try:
        enforce((scope, account_key(user)), actor=user)
    except RateLimited as error:
        return error
    return None


def too_many_requests(error: RateLimited) -> HttpResponse:
    """A plain-text 429 answer with Retry-After, for a download refused by a limit."""
    response = HttpResponse(error.message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(error.retry_after)
    return response


def limited_per_account(scope: str):
    """A view decorator: each request of the logged-in user counts against `scope`, and
    one over the limit is answered 429 without running the view."""

    def decorator(view):
        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            refused = account_refusal(scope, request.user)
            if refused:
                return too_many_requests(refused)
            return view(request, *args, **kwargs)

        return limited

    return decorator


def purge(*, now=None) -> int:
    """Delete the counters of windows that have ended; returns how many were deleted."""
    now = now or clock.now()
    deleted, _by_model = RateCounter.objects.filter(window_end__lte=int(now.timestamp())).delete()
    return deleted


def _record_refusal(count: Count, actor) -> None:
    who = actor if getattr(actor, "is_authenticated", False) else None
    label = who.get_username() if who else "anonymous"
    audit.record(
        actor=who or "anonymous",
        action=AuditEntry.Action.RATE_LIMITED,
        object_type="rate_limit",
        object_id=count.key,
        object_repr=count.scope,
        note=f"more than {count.limit.requests} requests in {count.limit.window} s",
    )
    logger.warning(
        "Rate limit %s exceeded by %s (%s) from %s: more than %d requests in %d s",
        count.scope,
        label,
        count.key,
        current_ip() or "-",
        count.limit.requests,
        count.limit.window,
    )
