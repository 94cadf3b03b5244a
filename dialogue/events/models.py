from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialogue.core.i18n import localized


class Event(models.Model):
    """A meeting of the dialogue: expert seminar, intersessional workshop, training, ..."""

    class Kind(models.TextChoices):
        EXPERT_SEMINAR = "expert_seminar", _("Expert seminar")
        WORKSHOP = "workshop", _("Intersessional workshop")
        TRAINING = "training", _("Training session")
        CONSULTATION = "consultation", _("Informal consultation")
        OTHER = "other", _("Other meeting")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        PLANNING = "planning", _("In planning")
        SEEKING_FUNDING = "seeking_funding", _("Seeking funding")
        CONFIRMED = "confirmed", _("Confirmed")
        HELD = "held", _("Held")
        POSTPONED = "postponed", _("Postponed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    cycle = models.ForeignKey(
        "cycles.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="events"
    )
    topic = models.ForeignKey(
        "cycles.Proposal",
        verbose_name=_("topic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["cycle", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title_en=""), name="events_event_title_set"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")
