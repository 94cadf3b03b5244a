"""Log-in throttling: how many failed log-ins an account and an address may have, and the
lockout that follows, on top of django-axes.

Every failed password check is one row of axes' AccessFailureLog, in the database that all
application processes share. The row is written before the password is checked, in the
same step as the count that allows the check, and taken back when the password is right:
attempts arriving at once, in any number of processes, take turns for that step, so no
more passwords are checked than the limit allows. The limits are sliding windows over
those rows:

- an account (the e-mail address typed, whoever types it, from any address) is locked
  once it has ACCOUNT_LIMIT failures within ACCOUNT_WINDOW, until the oldest of them
  leaves the window;
- an address is locked once ADDRESS_LIMIT failures came from it within ADDRESS_WINDOW.

A log-in refused during a lockout checks no password and does not extend the lockout. It
is answered 429 with the time the lockout ends, even when the password is right.
"""

import datetime
import ipaddress
import math
from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.core.pages import render

ACCOUNT_LIMIT = 10
ACCOUNT_WINDOW = datetime.timedelta(minutes=15)
ADDRESS_LIMIT = 100
ADDRESS_WINDOW = datetime.timedelta(hours=1)
# Failed log-ins older than this are deleted as new ones come in; the audit trail keeps
# every one of them for good.
FAILURES_KEPT = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Lockout:
    """Log-ins are refused until `until`: for the account typed, from the address, or both."""

    until: datetime.datetime
    account: bool
    address: bool

    @property
    def reason(self) -> str:
        """The rule that locked, in words for the audit trail."""
        reasons = []
        if self.account:
            reasons.append(
                f"{ACCOUNT_LIMIT} failed log-ins for this account within "
                f"{int(ACCOUNT_WINDOW.total_seconds() // 60)} minutes"
            )
        if self.address:
            reasons.append(
                f"{ADDRESS_LIMIT} failed log-ins from this address within "
                f"{int(ADDRESS_WINDOW.total_seconds() // 60)} minutes"
            )
        return " and ".join(reasons)


def login_name(request, credentials: dict | None = None) -> str | None:
    """The account a log-in is for, as axes counts it: the e-mail address typed, without
    surrounding blanks and in lower case (log-in ignores case, so the count must too)."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("username")
    if value is None:
        return None
    return str(value).strip().lower()[:255] or None


def _blocked_until(failures, limit: int, window: datetime.timedelta, now) -> datetime.datetime:
    times = list(
        failures.filter(attempt_time__gt=now - window)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limit]
    )
    if len(times) < limit:
        return None
    return times[-1] + window


def lockout_for(
    *, username: str | None, ip_address: str | None, now: datetime.datetime | None = None
) -> Lockout | None:
    """The lockout in force at `now` for log-ins to `username` or from `ip_address`, if any."""
    now = now or clock.now()
    account_until = address_until = None
    if username:
        account_until = _blocked_until(
            AccessFailureLog.objects.filter(username=username), ACCOUNT_LIMIT, ACCOUNT_WINDOW, now
        )
    if ip_address:
        address_until = _blocked_until(
            AccessFailureLog.objects.filter(ip_address=ip_address),
            ADDRESS_LIMIT,
            ADDRESS_WINDOW,
            now,
        )
    if account_until is None and address_until is None:
        return None
    return Lockout(
        until=max(t for t in (account_until, address_until) if t is not None),
        account=account_until is not None,
        address=address_until is not None,
    )


def failures_in_window(*, username: str, now: datetime.datetime | None = None) -> int:
    """How many failed log-ins count against `username` at `now`."""
    now = now or clock.now()
    return AccessFailureLog.objects.filter(
        username=username, attempt_time__gt=now - ACCOUNT_WINDOW
    ).count()


def _take_turns(username: str | None, ip_address: str | None) -> None:
    """Until the current transaction ends, other log-in attempts for this account or from
    this address wait here. On PostgreSQL by advisory locks, taken in one order so that two
    attempts never wait for each other; SQLite's transactions start IMMEDIATE (settings),
    so there only one of them runs at a time anyway."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        f"{kind}:{value}"
        for kind, value in (("login-account", username), ("login-address", ip_address))
        if value
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _record_failure(request, username: str | None) -> tuple[Lockout | None, AccessFailureLog]:
    """Forget failures older than FAILURES_KEPT, write one for this request and return the
    lockout in force once it counts; the caller holds the turn (_take_turns)."""
    AccessFailureLog.objects.filter(
        attempt_time__lt=request.axes_attempt_time - FAILURES_KEPT
    ).delete()
    failure = AccessFailureLog.objects.create(
        username=username,
        ip_address=request.axes_ip_address,
        user_agent=request.axes_user_agent,
        http_accept=request.axes_http_accept,
        path_info=request.axes_path_info,
    )
    return lockout_for(username=username, ip_address=request.axes_ip_address), failure


def attempt_begin(request, credentials: dict | None = None) -> Lockout | None:
    """Before a password is checked: the lockout in force for this log-in, or None after
    recording the attempt as a failure in advance (`attempt_succeeded` takes it back).

    Counting and recording are one step that concurrent attempts for the same account or
    address take in turn, so at most ACCOUNT_LIMIT passwords of an account, and
    ADDRESS_LIMIT from an address, are checked per window, however many arrive at once."""
    username = login_name(request, credentials)
    ip_address = getattr(request, "axes_ip_address", None)
    with transaction.atomic():
        _take_turns(username, ip_address)
        lockout = lockout_for(username=username, ip_address=ip_address)
        if lockout is not None:
            return lockout
        _lockout, failure = _record_failure(request, username)
    request.login_attempt = failure.pk
    return None


def attempt_succeeded(request) -> None:
    """The password was right: the failure recorded for it in advance is taken back."""
    pk = request.__dict__.pop("login_attempt", None) if request is not None else None
    if pk is not None:
        AccessFailureLog.objects.filter(pk=pk).delete()


def request_lockout(request, credentials: dict | None = None) -> Lockout | None:
    """The lockout in force for this log-in request, if any."""
    return lockout_for(
        username=login_name(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
        now=getattr(request, "axes_attempt_time", None),
    )


class LoginThrottle(AxesDatabaseHandler):
    """axes' database handler with the two sliding-window limits of this module.

    It sets `request.login_lockout` (a Lockout) when a log-in is refused or locks, and
    `request.login_lockout_started` when this very failure started the lockout, for the
    audit trail and the 429 page.
    """

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return request_lockout(request, credentials) is not None

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        """As axes decides, except that an allowed password check is recorded as a failure
        in the same step (`attempt_begin`); without credentials nothing is recorded."""
        if credentials is None or self.is_blacklisted(request, credentials):
            return super().is_allowed(request, credentials)
        if self.is_whitelisted(request, credentials):
            return True
        lockout = attempt_begin(request, credentials)
        if lockout is not None:
            request.login_lockout = lockout
            return False
        return True

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = login_name(request, credentials)
        if not username:
            return 0
        return failures_in_window(username=username, now=request.axes_attempt_time)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return
        if request.axes_locked_out:
            request.login_lockout = request_lockout(request, credentials)
            request.axes_credentials = credentials
            return
        if self.is_whitelisted(request, credentials):
            return
        username = get_client_username(request, credentials)
        recorded = request.__dict__.pop("login_attempt", None)
        with transaction.atomic():
            _take_turns(username, request.axes_ip_address)
            if recorded is None:
                lockout, failure = _record_failure(request, username)
            else:
                failure = AccessFailureLog(pk=recorded)
                lockout = lockout_for(username=username, ip_address=request.axes_ip_address)
            if lockout is not None:
                AccessFailureLog.objects.filter(pk=failure.pk).update(locked_out=True)
        if lockout is None:
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        request.login_lockout = lockout
        request.login_lockout_started = True
        user_locked_out.send(
            "axes", request=request, username=username, ip_address=request.axes_ip_address
        )


def _try_again_at(until: datetime.datetime) -> datetime.datetime:
    """`until` in the current time zone, rounded up to the whole minute."""
    local = timezone.localtime(until)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    return local


def lockout_response(request, original_response=None, credentials=None):
    """The page for a refused log-in: 429, in the site's layout, with when to try again."""
    lockout = getattr(request, "login_lockout", None) or request_lockout(request, credentials)
    until = lockout.until if lockout else clock.now() + ACCOUNT_WINDOW
    retry_after = max(1, math.ceil((until - clock.now()).total_seconds()))
    response = render(
        request,
        "portal/locked_out.html",
        {"try_again_at": _try_again_at(until), "lockout": lockout},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@transaction.atomic
def lockout_lift(*, actor, username: str = "", ip_address: str = "") -> int:
    """Staff lift the lockout of an account, an address or both by forgetting their failed
    log-ins (the audit trail keeps them); returns how many were forgotten."""
    require_staff(actor)
    username = (username or "").strip().lower()
    ip_address = (ip_address or "").strip()
    if not username and not ip_address:
        raise DomainError(_("Name an account or an address whose lockout to lift."))
    if ip_address:
        try:
            ip_address = str(ipaddress.ip_address(ip_address))
        except ValueError as error:
            raise DomainError(
                _("%(value)s is not an IP address.") % {"value": ip_address}, field="ip_address"
            ) from error
    matching = Q(pk__in=[])
    if username:
        matching |= Q(username=username)
    if ip_address:
        matching |= Q(ip_address=ip_address)
    count, _deleted = AccessFailureLog.objects.filter(matching).delete()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        object_type="axes.accessfailurelog",
        object_repr=", ".join(v for v in (username, ip_address) if v)[:255],
        changes={"failed_logins_forgotten": [count, 0]},
        note="log-in lockout lifted",
    )
    return count
