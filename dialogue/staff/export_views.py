"""Staff downloads: a survey's responses and results, the funding of the activities and
a cycle's archive. The views fetch the object (404 if missing), call one export function
and send its file as an attachment; the exports hold the rules. Each download counts
against the user's export limit (429 over it)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dialogue.core import ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.cycles.archive import cycle_archive_file
from dialogue.cycles.models import Cycle
from dialogue.funding.exports import funding_file
from dialogue.staff.event_forms import OverviewFilterForm
from dialogue.surveys.exports import survey_responses_file, survey_results_file
from dialogue.surveys.models import Survey


def _attachment(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _survey(pk: int) -> Survey:
    return get_object_or_404(Survey.objects.select_related("cycle"), pk=pk)


def _survey_export(request, pk: int, file_format: str, build) -> HttpResponse:
    """One of a survey's exports as an attachment; 403 when refused, 404 for a draft."""
    survey = _survey(pk)
    try:
        export = build(actor=request.user, survey=survey, file_format=file_format)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        raise Http404(error.message) from error
    return _attachment(export)


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def survey_responses_download(request, pk: int, file_format: str):
    """A survey's responses, one row per delegation, as CSV or XLSX (404 for a draft)."""
    return _survey_export(request, pk, file_format, survey_responses_file)


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def survey_results_download(request, pk: int, file_format: str):
    """A survey's results, one row per question and option, as CSV or XLSX (404 for a
    draft)."""
    return _survey_export(request, pk, file_format, survey_results_file)


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def funding_download(request, file_format: str, table: str = "coverage"):
    """The funding of the activities as XLSX (three sheets) or one table as CSV, narrowed
    like the funding overview (?cycle=<id>&cancelled=on)."""
    form = OverviewFilterForm(request.GET or None)
    cycle, include_cancelled = None, False
    if form.is_bound:
        if not form.is_valid():
            return HttpResponse(
                "\n".join(str(e) for errors in form.errors.values() for e in errors),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        cycle = form.cleaned_data["cycle"]
        include_cancelled = form.cleaned_data["cancelled"]
    try:
        export = funding_file(
            actor=request.user,
            file_format=file_format,
            table=table,
            cycle=cycle,
            include_cancelled=include_cancelled,
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        raise Http404(error.message) from error
    return _attachment(export)


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def cycle_archive_download(request, pk: int):
    """A cycle's archive as a ZIP file, built in a temporary file and streamed."""
    cycle = get_object_or_404(Cycle.objects.select_related("theme"), pk=pk)
    try:
        archive = cycle_archive_file(actor=request.user, cycle=cycle)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    response = FileResponse(
        archive.file,
        as_attachment=True,
        filename=archive.filename,
        content_type=archive.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
