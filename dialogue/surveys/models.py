from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dialogue.core.i18n import localized


class Survey(models.Model):
    """A survey of the membership: one response per delegation, between opening and close."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Published")
        CLOSED = "closed", _("Closed")
        RESULTS_PUBLISHED = "results_published", _("Results published")

    class Audience(models.TextChoices):
        MEMBERS_AND_OBSERVERS = (
            "members_and_observers",
            _("All Member States and all observer States and organizations"),
        )
        MEMBER_STATES = "member_states", _("Member States only")

    cycle = models.ForeignKey(
        "cycles.Cycle",
        verbose_name=_("cycle"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    consultation = models.ForeignKey(
        "cycles.Consultation",
        verbose_name=_("following the consultation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    introduction_en = models.TextField(_("introduction (English)"), blank=True)
    introduction_fr = models.TextField(_("introduction (French)"), blank=True)
    introduction_es = models.TextField(_("introduction (Spanish)"), blank=True)
    audience = models.CharField(
        _("audience"),
        max_length=24,
        choices=Audience.choices,
        default=Audience.MEMBERS_AND_OBSERVERS,
    )
    observers_counted = models.BooleanField(
        _("observers' responses are counted"),
        default=False,
        help_text=_(
            "By default observers' responses are recorded and reported separately, "
            "but only Member States' responses decide."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    reminder_days = models.JSONField(
        _("reminders (days before the close)"),
        default=list,
        blank=True,
        help_text=_("For example [7, 2]: reminders seven and two days before the close."),
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="surveys_survey_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="surveys_survey_published_has_window",
            ),
            models.CheckConstraint(condition=~Q(title_en=""), name="surveys_survey_title_set"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def introduction(self) -> str:
        return localized(self, "introduction")


class Question(models.Model):
    """One question of a survey, its options and how it is counted."""

    class Kind(models.TextChoices):
        CHOOSE_ONE = "choose_one", _("Choose one")
        CHOOSE_UP_TO = "choose_up_to", _("Choose up to k")
        RANK = "rank", _("Rank the options")

    class Method(models.TextChoices):
        PLURALITY = "plurality", _("Plurality")
        APPROVAL = "approval", _("Approval (top k)")
        BORDA = "borda", _("Borda count")
        IRV = "irv", _("Instant-runoff")
        SCHULZE = "schulze", _("Schulze (Condorcet)")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    text_en = models.TextField(_("question (English)"))
    text_fr = models.TextField(_("question (French)"), blank=True)
    text_es = models.TextField(_("question (Spanish)"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    max_choices = models.PositiveSmallIntegerField(
        _("most choices (k)"),
        default=1,
        help_text=_("How many options a delegation may choose or rank."),
    )
    method = models.CharField(_("counting method"), max_length=12, choices=Method.choices)
    required = models.BooleanField(_("an answer is required"), default=True)
    option_comments = models.BooleanField(_("a comment may be given per option"), default=False)
    tiebreak = models.JSONField(
        _("tie resolution order"),
        default=list,
        blank=True,
        help_text=_("Option ids in the order staff decided, strongest first, used only on a tie."),
    )
    tie_resolution = models.TextField(_("how a tie was resolved"), blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "position"], name="surveys_question_position_unique"
            ),
            models.CheckConstraint(condition=Q(max_choices__gte=1), name="surveys_question_k_pos"),
            models.CheckConstraint(
                condition=~Q(kind="choose_one") | Q(max_choices=1),
                name="surveys_question_choose_one_is_one",
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        return localized(self, "text")


class Option(models.Model):
    """A choice in a question: a proposal, or a free option."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    proposal = models.ForeignKey(
        "cycles.Proposal",
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_options",
    )
    label_en = models.CharField(_("label (English)"), max_length=300)
    label_fr = models.CharField(_("label (French)"), max_length=300, blank=True)
    label_es = models.CharField(_("label (Spanish)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "position"], name="surveys_option_position_unique"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")


class Weight(models.Model):
    """A delegation's weight in one survey; delegations without a row weigh 1."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="weights")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=3)

    class Meta:
        verbose_name = _("weight")
        verbose_name_plural = _("weights")
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="surveys_weight_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="surveys_weight_positive"),
        ]

    def __str__(self):
        return f"{self.member}: {self.weight}"


class Response(models.Model):
    """The current response of one delegation to one survey (the database allows only one)."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Delegates' portal")
        WRITTEN = "written", _("In writing, recorded by the secretariat")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="responses"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("delegation"),
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    letter = models.FileField(_("scanned letter"), upload_to="survey-letters/", blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    receipt = models.CharField(_("receipt code"), max_length=32, unique=True)
    fingerprint = models.CharField(_("receipt fingerprint"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["survey", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "member"], name="surveys_one_response_per_delegation"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["portal", "written"]), name="surveys_response_channel"
            ),
        ]

    def __str__(self):
        return f"{self.member} — {self.survey} (v{self.version})"


class Answer(models.Model):
    """One chosen or ranked option of a current response (position 1 = first)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="answers")
    rank = models.PositiveSmallIntegerField(_("position"), default=1)
    comment = models.TextField(_("comment on the option"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "option"], name="surveys_answer_option_once"
            ),
            models.UniqueConstraint(
                fields=["response", "question", "rank"], name="surveys_answer_rank_once"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="surveys_answer_rank_pos"),
        ]
        indexes = [models.Index(fields=["question", "response"])]

    def __str__(self):
        return f"{self.option} ({self.rank})"


class ResponseVersion(models.Model):
    """Every submission as it was made; a later one supersedes it but it is kept."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Response.Channel.choices)
    content = models.JSONField(_("answers as submitted"))
    letter = models.CharField(_("scanned letter"), max_length=255, blank=True)
    receipt = models.CharField(_("receipt code"), max_length=32)
    fingerprint = models.CharField(_("receipt fingerprint"), max_length=64)

    class Meta:
        verbose_name = _("response version")
        verbose_name_plural = _("response history")
        ordering = ["survey", "member", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "member", "version"], name="surveys_version_unique"
            ),
        ]

    def __str__(self):
        return f"{self.member} v{self.version}"


class MessageTemplate(models.Model):
    """The text of a survey's invitation or reminder e-mail in one language."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {title}, {closes}, {link}, {delegation}."),
    )

    class Meta:
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "kind", "language"], name="surveys_message_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class Reminder(models.Model):
    """One invitation or reminder sent to one delegation, so none is sent twice."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="reminders")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=MessageTemplate.Kind.choices)
    days_before = models.SmallIntegerField(
        _("days before the close"), null=True, blank=True, help_text=_("Empty when sent by hand.")
    )
    sent_at = models.DateTimeField(_("sent at"))
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "member", "kind", "days_before"],
                condition=Q(days_before__isnull=False),
                name="surveys_scheduled_reminder_once",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.kind} {self.sent_at:%Y-%m-%d}"
