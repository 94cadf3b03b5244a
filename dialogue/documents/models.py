from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialogue.core.i18n import localized


class PublicationSeries(models.Model):
    """A numbered series of publications, such as the IDM Series."""

    name_en = models.CharField(_("name (English)"), max_length=200, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    next_number = models.PositiveIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("publication series")
        verbose_name_plural = _("publication series")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(condition=Q(next_number__gte=1), name="documents_series_next"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Document(models.Model):
    """A document of the dialogue, in one or more languages, or a link to one elsewhere."""

    class Kind(models.TextChoices):
        DISCUSSION_NOTE = "discussion_note", _("Discussion Note")
        BACKGROUND_PAPER = "background_paper", _("Background paper")
        REPORT = "report", _("Seminar or workshop report")
        PRESENTATION = "presentation", _("Presentation")
        TRAINING_MATERIAL = "training_material", _("Training material")
        OTHER = "other", _("Other")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")
        STAFF = "staff", _("Staff only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_fr = models.TextField(_("summary (French)"), blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    cycle = models.ForeignKey(
        "cycles.Cycle",
        verbose_name=_("cycle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    external_url = models.URLField(
        _("published elsewhere at"),
        blank=True,
        help_text=_("For material published elsewhere: its address, shown as such."),
    )
    series = models.ForeignKey(
        PublicationSeries,
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    series_number = models.PositiveIntegerField(_("number in the series"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title_en=""), name="documents_title_set"),
            models.UniqueConstraint(
                fields=["series", "series_number"], name="documents_series_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True, series_number__isnull=True)
                | Q(series__isnull=False, series_number__isnull=False),
                name="documents_series_and_number_together",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="documents_published_has_date",
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


def _version_path(instance: "LanguageVersion", filename: str) -> str:
    return f"documents/{instance.document_id}/{instance.language}-{instance.checksum[:16]}"


class LanguageVersion(models.Model):
    """One language's file of a document, checked by its content when uploaded."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    file = models.FileField(_("file"), upload_to=_version_path, max_length=300)
    original_name = models.CharField(_("file name as uploaded"), max_length=255)
    content_type = models.CharField(_("detected type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    checksum = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("extracted text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("language version")
        verbose_name_plural = _("language versions")
        ordering = ["document", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "language"], name="documents_one_version_per_language"
            ),
        ]

    def __str__(self):
        return f"{self.document} ({self.language})"


class SearchEntry(models.Model):
    """The searchable text of one language of a document: its title, summary and file text.

    A draft language version's text is kept in a separate entry marked `staff_only`,
    so that only staff find a document by it. The id is not a counter: it packs the
    document, language and audience (`dialogue.documents.search.entry_key`). The
    full-text index itself (an FTS5 table on SQLite, a weighted tsvector column on
    PostgreSQL) is kept in step with these rows by the database; see migration
    0002_search_index.
    """

    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="search_entries",
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    staff_only = models.BooleanField(_("staff only"), default=False)
    title = models.TextField(_("title"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        ordering = ["document", "language", "staff_only"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "language", "staff_only"],
                name="documents_one_search_entry_per_language",
            ),
        ]

    def __str__(self):
        return f"{self.document_id} ({self.language})"


class NoteDraft(models.Model):
    """The Discussion Note of a consultation in one language: drafted from the data, edited
    by staff in the note's text format, and frozen once issued."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    consultation = models.ForeignKey(
        "cycles.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="note_drafts",
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("issued as"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="note_drafts",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    drafted_at = models.DateTimeField(_("drafted at"))
    updated_at = models.DateTimeField(_("last changed at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Discussion Note draft")
        verbose_name_plural = _("Discussion Note drafts")
        ordering = ["consultation", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "language"], name="documents_one_note_per_language"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "issued"]), name="documents_note_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(issued_at__isnull=False, document__isnull=False),
                name="documents_issued_note_has_document",
            ),
        ]

    def __str__(self):
        return f"{self.consultation} ({self.language})"
