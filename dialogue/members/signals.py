"""Authentication events (login, logout, failed login) go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dialogue.core import audit
from dialogue.core.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action=AuditEntry.Action.LOGOUT, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or credentials.get("email") or "")[:200]
    audit.record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        object_type="members.user",
        object_repr=username,
    )
