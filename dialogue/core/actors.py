"""Who acts: a logged-in account, or the platform itself (command line, scheduled work)."""

from django.utils.translation import gettext as _

from dialogue.core.errors import NotPermitted


class SystemActor:
    """The platform acting without a personal account; it has staff rights.

    It is not an account, so the audit trail records it by name ("system")
    rather than as a foreign key.
    """

    is_authenticated = False
    is_active = True
    is_staff = True
    is_superuser = False

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def has_staff_rights(actor) -> bool:
    """True for an active staff account and for the platform itself."""
    if actor is SYSTEM:
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_staff)


def require_staff(actor) -> None:
    """Refuse (NotPermitted) anyone but an active staff account or the platform itself."""
    if not has_staff_rights(actor):
        raise NotPermitted(_("Only the secretariat can do this."))
