"""Documents for the public website's tests; written directly, bypassing services, for
set-up only, then indexed for search as the documents services would."""

import datetime
import itertools

from django.core.files.base import ContentFile
from django.utils import timezone

from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.documents.search import reindex_document

_numbers = itertools.count(1)
PUBLISHED_AT = datetime.datetime(2007, 11, 1, 9, 0, tzinfo=datetime.UTC)


def make_series(name_en: str = "IDM Series", **fields) -> PublicationSeries:
    """A publication series."""
    return PublicationSeries.objects.create(name_en=name_en, **fields)


def make_document(
    *,
    title_en: str | None = None,
    visibility: str = Document.Visibility.PUBLIC,
    status: str = Document.Status.PUBLISHED,
    kind: str = Document.Kind.REPORT,
    languages: tuple[str, ...] = ("en",),
    text: str = "Words of the report.",
    published_at: datetime.datetime | None = None,
    version_status: str = LanguageVersion.Status.PUBLISHED,
    **fields,
) -> Document:
    """A document with one published text file per language in `languages`."""
    number = next(_numbers)
    if published_at is None and status != Document.Status.DRAFT:
        published_at = PUBLISHED_AT + datetime.timedelta(days=number)
    document = Document.objects.create(
        kind=kind,
        title_en=title_en or f"Report {number}",
        visibility=visibility,
        status=status,
        published_at=published_at,
        **fields,
    )
    for language in languages:
        version = LanguageVersion(
            document=document,
            language=language,
            original_name=f"report-{language}.txt",
            content_type="text/plain",
            size=len(text.encode()),
            checksum=f"{number:064d}",
            text=text,
            status=version_status,
            uploaded_at=timezone.now(),
        )
        version.file.save("upload", ContentFile(text.encode()), save=False)
        version.save()
    reindex_document(document)
    return document
