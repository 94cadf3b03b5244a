from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dialogue.core.i18n import localized


class Cycle(models.Model):
    """A year of the dialogue, with its overarching theme once it is decided."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("In preparation")
        CURRENT = "current", _("Current")
        CLOSED = "closed", pgettext_lazy("cycle status", "Closed")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PREPARING
    )
    theme = models.OneToOneField(
        "cycles.Proposal",
        verbose_name=_("overarching theme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="theme_of",
    )

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1990) & Q(year__lte=2200), name="cycles_cycle_year_range"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["preparing", "current", "closed"]),
                name="cycles_cycle_status_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Proposal(models.Model):
    """A candidate overarching theme for a cycle, or a workshop topic under a chosen theme."""

    class Kind(models.TextChoices):
        THEME = "theme", _("Overarching theme")
        WORKSHOP_TOPIC = "workshop_topic", _("Workshop topic")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        SELECTED = "selected", _("Selected")
        NOT_SELECTED = "not_selected", _("Not selected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="proposals"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    theme = models.ForeignKey(
        "self",
        verbose_name=_("under the theme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topics",
        help_text=_("For a workshop topic: the overarching theme it belongs to."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_fr = models.TextField(_("summary (French)"), blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    proposer = models.ForeignKey(
        "members.Member",
        verbose_name=_("proposed by a member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        help_text=_("Leave empty when the Administration proposes it."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["cycle", "kind", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="theme", theme__isnull=True)
                | Q(kind="workshop_topic", theme__isnull=False),
                name="cycles_proposal_topic_has_theme",
            ),
            models.CheckConstraint(condition=~Q(title_en=""), name="cycles_proposal_title_set"),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "selected", "not_selected", "withdrawn"]),
                name="cycles_proposal_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    @property
    def proposer_label(self) -> str:
        return str(self.proposer) if self.proposer_id else str(_("The Administration"))


class GuidingQuestion(models.Model):
    """One of the ordered guiding questions of a proposal."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="questions", verbose_name=_("proposal")
    )
    position = models.PositiveSmallIntegerField(_("order"))
    text_en = models.TextField(_("question (English)"))
    text_fr = models.TextField(_("question (French)"), blank=True)
    text_es = models.TextField(_("question (Spanish)"), blank=True)

    class Meta:
        verbose_name = _("guiding question")
        verbose_name_plural = _("guiding questions")
        ordering = ["proposal", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "position"], name="cycles_question_position_unique"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        return localized(self, "text")


class Consultation(models.Model):
    """An informal consultation of the membership, with its recorded outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not yet recorded")
        AGREEMENT = "agreement", _("Agreement")
        NO_AGREEMENT = "no_agreement", _("No agreement")

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="consultations"
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, default="Geneva")
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    proposals = models.ManyToManyField(
        Proposal, verbose_name=_("proposals discussed"), blank=True, related_name="consultations"
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    agreed_proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("agreed proposal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreed_at",
    )
    outcome_notes = models.TextField(_("notes on the outcome"), blank=True)

    class Meta:
        verbose_name = _("informal consultation")
        verbose_name_plural = _("informal consultations")
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="agreement", agreed_proposal__isnull=False)
                | (~Q(outcome="agreement") & Q(agreed_proposal__isnull=True)),
                name="cycles_consultation_agreement_names_proposal",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")


class ExpressionOfInterest(models.Model):
    """Interest in a proposal expressed by a delegation, or by the membership as a whole."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="interests"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("delegation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interests",
        help_text=_("Leave empty when the membership as a whole expressed interest."),
    )
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("at the consultation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interests",
    )
    survey = models.ForeignKey(
        "surveys.Survey",
        verbose_name=_("in the survey"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interests",
    )
    expressed_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expression of interest")
        verbose_name_plural = _("expressions of interest")
        ordering = ["expressed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consultation__isnull=False) | Q(survey__isnull=False),
                name="cycles_interest_has_occasion",
            ),
        ]

    def __str__(self):
        who = self.member or _("the membership")
        return f"{who}: {self.proposal} ({self.expressed_on})"


class Decision(models.Model):
    """What was decided, how and when; a decision is never edited, only superseded."""

    class Subject(models.TextChoices):
        THEME = "theme", _("Overarching theme")
        WORKSHOP_TOPICS = "workshop_topics", _("Workshop topics")

    class Basis(models.TextChoices):
        CONSENSUS = "consensus", _("Consensus at an informal consultation")
        SURVEY = "survey", _("Result of a survey")

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="decisions"
    )
    subject = models.CharField(_("subject"), max_length=16, choices=Subject.choices)
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices)
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    survey = models.ForeignKey(
        "surveys.Survey",
        verbose_name=_("survey"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    proposals = models.ManyToManyField(
        Proposal, verbose_name=_("what was selected"), related_name="decisions"
    )
    decided_on = models.DateField(_("decided on"))
    note = models.TextField(_("note"), blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(basis="consensus", consultation__isnull=False, survey__isnull=True)
                | Q(basis="survey", survey__isnull=False),
                name="cycles_decision_names_its_basis",
            ),
        ]

    def __str__(self):
        return f"{self.cycle}: {self.get_subject_display()} ({self.decided_on})"

    @property
    def is_current(self) -> bool:
        return not hasattr(self, "superseded_by")
