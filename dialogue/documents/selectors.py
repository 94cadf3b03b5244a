"""Reads of the documents app: which documents and files a viewer may see."""

from django.db.models import Prefetch, QuerySet

from dialogue.core.actors import has_staff_rights
from dialogue.documents.models import Document, LanguageVersion
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
