from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Donor(models.Model):
    """Who funds activities: a Member (e.g. a Government) or another organization."""

    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donor",
    )
    organization = models.OneToOneField(
        "members.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donor",
    )

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, organization__isnull=True)
                | Q(member__isnull=True, organization__isnull=False),
                name="funding_donor_is_member_or_organization",
            ),
        ]

    def __str__(self):
        return str(self.member or self.organization)


class BudgetLine(models.Model):
    """One line of an activity's budget, in its own currency."""

    class Kind(models.TextChoices):
        VENUE = "venue", _("Venue")
        TRAVEL = "travel", _("Travel")
        INTERPRETATION = "interpretation", _("Interpretation")
        PUBLICATION = "publication", _("Publication")
        OTHER = "other", _("Other")

    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="budget_lines",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.CharField(
        _("interpretation into"),
        max_length=2,
        blank=True,
        choices=[("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))],
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["event", "kind", "language", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="interpretation", language__in=["en", "fr", "es"])
                | (~Q(kind="interpretation") & Q(language="")),
                name="funding_line_interpretation_has_language",
            ),
            models.UniqueConstraint(
                fields=["event", "language"],
                condition=Q(kind="interpretation"),
                name="funding_one_interpretation_line_per_language",
            ),
        ]

    def __str__(self):
        label = self.get_kind_display()
        if self.language:
            label = f"{label} ({self.get_language_display()})"
        return f"{self.event}: {label}"


class Pledge(models.Model):
    """Money a donor pledged to an activity, possibly earmarked for one budget line."""

    class Status(models.TextChoices):
        PLEDGED = "pledged", _("Pledged")
        RECEIVED = "received", _("Received")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="pledges"
    )
    event = models.ForeignKey(
        "events.Event", verbose_name=_("event"), on_delete=models.PROTECT, related_name="pledges"
    )
    budget_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("earmarked for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLEDGED
    )
    pledged_on = models.DateField(_("pledged on"))
    received_on = models.DateField(_("received on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["event", "pledged_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_pledge_positive"),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_on__isnull=False),
                name="funding_received_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.donor}: {self.amount} {self.currency} ({self.get_status_display()})"


class ExchangeRate(models.Model):
    """How many units of the reporting currency one unit of a currency is worth, from a date."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate to the reporting currency"), max_digits=18, decimal_places=8)
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="funding_rate_once"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="funding_rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} ({self.valid_from})"
