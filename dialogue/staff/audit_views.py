"""The staff page of the audit trail: who changed what and when, filtered and exported."""

from http import HTTPStatus

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dialogue.core import ratelimit, selectors, services
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.core.pages import render
from dialogue.staff.audit_forms import AuditFilterForm

PAGE_SIZE = 50


def _filtered(request):
    """The filter form and the entries it selects (none, with 400, when it is invalid)."""
    form = AuditFilterForm(request.GET or None)
    if not form.is_bound:
        return form, selectors.audit_entries(), HTTPStatus.OK
    if form.is_valid():
        return form, selectors.audit_entries(**form.filters()), HTTPStatus.OK
    return form, AuditEntry.objects.none(), HTTPStatus.BAD_REQUEST


@never_cache
@staff_member_required
@require_safe
def audit_list(request):
    """The audit trail filtered by person, object, action, dates and object name, 50
    entries a page, newest first."""
    form, entries, status = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, selectors.audit_changes(entry)) for entry in page.object_list]
    return render(
        request,
        "staff/audit/list.html",
        {"form": form, "page": page, "rows": rows},
        status=status,
    )


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def audit_export(request, file_format: str):
    """The filtered entries as a CSV or XLSX attachment (400 when a filter is invalid)."""
    form, entries, status = _filtered(request)
    if status != HTTPStatus.OK:
        return render(
            request,
            "staff/audit/list.html",
            {"form": form, "page": None, "rows": []},
            status=status,
        )
    try:
        export = services.audit_trail_export(
            actor=request.user, entries=entries, file_format=file_format
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        return HttpResponse(error.message, status=HTTPStatus.BAD_REQUEST, content_type="text/plain")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
