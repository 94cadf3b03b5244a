"""Authentication events (login, logout, failed login, lockout) go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dialogue.core import audit
from dialogue.core.middleware import mark_session_start
from dialogue.core.models import AuditEntry
from dialogue.members import two_factor
from dialogue.members.login_throttle import login_name


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    note = ""
    if two_factor.requires_second_factor(user):
        note = "password accepted; the second factor is still to pass"
    audit.record(actor=user, action=AuditEntry.Action.LOGIN, obj=user, note=note)
    if request is not None and hasattr(request, "session"):
        mark_session_start(request.session)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        note = getattr(request, "session_end_reason", "") if request is not None else ""
        audit.record(actor=user, action=AuditEntry.Action.LOGOUT, obj=user, note=note)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    """One entry per failed log-in; axes has already decided (it is installed before this
    app), so a failure that starts a lockout, or is refused by one, says so."""
    username = login_name(None, credentials) or ""
    note = ""
    changes = {}
    lockout = getattr(request, "login_lockout", None)
    if lockout is not None:
        until = lockout.until.isoformat(timespec="seconds")
        if getattr(request, "login_lockout_started", False):
            note = f"locked out until {until}: {lockout.reason}"
        else:
            note = f"refused without checking the password: locked out until {until}"
        changes = {"locked_out_until": until}
    audit.record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        object_type="members.user",
        object_repr=username[:200],
        changes=changes,
        note=note,
    )
