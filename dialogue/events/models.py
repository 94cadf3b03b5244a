from django.conf import settings
from django.db import models
from django.db.models import F, Q
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

    class Precision(models.TextChoices):
        DAY = "day", _("Exact day or days")
        MONTH = "month", _("Month")
        SEASON = "season", _("Season")
        YEAR = "year", _("Year")
        TBD = "tbd", _("To be determined")

    class Audience(models.TextChoices):
        MEMBERSHIP = "membership", _("The full membership")
        MISSION_STAFF = "mission_staff", _("Staff of the Permanent Missions")
        EXPERTS = "experts", _("Invited experts")
        STAKEHOLDERS = "stakeholders", _("Named stakeholders")

    class CancellationReason(models.TextChoices):
        INSUFFICIENT_FUNDING = "insufficient_funding", _("Insufficient funding")
        OTHER = "other", _("Other reason")

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
    previous_session = models.ForeignKey(
        "self",
        verbose_name=_("repeats the course of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="later_sessions",
        help_text=_("For a training repeated as a new session of the same course."),
    )
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    cancellation_reason = models.CharField(
        _("reason for cancelling"),
        max_length=24,
        choices=CancellationReason.choices,
        blank=True,
    )
    cancellation_note = models.TextField(_("note on the cancellation"), blank=True)
    precision = models.CharField(
        _("date known to"), max_length=8, choices=Precision.choices, default=Precision.TBD
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    seasons = models.JSONField(
        _("seasons"),
        default=list,
        blank=True,
        help_text=_('For example ["summer", "autumn"] for "summer or autumn".'),
    )
    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    start_time = models.TimeField(_("starts at"), null=True, blank=True)
    end_time = models.TimeField(_("ends at"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Zurich")
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(
        _("country"), max_length=3, blank=True, help_text=_("ISO 3166-1 alpha-3 code")
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    host = models.ForeignKey(
        "members.Organization",
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_events",
    )
    partners = models.ManyToManyField(
        "members.Organization",
        verbose_name=_("partners"),
        blank=True,
        related_name="partnered_events",
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.MEMBERSHIP
    )
    invitation_only = models.BooleanField(_("by invitation only"), default=False)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    requires_approval = models.BooleanField(_("registrations need approval"), default=False)
    working_languages = models.JSONField(_("working languages"), default=list, blank=True)
    interpretation_languages = models.JSONField(
        _("interpretation requested into"), default=list, blank=True
    )
    contingent_on_funding = models.BooleanField(_("held only if funding is secured"), default=False)
    is_public = models.BooleanField(_("shown on the public website"), default=True)
    outcome_summary_en = models.TextField(_("summary of the outcome (English)"), blank=True)
    outcome_summary_fr = models.TextField(_("summary of the outcome (French)"), blank=True)
    outcome_summary_es = models.TextField(_("summary of the outcome (Spanish)"), blank=True)
    recommendations_en = models.TextField(_("recommendations (English)"), blank=True)
    recommendations_fr = models.TextField(_("recommendations (French)"), blank=True)
    recommendations_es = models.TextField(_("recommendations (Spanish)"), blank=True)
    follow_up_en = models.TextField(_("follow-up (English)"), blank=True)
    follow_up_fr = models.TextField(_("follow-up (French)"), blank=True)
    follow_up_es = models.TextField(_("follow-up (Spanish)"), blank=True)
    expected_participants = models.PositiveIntegerField(
        _("number of participants"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["cycle", "start_date", "year", "month", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title_en=""), name="events_event_title_set"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="events_event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(precision="day") | Q(start_date__isnull=False),
                name="events_event_day_precision_has_date",
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12),
                name="events_event_month_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancellation_reason=""),
                name="events_event_cancellation_has_reason",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")


class Invitation(models.Model):
    """An invitation to an event: of a member, a stakeholder organization or a person."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(_("link token (hash)"), max_length=64, blank=True)
    invited_at = models.DateTimeField(_("invited at"))
    sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, organization__isnull=True, person__isnull=True)
                | Q(member__isnull=True, organization__isnull=False, person__isnull=True)
                | Q(member__isnull=True, organization__isnull=True, person__isnull=False),
                name="events_invitation_one_invitee",
            ),
            models.UniqueConstraint(
                fields=["event", "member"],
                condition=Q(member__isnull=False),
                name="events_invitation_member_once",
            ),
            models.UniqueConstraint(
                fields=["event", "organization"],
                condition=Q(organization__isnull=False),
                name="events_invitation_organization_once",
            ),
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(person__isnull=False),
                name="events_invitation_person_once",
            ),
        ]

    def __str__(self):
        return f"{self.event}: {self.member or self.organization or self.person}"


class Registration(models.Model):
    """A person's place at an event, or on its waiting list."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITING = "waiting", _("On the waiting list")
        PENDING = "pending", _("Awaiting approval")
        REJECTED = "rejected", _("Not approved")
        CANCELLED = "cancelled", _("Cancelled")

    class AffiliationKind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        REGIONAL_INSTITUTION = "regional_institution", _("Regional institution")
        AGENCY = "agency", _("International agency")
        RESEARCH = "research", _("Research and academia")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        PRIVATE_SECTOR = "private_sector", _("Private sector")
        OTHER = "other", _("Other")

    ACTIVE = (Status.REGISTERED, Status.WAITING, Status.PENDING)

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    person = models.ForeignKey(
        "members.Person", on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    affiliation = models.CharField(_("affiliation"), max_length=300)
    affiliation_kind = models.CharField(
        _("kind of affiliation"), max_length=24, choices=AffiliationKind.choices
    )
    region = models.CharField(_("region"), max_length=20, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("last changed at"))

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["event", "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(status__in=["registered", "waiting", "pending"]),
                name="events_registration_person_once",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.event} ({self.get_status_display()})"
