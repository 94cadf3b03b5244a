"""Who a management command acts as."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dialogue.members.models import User


def staff_account(email: str | None) -> User | None:
    """The active staff account named by `--as`, or None for the system actor."""
    if not email:
        return None
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None or not user.is_active or not user.is_staff:
        raise CommandError(_("%(email)s is not an active staff account.") % {"email": email})
    return user
