"""Purpose-built staff pages, where the admin is clumsy."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dialogue.core import ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.mail import selectors as mail_selectors
from dialogue.members import selectors, services
from dialogue.members.imports import COLUMNS, REQUIRED_COLUMNS, ImportErrors
from dialogue.staff.forms import MemberImportForm


@staff_member_required
@require_safe
def home(request):
    """The secretariat's start page."""
    return render(
        request,
        "staff/home.html",
        {
            "counts": selectors.membership_counts(),
            "failed_mail": mail_selectors.failed_count(),
        },
    )


@staff_member_required
def member_import(request):
    """Upload a member file; every row is checked first, and one bad row stops the import.
    Each upload counts against the user's upload limit (the form again, 429, over it)."""
    posted = request.method == "POST"
    form = MemberImportForm(request.POST if posted else None, request.FILES if posted else None)
    issues = []
    refused = ratelimit.account_refusal(ratelimit.UPLOAD, request.user) if posted else None
    if refused:
        form = MemberImportForm()
        messages.error(request, refused.message)
    elif posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = services.members_import(
                actor=request.user,
                content=upload.read(),
                filename=upload.name,
                dry_run=form.cleaned_data["check_only"],
            )
        except ImportErrors as error:
            issues = error.issues
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            counts = {
                "file": upload.name,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
            }
            if summary.dry_run:
                messages.info(
                    request,
                    _(
                        "%(file)s has no problems; nothing was imported. Importing it would "
                        "create %(created)d, update %(updated)d and leave %(unchanged)d members "
                        "unchanged."
                    )
                    % counts,
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(file)s imported: %(created)d members created, %(updated)d updated, "
                        "%(unchanged)d unchanged."
                    )
                    % counts,
                )
            return redirect("staff:member_import")
    page = render(
        request,
        "staff/member_import.html",
        {
            "form": form,
            "issues": issues,
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
        },
        status=429 if refused else HTTPStatus.BAD_REQUEST if issues else None,
    )
    if refused:
        page["Retry-After"] = str(refused.retry_after)
    return page


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def member_export(request, file_format: str):
    """Download every member as a member file (CSV or XLSX) that imports back unchanged."""
    try:
        export = services.members_export(actor=request.user, file_format=file_format)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename
    )
    return response
