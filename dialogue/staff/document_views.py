"""Staff pages of documents: their description, language versions (files), publication,
numbering in a series, and the publication series themselves.

Each page parses its form, calls one service or selector of `dialogue.documents`, and
shows the service's refusal on the form with status 400; the rules (what a file may
contain, when a document may be published or numbered) are the domain's own.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dialogue.core import ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.core.pages import render
from dialogue.documents import selectors, services
from dialogue.documents.downloads import file_response
from dialogue.documents.models import Document, LanguageVersion
from dialogue.staff.document_forms import (
    ConfirmForm,
    DocumentFilterForm,
    DocumentForm,
    NumberForm,
    SeriesForm,
    VersionUploadForm,
    WithdrawForm,
)

DOCUMENT_PAGE = "staff:document_detail"
PAGE_SIZE = 25
BAD_REQUEST = 400


def _document(pk: int) -> Document:
    try:
        return selectors.document_for_staff(pk)
    except Document.DoesNotExist:
        raise Http404(_("There is no such document.")) from None


def _version(pk: int) -> LanguageVersion:
    return get_object_or_404(LanguageVersion.objects.select_related("document"), pk=pk)


def _show_error(form, error: DomainError) -> None:
    """A refusal of the domain beside the input at fault, or above the form."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from error
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _history(document: Document) -> list[dict]:
    """The audit entries of a document and its files, with the changed fields labelled."""
    version_type = LanguageVersion._meta.label_lower
    rows = []
    for entry in selectors.document_history(document):
        model = LanguageVersion if entry.object_type == version_type else Document
        changes = []
        if entry.action == AuditEntry.Action.UPDATE:
            changes = [
                {"label": _field_label(model, name), "before": values[0], "after": values[1]}
                for name, values in entry.changes.items()
                if isinstance(values, list) and len(values) == 2
            ]
        rows.append({"entry": entry, "changes": changes})
    return rows


# --- documents ------------------------------------------------------------------------


@staff_member_required
@require_safe
def document_list(request):
    """Every document, filtered by kind, status, visibility, cycle, event, series and
    title, a page at a time, with its language versions and their status."""
    form = DocumentFilterForm(request.GET or None)
    status = 200
    if not form.is_bound:
        documents = selectors.document_staff_list()
    elif form.is_valid():
        documents = selectors.document_staff_list(**form.filters())
    else:
        documents = Document.objects.none()
        status = BAD_REQUEST
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/documents/list.html",
        {"form": form, "page": page, "documents": page.object_list},
        status=status,
    )


def _document_form_page(request, *, document: Document | None, title: str):
    posted = request.method == "POST"
    form = DocumentForm(
        request.POST if posted else None,
        initial=DocumentForm.initial_for(document) if document else None,
    )
    if posted and form.is_valid():
        try:
            saved = services.document_save(
                actor=request.user, data=form.data_for_service(), document=document
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("“%(title)s” saved.") % {"title": saved.title})
            return redirect(DOCUMENT_PAGE, pk=saved.pk)
    return render(
        request,
        "staff/documents/document_form.html",
        {"form": form, "document": document, "title": title},
        status=BAD_REQUEST if posted else 200,
    )


@staff_member_required
def document_create(request):
    """Describe a new document; it starts as a draft, and its files are added on its page."""
    return _document_form_page(request, document=None, title=_("Add a document"))


@staff_member_required
def document_edit(request, pk: int):
    """Change a document's kind, titles, summaries, cycle, event, visibility or address."""
    return _document_form_page(request, document=_document(pk), title=_("Change the document"))


@staff_member_required
@require_safe
def document_detail(request, pk: int):
    """A document: its description, language versions, publication and number, the
    actions open to it and its history."""
    document = _document(pk)
    return render(
        request,
        "staff/documents/detail.html",
        {
            "document": document,
            "versions": list(document.versions.all()),
            "upload_form": VersionUploadForm(),
            "number_form": NumberForm(),
            "series_exist": selectors.series_list().exists(),
            "texts": [
                {
                    "code": code,
                    "language": name,
                    "title": getattr(document, f"title_{code}"),
                    "summary": getattr(document, f"summary_{code}"),
                }
                for code, name in settings.LANGUAGES
            ],
            "history": _history(document),
        },
    )


@staff_member_required
def version_upload(request, pk: int):
    """Upload a language's file of a document; it is checked by its content before it is
    kept, and replaces that language's earlier file. Each upload counts against the user's
    upload limit (the form again, 429, over it)."""
    document = _document(pk)
    posted = request.method == "POST"
    form = VersionUploadForm(request.POST if posted else None, request.FILES if posted else None)
    refused = ratelimit.account_refusal(ratelimit.UPLOAD, request.user) if posted else None
    if refused:
        form = VersionUploadForm()
        messages.error(request, refused.message)
    elif posted and form.is_valid():
        try:
            version = services.version_upload(
                actor=request.user,
                document=document,
                language=form.cleaned_data["language"],
                uploaded_file=form.cleaned_data["file"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s was kept as the %(language)s version (%(status)s).")
                % {
                    "name": version.original_name,
                    "language": version.get_language_display(),
                    "status": version.get_status_display(),
                },
            )
            return redirect(DOCUMENT_PAGE, pk=document.pk)
    page = render(
        request,
        "staff/documents/upload.html",
        {"document": document, "form": form},
        status=429 if refused else BAD_REQUEST if posted else 200,
    )
    if refused:
        page["Retry-After"] = str(refused.retry_after)
    return page


@never_cache
@staff_member_required
@require_safe
def version_download(request, pk: int):
    """Download any language version's file, as an attachment the browser will not run."""
    try:
        version = selectors.version_for_download(request.user, pk)
    except LanguageVersion.DoesNotExist:
        raise Http404(_("There is no such file.")) from None
    try:
        return file_response(version, filename=version.original_name)
    except FileNotFoundError:
        raise Http404(_("The file is missing from the storage.")) from None


def _action(request, document: Document, *, form_class, act, done: str, initial=None, **page):
    """A page with a form (maybe empty) that calls `act(actor, data)` on POST and goes
    back to the document; a refusal is shown on the form with status 400."""
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            act(request.user, form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, done)
            return redirect(DOCUMENT_PAGE, pk=document.pk)
    return render(
        request,
        "staff/documents/action.html",
        {"document": document, "form": form, "danger": False, **page},
        status=BAD_REQUEST if posted else 200,
    )


@staff_member_required
def version_publish(request, pk: int):
    """Publish a language version, after confirmation; it cannot be unpublished."""
    version = _version(pk)
    return _action(
        request,
        version.document,
        form_class=ConfirmForm,
        act=lambda actor, data: services.version_publish(actor=actor, version=version),
        done=_("The %(language)s version is published.")
        % {"language": version.get_language_display()},
        title=_("Publish a language version"),
        explanation=_(
            "Once the document is published, everyone who may see it can download this "
            "file (%(name)s, %(language)s). A published version cannot be unpublished; a "
            "new file in its language replaces it at once."
        )
        % {"name": version.original_name, "language": version.get_language_display()},
        button=_("Publish the %(language)s version") % {"language": version.get_language_display()},
        danger=True,
    )


@staff_member_required
def document_publish(request, pk: int):
    """Publish a draft document, after confirmation; it needs a published language
    version or the address where it is published elsewhere."""
    document = _document(pk)
    return _action(
        request,
        document,
        form_class=ConfirmForm,
        act=lambda actor, data: services.document_publish(actor=actor, document=document),
        done=_("“%(title)s” is published.") % {"title": document.title},
        title=_("Publish the document"),
        explanation=_(
            "The document becomes visible to its readers (%(visibility)s) with its published "
            "language versions. It cannot return to draft; it can only be withdrawn."
        )
        % {"visibility": document.get_visibility_display()},
        button=_("Publish"),
        danger=True,
    )


@staff_member_required
def document_withdraw(request, pk: int):
    """Withdraw a published document with a note; it keeps its number in a series."""
    document = _document(pk)
    return _action(
        request,
        document,
        form_class=WithdrawForm,
        act=lambda actor, data: services.document_withdraw(
            actor=actor, document=document, note=data["note"]
        ),
        done=_("“%(title)s” is withdrawn.") % {"title": document.title},
        title=_("Withdraw the document"),
        explanation=_(
            "Its readers no longer see it. It stays on record with its files, and a number "
            "it has in a series is not given to another document. This cannot be undone."
        ),
        button=_("Withdraw"),
        danger=True,
    )


@staff_member_required
def document_number(request, pk: int):
    """Give a document the next number of a series, after confirmation; a number is
    taken once and never reused."""
    document = _document(pk)
    chosen = request.GET.get("series", "")
    return _action(
        request,
        document,
        form_class=NumberForm,
        initial={"series": int(chosen)} if chosen.isdigit() else None,
        act=lambda actor, data: services.document_assign_next_number(
            actor=actor, document=document, series=data["series"]
        ),
        done=_("“%(title)s” is numbered in its series.") % {"title": document.title},
        title=_("Number in a series"),
        explanation=_(
            "The document takes the next number of the series chosen. The number is kept "
            "even if the document is withdrawn, and never given to another document: this "
            "cannot be undone."
        ),
        button=_("Give the number"),
        danger=True,
    )


# --- publication series ---------------------------------------------------------------


@staff_member_required
@require_safe
def series_list(request):
    """Every publication series, its next number and the documents numbered in it."""
    return render(request, "staff/documents/series_list.html", {"series": selectors.series_list()})


@staff_member_required
def series_create(request):
    """Create a publication series, starting at 1 or where a series under way has got to."""
    posted = request.method == "POST"
    form = SeriesForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            series = services.series_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The series “%(name)s” was created.") % {"name": series})
            return redirect("staff:series_list")
    return render(
        request,
        "staff/documents/series_form.html",
        {"form": form},
        status=BAD_REQUEST if posted else 200,
    )
