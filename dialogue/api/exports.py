"""Downloads for the secretariat: the member file, a survey's responses and results, an
event's participants, the funding of the activities and a cycle's archive. Each operation
calls one export function, which holds the rules and notes the export in the audit trail,
and sends its file as an attachment the browser must not sniff. Each export counts
against the caller's export limit (429, code "rate_limited", over it)."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from ninja import Path, Query, Router

from dialogue.api.auth import SIGNED_IN, RateLimit, per_account
from dialogue.api.event_schemas import MAX_ID, ExportFormat, FundingTable
from dialogue.api.funding import cycle_or_none
from dialogue.api.schemas import ErrorOut
from dialogue.core import ratelimit
from dialogue.core.actors import require_staff
from dialogue.core.tables import CONTENT_TYPES
from dialogue.cycles import selectors as cycle_selectors
from dialogue.cycles.archive import CONTENT_TYPE as ZIP_CONTENT_TYPE
from dialogue.cycles.archive import cycle_archive_file
from dialogue.events.documents import participants_file
from dialogue.events.models import Event
from dialogue.funding.exports import funding_file
from dialogue.members.services import members_export
from dialogue.surveys.exports import survey_responses_file, survey_results_file
from dialogue.surveys.models import Survey

router = Router(tags=["exports"], auth=SIGNED_IN, throttle=RateLimit(per_account(ratelimit.EXPORT)))
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _file_response(description: str, content_types) -> dict:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "responses": {
            200: {
                "description": description,
                "content": dict.fromkeys(content_types, binary),
            }
        }
    }


SPREADSHEET = _file_response(
    "The file, as an attachment.", [CONTENT_TYPES["csv"], CONTENT_TYPES["xlsx"]]
)


def _attachment(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    require_staff(request.user)
    return Survey.objects.select_related("cycle").get(pk=survey_id)


@router.get(
    "/exports/members.{file_format}", response={200: None, **ERRORS}, openapi_extra=SPREADSHEET
)
def export_members(request: HttpRequest, file_format: Path[ExportFormat]):
    """Every member, ordered by code, as a member file that imports back unchanged."""
    require_staff(request.user)
    return _attachment(members_export(actor=request.user, file_format=file_format))


@router.get(
    "/exports/surveys/{survey_id}/responses.{file_format}",
    response={200: None, **ERRORS},
    openapi_extra=SPREADSHEET,
)
def export_survey_responses(
    request: HttpRequest,
    file_format: Path[ExportFormat],
    survey_id: int = Path(..., ge=1, le=MAX_ID),
):
    """A survey's responses, one row per delegation, each question's answers and comments
    (422 for a draft survey, which has none)."""
    survey = _survey(request, survey_id)
    return _attachment(
        survey_responses_file(actor=request.user, survey=survey, file_format=file_format)
    )


@router.get(
    "/exports/surveys/{survey_id}/results.{file_format}",
    response={200: None, **ERRORS},
    openapi_extra=SPREADSHEET,
)
def export_survey_results(
    request: HttpRequest,
    file_format: Path[ExportFormat],
    survey_id: int = Path(..., ge=1, le=MAX_ID),
):
    """A survey's results, one row per question and option (422 for a draft survey)."""
    survey = _survey(request, survey_id)
    return _attachment(
        survey_results_file(actor=request.user, survey=survey, file_format=file_format)
    )


@router.get(
    "/exports/events/{event_id}/participants.{file_format}",
    response={200: None, **ERRORS},
    openapi_extra=SPREADSHEET,
)
def export_participants(
    request: HttpRequest,
    file_format: Path[ExportFormat],
    event_id: int = Path(..., ge=1, le=MAX_ID),
):
    """Every registration of an event with its status."""
    require_staff(request.user)
    event = Event.objects.get(pk=event_id)
    return _attachment(participants_file(actor=request.user, event=event, file_format=file_format))


@router.get(
    "/exports/funding.xlsx",
    response={200: None, **ERRORS},
    openapi_extra=_file_response("The workbook, as an attachment.", [CONTENT_TYPES["xlsx"]]),
)
def export_funding(
    request: HttpRequest,
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    cancelled: bool = Query(False, description="Include cancelled activities."),
):
    """The funding of the activities (of one cycle, or all): coverage, budget lines and
    pledges, one sheet each."""
    require_staff(request.user)
    export = funding_file(
        actor=request.user,
        file_format="xlsx",
        cycle=cycle_or_none(cycle),
        include_cancelled=cancelled,
    )
    return _attachment(export)


@router.get(
    "/exports/funding/{table}.csv",
    response={200: None, **ERRORS},
    openapi_extra=_file_response("The table, as an attachment.", [CONTENT_TYPES["csv"]]),
)
def export_funding_table(
    request: HttpRequest,
    table: Path[FundingTable],
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    cancelled: bool = Query(False, description="Include cancelled activities."),
):
    """One table of the funding of the activities ("coverage", "budget" or "pledges")."""
    require_staff(request.user)
    export = funding_file(
        actor=request.user,
        file_format="csv",
        table=table,
        cycle=cycle_or_none(cycle),
        include_cancelled=cancelled,
    )
    return _attachment(export)


@router.get(
    "/exports/cycles/{year}/archive.zip",
    response={200: None, **ERRORS},
    openapi_extra=_file_response("The archive, as an attachment.", [ZIP_CONTENT_TYPE]),
)
def export_cycle_archive(request: HttpRequest, year: int = Path(..., ge=1, le=32767)):
    """A cycle's archive as a ZIP file: its documents, decisions and an index."""
    require_staff(request.user)
    cycle = cycle_selectors.cycle_get(year)
    archive = cycle_archive_file(actor=request.user, cycle=cycle)
    response = FileResponse(
        archive.file,
        as_attachment=True,
        filename=archive.filename,
        content_type=archive.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
