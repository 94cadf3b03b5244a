"""Documents: lists, search, metadata and the download of a language version, each
showing a caller only what the website shows them."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control
from ninja import Path, Query, Router

from dialogue.api.auth import ANYONE
from dialogue.api.members import PUBLIC
from dialogue.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    encode_cursor,
    offset_cursor,
    paginate,
)
from dialogue.api.schemas import (
    DocumentKind,
    DocumentOut,
    DocumentPage,
    ErrorOut,
    LanguageCode,
    SearchIn,
    SearchPage,
)
from dialogue.cycles import selectors as cycle_selectors
from dialogue.cycles.models import Cycle
from dialogue.documents import selectors
from dialogue.documents.downloads import file_response
from dialogue.documents.models import Document, LanguageVersion
from dialogue.documents.search import SearchResults, search_documents

router = Router(tags=["documents"], auth=ANYONE)
MAX_ID = 2**63 - 1


def document_out(document: Document) -> dict:
    """A document as the API shows it, with the language versions the caller may download."""
    return {
        "id": document.pk,
        "kind": document.kind,
        "title": document.title,
        "summary": document.summary,
        "visibility": document.visibility,
        "status": document.status,
        "published_at": document.published_at,
        "cycle": document.cycle.year if document.cycle_id else None,
        "event": document.event_id,
        "series": document.series.name if document.series_id else None,
        "series_number": document.series_number,
        "external_url": document.external_url,
        "versions": [
            {
                "language": version.language,
                "status": version.status,
                "content_type": version.content_type,
                "size": version.size,
                "download_url": reverse(
                    "api:download_version",
                    kwargs={"document_id": document.pk, "language": version.language},
                ),
            }
            for version in document.versions.all()
        ],
    }


@router.get(
    "/documents",
    response={200: DocumentPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def list_documents(
    request: HttpRequest,
    kind: Query[DocumentKind | None] = None,
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    event: int | None = Query(None, ge=1, le=MAX_ID),
    series: int | None = Query(None, ge=1, le=MAX_ID),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The documents the caller may see, latest first (by publication, else creation)."""
    documents = selectors.documents_filtered(
        request.user, kind=kind or "", cycle_year=cycle, event=event, series=series
    ).annotate(sort_at=Coalesce(F("published_at"), F("created_at")))
    page = paginate(
        documents, name="documents", order=["-sort_at", "-id"], cursor=cursor, limit=limit
    )
    return {"items": [document_out(d) for d in page.items], "next_cursor": page.next_cursor}


def _search(request: HttpRequest, query: SearchIn) -> dict:
    offset = offset_cursor("search", query.cursor)
    cycle_id = None
    if query.cycle is not None:
        try:
            cycle_id = cycle_selectors.cycle_get(query.cycle).pk
        except Cycle.DoesNotExist:
            return {"total": 0, "items": [], "next_cursor": None}
    results: SearchResults = search_documents(
        request.user,
        query.q,
        cycle=cycle_id,
        event=query.event,
        kind=query.kind,
        language=query.language,
        limit=query.limit,
        offset=offset,
    )
    end = offset + len(results.hits)
    return {
        "total": results.total,
        "items": [
            {
                "document": document_out(hit.document),
                "language": hit.language,
                "rank": hit.rank,
                "snippet": [{"text": text, "match": match} for text, match in hit.snippet],
            }
            for hit in results.hits
        ],
        "next_cursor": encode_cursor("search", [end]) if end < results.total else None,
    }


SEARCH_RESPONSES = {200: SearchPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut}


@router.get("/documents/search", response=SEARCH_RESPONSES, openapi_extra=PUBLIC)
def search(request: HttpRequest, query: Query[SearchIn]):
    """The documents the caller may see holding every word of `q` (each as a prefix),
    best first, in English, French and Spanish."""
    return _search(request, query)


@router.post(
    "/documents/search",
    response={**SEARCH_RESPONSES, 403: ErrorOut, 413: ErrorOut},
    openapi_extra=PUBLIC,
)
def search_by_body(request: HttpRequest, payload: SearchIn):
    """The same search, its parameters sent as a JSON body (unknown fields are refused)."""
    return _search(request, payload)


@router.get(
    "/documents/{document_id}",
    response={200: DocumentOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def get_document(request: HttpRequest, document_id: int = Path(..., ge=1, le=MAX_ID)):
    """One document the caller may see, with the language versions they may download."""
    return document_out(selectors.document_get(request.user, document_id))


@router.get(
    "/documents/{document_id}/versions/{language}/download",
    response={
        200: None,
        401: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
    },
    url_name="download_version",
    openapi_extra={
        **PUBLIC,
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    },
)
def download_version(
    request: HttpRequest,
    language: Path[LanguageCode],
    document_id: int = Path(..., ge=1, le=MAX_ID),
):
    """The file of one language version, as an attachment the browser must not sniff or run;
    404 when the caller may not download it."""
    document = selectors.document_get(request.user, document_id)
    version = next((v for v in document.versions.all() if v.language == language), None)
    if version is None:
        raise LanguageVersion.DoesNotExist
    version = selectors.version_for_download(request.user, version.pk)
    try:
        response = file_response(version)
    except FileNotFoundError as error:
        raise LanguageVersion.DoesNotExist from error
    patch_cache_control(response, private=True, no_store=True)
    return response
