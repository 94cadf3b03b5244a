from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only.")


class AuditEntry(models.Model):
    """One write, as it happened: who, when, from where, on what, and what changed."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        IMPORT = "import", _("Imported")
        EXPORT = "export", _("Exported")
        RATE_LIMITED = "rate_limited", _("Refused: too many requests")
        REFUSED = "refused", _("Refused")

    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")


class RateCounter(models.Model):
    """How many requests one caller (`key`) made in one fixed window of a limit (`scope`).

    Written only by dialogue.core.ratelimit, with one atomic upsert per request, so
    every application process sharing the database counts in the same row.
    """

    scope = models.CharField(_("limit"), max_length=40)
    key = models.CharField(_("caller"), max_length=150)
    window_start = models.BigIntegerField(_("window start (Unix time)"))
    window_end = models.BigIntegerField(_("window end (Unix time)"), db_index=True)
    hits = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="core_ratecounter_one_per_window"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.key} @{self.window_start}: {self.hits}"
