"""Reads of the documents app: which documents and files a viewer may see."""

from django.db.models import F, Prefetch, Q, QuerySet

from dialogue.core.actors import has_staff_rights
from dialogue.core.models import AuditEntry
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.members.models import Member, Person


def is_member_reader(user) -> bool:
    """True for an active delegate or focal point of a delegation that has not left."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    person = Person.objects.filter(user=user).select_related("delegation").first()
    return bool(
        person is not None
        and person.is_active
        and person.role in Person.DELEGATION_ROLES
        and person.delegation is not None
        and person.delegation.status != Member.Status.LEFT
    )


def _visibilities(user) -> list[str] | None:
    """The visibilities a viewer may read among published documents; None for all documents."""
    if has_staff_rights(user):
        return None
    if is_member_reader(user):
        return [Document.Visibility.PUBLIC, Document.Visibility.MEMBERS]
    return [Document.Visibility.PUBLIC]


def documents_visible_to(user) -> QuerySet[Document]:
    """Documents the viewer may see: published public ones for everyone, published
    members-only ones also for active delegates and focal points, every one for staff.

    Each document comes with the language versions the viewer may download.
    """
    visibilities = _visibilities(user)
    documents = Document.objects.select_related("series", "cycle", "event")
    versions = LanguageVersion.objects.order_by("language")
    if visibilities is not None:
        documents = documents.filter(status=Document.Status.PUBLISHED, visibility__in=visibilities)
        versions = versions.filter(status=LanguageVersion.Status.PUBLISHED)
    return documents.prefetch_related(Prefetch("versions", queryset=versions))


def version_for_download(user, version_id: int) -> LanguageVersion:
    """A language version the viewer may download (raises LanguageVersion.DoesNotExist).

    Staff may download any version; others only a published version of a document
    they may see.
    """
    try:
        version_id = int(version_id)
    except (TypeError, ValueError):
        raise LanguageVersion.DoesNotExist from None
    versions = LanguageVersion.objects.select_related("document")
    visibilities = _visibilities(user)
    if visibilities is not None:
        versions = versions.filter(
            status=LanguageVersion.Status.PUBLISHED,
            document__status=Document.Status.PUBLISHED,
            document__visibility__in=visibilities,
        )
    return versions.get(pk=version_id)


def document_staff_list(
    *,
    kind: str = "",
    status: str = "",
    visibility: str = "",
    cycle=None,
    event=None,
    series=None,
    text: str = "",
) -> QuerySet[Document]:
    """Every document for the secretariat's list, whatever its status or visibility,
    narrowed by the filters given; drafts first, then the most recently published.

    Each document comes with its series, cycle and event and all its language versions.
    """
    documents = Document.objects.select_related("series", "cycle", "event").prefetch_related(
        Prefetch("versions", queryset=LanguageVersion.objects.order_by("language"))
    )
    if kind:
        documents = documents.filter(kind=kind)
    if status:
        documents = documents.filter(status=status)
    if visibility:
        documents = documents.filter(visibility=visibility)
    if cycle is not None:
        documents = documents.filter(cycle=cycle)
    if event is not None:
        documents = documents.filter(event=event)
    if series is not None:
        documents = documents.filter(series=series)
    text = (text or "").strip()
    if text:
        documents = documents.filter(
            Q(title_en__icontains=text) | Q(title_fr__icontains=text) | Q(title_es__icontains=text)
        )
    return documents.order_by(F("published_at").desc(nulls_first=True), "-id")


def document_for_staff(document_id: int) -> Document:
    """One document with everything the secretariat's page shows of it (raises
    Document.DoesNotExist): its series, cycle, event, and every language version with
    who uploaded it."""
    versions = LanguageVersion.objects.select_related("uploaded_by").order_by("language")
    return (
        Document.objects.select_related("series", "cycle", "event")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .get(pk=document_id)
    )


def document_history(document: Document) -> QuerySet[AuditEntry]:
    """The audit trail of a document and of its language versions, latest first."""
    version_ids = [str(pk) for pk in document.versions.values_list("pk", flat=True)]
    return (
        AuditEntry.objects.filter(
            Q(object_type=Document._meta.label_lower, object_id=str(document.pk))
            | Q(object_type=LanguageVersion._meta.label_lower, object_id__in=version_ids)
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


def series_list() -> QuerySet[PublicationSeries]:
    """Every publication series by name, each with its numbered documents in number order."""
    numbered = Document.objects.order_by("series_number")
    return PublicationSeries.objects.order_by("name_en").prefetch_related(
        Prefetch("documents", queryset=numbered)
    )


def public_documents() -> QuerySet[Document]:
    """Published public documents with their published language versions, as a visitor
    who is not logged in sees them: what feeds and the sitemap list, the same whoever
    asks, never a members-only or staff document."""
    return documents_visible_to(None)


def document_get(user, document_id) -> Document:
    """A document the viewer may see, with its versions (raises Document.DoesNotExist)."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        raise Document.DoesNotExist from None
    return documents_visible_to(user).get(pk=document_id)


def document_list(user, *, series=None, kind: str | None = None, cycle=None) -> QuerySet[Document]:
    """The documents the viewer may see, latest first, optionally of one series, kind or
    cycle; within a series, by number, latest first."""
    documents = documents_visible_to(user)
    if series is not None:
        documents = documents.filter(series=series)
    if kind:
        documents = documents.filter(kind=kind)
    if cycle is not None:
        documents = documents.filter(cycle=cycle)
    if series is not None:
        return documents.order_by("-series_number", "-id")
    return documents.order_by(F("published_at").desc(nulls_first=True), "-id")


def documents_for_event(user, event) -> QuerySet[Document]:
    """The materials and reports of an event the viewer may see, by kind, latest first."""
    return documents_visible_to(user).filter(event=event).order_by("kind", "-published_at", "id")


def documents_for_cycle(user, cycle) -> QuerySet[Document]:
    """The documents of a cycle the viewer may see, latest first."""
    return document_list(user, cycle=cycle)


def latest_publications(user, limit: int = 5) -> list[Document]:
    """The `limit` most recently published documents the viewer may see (drafts never)."""
    return list(
        documents_visible_to(user)
        .filter(status=Document.Status.PUBLISHED)
        .order_by("-published_at", "-id")[:limit]
    )


def series_with_documents(user) -> QuerySet[PublicationSeries]:
    """The publication series holding at least one document the viewer may see, by name."""
    visible = documents_visible_to(user).filter(series__isnull=False).values("series")
    return PublicationSeries.objects.filter(pk__in=visible).order_by("name_en")


def documents_filtered(
    user, *, kind: str = "", cycle_year: int | None = None, event=None, series=None
) -> QuerySet[Document]:
    """The documents the viewer may see (as `documents_visible_to` decides), of one kind,
    cycle (by its year), event id or series id when given; unordered."""
    documents = documents_visible_to(user)
    if kind:
        documents = documents.filter(kind=kind)
    if cycle_year is not None:
        documents = documents.filter(cycle__year=cycle_year)
    if event is not None:
        documents = documents.filter(event_id=event)
    if series is not None:
        documents = documents.filter(series_id=series)
    return documents
