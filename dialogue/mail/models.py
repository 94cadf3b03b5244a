"""Outgoing e-mail: each message is stored before it is sent, so none is lost."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Message(models.Model):
    """One e-mail to send, with where its delivery stands.

    `next_attempt_at` is when a queued message is next due, or, while it is being
    sent, when the sender's lease runs out and the sweep may hand it to another worker.
    """

    class Kind(models.TextChoices):
        SURVEY_INVITATION = "survey_invitation", _("Survey invitation")
        SURVEY_REMINDER = "survey_reminder", _("Survey reminder")
        EVENT_INVITATION = "event_invitation", _("Event invitation")
        REGISTRATION = "registration", _("Registration")
        DATE_CHANGE = "date_change", _("Date change")
        FOLLOW_UP = "follow_up", _("Event follow-up")
        ACCOUNT_INVITATION = "account_invitation", _("Account invitation")
        SECOND_FACTOR = "second_factor", _("Second factor set-up")
        PASSWORD_RESET = "password_reset", _("Password reset")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("e-mail status", "Queued")
        SENDING = "sending", pgettext_lazy("e-mail status", "Being sent")
        SENT = "sent", pgettext_lazy("e-mail status", "Sent")
        FAILED = "failed", pgettext_lazy("e-mail status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("e-mail status", "Cancelled")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    to = models.TextField(_("to"), help_text=_("One address per line."))
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML version"), blank=True)
    personal_links = models.TextField(
        _("personal links"),
        blank=True,
        help_text=_(
            "Links in the text that act as a credential (an invitation, a password link), "
            "one per line; they are removed from the stored text once the e-mail is sent "
            "or cancelled."
        ),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    about_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    about_id = models.CharField(_("about (id)"), max_length=64, blank=True)
    about_repr = models.CharField(_("about"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mail_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="mail_message_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipient_list)}"

    @property
    def recipient_list(self) -> list[str]:
        """The recipients, as stored (one address, with an optional name, per line)."""
        return [line for line in self.to.splitlines() if line]


class Attachment(models.Model):
    """A file sent with a message, kept as the bytes that are sent (e.g. an event's .ics)."""

    message = models.ForeignKey(
        Message, verbose_name=_("e-mail"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    mimetype = models.CharField(_("type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
