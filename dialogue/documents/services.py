"""Writes of the documents app: documents, their language versions and publication series.

All of them are for the secretariat only and leave an entry in the audit trail.
"""

import datetime
import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.services import save_audited
from dialogue.documents import files, search, text
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries

DOCUMENT_FIELDS = (
    "kind",
    "title_en",
    "title_fr",
    "title_es",
    "summary_en",
    "summary_fr",
    "summary_es",
    "cycle",
    "event",
    "visibility",
    "external_url",
)
STATE_FIELDS = ("status", "published_at", "series", "series_number")
VERSION_FIELDS = (
    "document",
    "language",
    "original_name",
    "content_type",
    "size",
    "checksum",
    "status",
)
SERIES_FIELDS = ("name_en", "name_fr", "name_es", "next_number")
TEXT_FIELDS = ("title_en", "title_fr", "title_es", "summary_en", "summary_fr", "summary_es")
READ_CHUNK_BYTES = 1024 * 1024


def clean_external_url(value: Any) -> str:
    """An http(s) address of material published elsewhere, or "" for none."""
    url = str(value or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise DomainError(
            _("The address of material published elsewhere must start with http:// or https://."),
            field="external_url",
        )
    return url


def _check_publishable(document: Document) -> None:
    """A published document points elsewhere or has a published language version."""
    if document.external_url:
        return
    published = document.versions.filter(status=LanguageVersion.Status.PUBLISHED).exists()
    if not published:
        raise DomainError(
            _(
                "Publish at least one language version of the document first, or give "
                "the address where it is published elsewhere."
            ),
            field="versions",
            code="no_published_version",
        )


@transaction.atomic
def document_save(*, actor, data: dict[str, Any], document: Document | None = None) -> Document:
    """Create a draft document or change its description, visibility or external address."""
    require_staff(actor)
    if document is not None:
        document = Document.objects.select_for_update().get(pk=document.pk)
    before = audit.snapshot(document, DOCUMENT_FIELDS) if document else None
    document = document or Document()
    for name in DOCUMENT_FIELDS:
        if name in data:
            value = data[name]
            if name in TEXT_FIELDS:
                value = str(value or "").strip()
            setattr(document, name, value)
    for name in TEXT_FIELDS:
        if "\x00" in getattr(document, name):
            raise DomainError(
                _("%(field)s: the text contains a character that is not allowed.")
                % {"field": Document._meta.get_field(name).verbose_name},
                field=name,
            )
    if not document.title_en:
        raise DomainError(_("A document needs a title in English."), field="title_en")
    document.external_url = clean_external_url(document.external_url)
    if document.external_url and document.pk and document.versions.exists():
        raise DomainError(
            _(
                "The document has files of its own; it cannot also point to material "
                "published elsewhere."
            ),
            field="external_url",
        )
    if document.status == Document.Status.PUBLISHED:
        _check_publishable(document)
    document = save_audited(document, actor=actor, fields=DOCUMENT_FIELDS, before=before)
    search.reindex_document(document)
    return document


@transaction.atomic
def document_publish(
    *, actor, document: Document, published_at: datetime.datetime | None = None
) -> Document:
    """Publish a draft document; it needs a published language version or an external address.

    It is dated now, or `published_at` when recording an earlier publication (never a
    future one).
    """
    require_staff(actor)
    now = clock.now()
    if published_at is not None and (timezone.is_naive(published_at) or published_at > now):
        raise DomainError(
            _("The date of publication must be a past date and time."), field="published_at"
        )
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Document.Status.DRAFT:
        raise DomainError(_("Only a draft document can be published."), field="status")
    _check_publishable(document)
    before = audit.snapshot(document, STATE_FIELDS)
    document.status = Document.Status.PUBLISHED
    document.published_at = published_at or now
    document = save_audited(document, actor=actor, fields=STATE_FIELDS, before=before)
    search.reindex_document(document)
    return document


@transaction.atomic
def document_withdraw(*, actor, document: Document, note: str = "") -> Document:
    """Withdraw a published document; it keeps its number in a series, which is not reused."""
    require_staff(actor)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Document.Status.PUBLISHED:
        raise DomainError(_("Only a published document can be withdrawn."), field="status")
    before = audit.snapshot(document, STATE_FIELDS)
    document.status = Document.Status.WITHDRAWN
    document = save_audited(document, actor=actor, fields=STATE_FIELDS, before=before, note=note)
    search.reindex_document(document)
    return document


def _read_limited(uploaded_file, limit: int) -> bytes:
    """The uploaded bytes, refused as soon as they pass the limit, without reading further."""
    too_large = files.FileRefused(
        _("The file is too large; the limit is %(limit)d bytes.") % {"limit": limit},
        code="file_too_large",
    )
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_large
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = uploaded_file.read(min(READ_CHUNK_BYTES, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise too_large
    return b"".join(chunks)


def _delete_file_later(storage, name: str) -> None:
    """Remove a replaced file once the replacement is committed."""

    def delete():
        storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def version_upload(
    *,
    actor,
    document: Document,
    language: str,
    uploaded_file,
    name: str | None = None,
) -> LanguageVersion:
    """Store a language's file of a document, checked by its content; it replaces that
    language's previous file and keeps its status (a new language starts as a draft)."""
    require_staff(actor)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose English, French or Spanish."), field="language")
    if document.external_url:
        raise DomainError(
            _(
                "The document points to material published elsewhere; remove that address "
                "before adding files."
            ),
            field="file",
        )
    limit = settings.DOCUMENT_MAX_BYTES
    content = _read_limited(uploaded_file, limit)
    original_name = files.clean_name(
        name if name is not None else getattr(uploaded_file, "name", "")
    )
    file_type = files.check_upload(content, original_name)

    version = (
        LanguageVersion.objects.select_for_update()
        .filter(document=document, language=language)
        .first()
    )
    before = audit.snapshot(version, VERSION_FIELDS) if version else None
    old_file = version.file.name if version else ""
    version = version or LanguageVersion(document=document, language=language)
    version.original_name = original_name
    version.content_type = file_type.content_type
    version.size = len(content)
    version.checksum = hashlib.sha256(content).hexdigest()
    version.text = text.extract(content, file_type.code)
    version.uploaded_at = clock.now()
    version.uploaded_by = actor if getattr(actor, "is_authenticated", False) else None
    # The stored name comes from the document, language and checksum (see the model's
    # upload_to); the uploaded name is only kept as a label.
    version.file.save("upload", ContentFile(content), save=False)
    try:
        version = save_audited(
            version,
            actor=actor,
            fields=VERSION_FIELDS,
            before=before,
            note=_("file replaced") if before else "",
        )
    except Exception:
        version.file.storage.delete(version.file.name)
        raise
    if old_file and old_file != version.file.name:
        _delete_file_later(version.file.storage, old_file)
    search.reindex_document(document)
    return version


@transaction.atomic
def version_publish(*, actor, version: LanguageVersion) -> LanguageVersion:
    """Publish a language version, so that those who may see its document can download it."""
    require_staff(actor)
    version = LanguageVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == LanguageVersion.Status.PUBLISHED:
        raise DomainError(_("This language version is already published."), field="status")
    before = audit.snapshot(version, VERSION_FIELDS)
    version.status = LanguageVersion.Status.PUBLISHED
    version = save_audited(version, actor=actor, fields=VERSION_FIELDS, before=before)
    search.reindex_document(version.document)
    return version


@transaction.atomic
def series_create(
    *,
    actor,
    name_en: str,
    name_fr: str = "",
    name_es: str = "",
    next_number: int = 1,
) -> PublicationSeries:
    """Create a publication series; `next_number` lets a series already under way continue."""
    require_staff(actor)
    name_en = str(name_en or "").strip()
    if not name_en:
        raise DomainError(_("A series needs a name in English."), field="name_en")
    if PublicationSeries.objects.filter(name_en__iexact=name_en).exists():
        raise DomainError(_("A series of that name already exists."), field="name_en")
    if not isinstance(next_number, int) or isinstance(next_number, bool) or next_number < 1:
        raise DomainError(_("The first number is a whole number from 1."), field="next_number")
    series = PublicationSeries(
        name_en=name_en,
        name_fr=str(name_fr or "").strip(),
        name_es=str(name_es or "").strip(),
        next_number=next_number,
    )
    return save_audited(series, actor=actor, fields=SERIES_FIELDS)


@transaction.atomic
def document_assign_next_number(
    *, actor, document: Document, series: PublicationSeries
) -> Document:
    """Give a document the next number of a series; a number is taken once and never reused."""
    require_staff(actor)
    # The series row lock makes two assignments at once take two different numbers.
    series = PublicationSeries.objects.select_for_update().get(pk=series.pk)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.series_id is not None:
        raise DomainError(
            _("The document already has number %(number)d in %(series)s.")
            % {"number": document.series_number, "series": document.series},
            field="series",
        )
    if document.status == Document.Status.WITHDRAWN:
        raise DomainError(_("A withdrawn document cannot be numbered."), field="series")
    number = series.next_number
    series_before = audit.snapshot(series, SERIES_FIELDS)
    series.next_number = number + 1
    save_audited(series, actor=actor, fields=SERIES_FIELDS, before=series_before)
    before = audit.snapshot(document, STATE_FIELDS)
    document.series = series
    document.series_number = number
    document = save_audited(document, actor=actor, fields=STATE_FIELDS, before=before)
    search.reindex_document(document)
    return document
