"""The public website's publications: the list, a series, a document and its files."""

from django.core.paginator import Paginator
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from dialogue.core.pages import render
from dialogue.cycles.selectors import cycle_list
from dialogue.documents import selectors
from dialogue.documents.downloads import file_response
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries
from dialogue.site.cache import public_page

PER_PAGE = 20
DOWNLOAD_MAX_AGE = 300


def _choice(value: str, allowed: dict, label: str, notices: list[str]):
    """The object a filter value names, or None; an unknown value adds a notice."""
    if not value:
        return None
    if value in allowed:
        return allowed[value]
    notices.append(
        _("The filter “%(filter)s” was not understood and is ignored.") % {"filter": label}
    )
    return None


@public_page
def publication_list(request):
    """Every document the viewer may see, latest first, filterable by series, kind and
    cycle, twenty to a page; a filter value that names nothing is ignored, with a notice."""
    notices: list[str] = []
    series_choices = list(selectors.series_with_documents(request.user))
    cycles = list(cycle_list())
    series = _choice(
        request.GET.get("series", ""),
        {str(s.pk): s for s in series_choices},
        _("Series"),
        notices,
    )
    kind = _choice(
        request.GET.get("kind", ""), {v: v for v in Document.Kind.values}, _("Kind"), notices
    )
    cycle = _choice(
        request.GET.get("cycle", ""), {str(c.year): c for c in cycles}, _("Cycle"), notices
    )
    documents = selectors.document_list(request.user, series=series, kind=kind, cycle=cycle)
    page = Paginator(documents, PER_PAGE).get_page(request.GET.get("page"))
    filters = {
        key: value
        for key, value in (
            ("series", str(series.pk) if series else ""),
            ("kind", kind or ""),
            ("cycle", str(cycle.year) if cycle else ""),
        )
        if value
    }
    return render(
        request,
        "site/publications/list.html",
        {
            "page": page,
            "series_choices": series_choices,
            "kinds": Document.Kind.choices,
            "cycles": cycles,
            "series": series,
            "kind": kind or "",
            "cycle": cycle,
            "filters": filters,
            "notices": notices,
        },
    )


@public_page
def series_detail(request, pk: int):
    """A publication series: its documents the viewer may see, by number, latest first."""
    try:
        series = selectors.series_with_documents(request.user).get(pk=pk)
    except PublicationSeries.DoesNotExist as error:
        raise Http404 from error
    documents = selectors.document_list(request.user, series=series)
    page = Paginator(documents, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "site/publications/series.html", {"series": series, "page": page})


@public_page
def document_detail(request, pk: int):
    """A document the viewer may see: what it is, where it belongs, and its files or the
    address where it is published elsewhere."""
    try:
        document = selectors.document_get(request.user, pk)
    except Document.DoesNotExist as error:
        raise Http404 from error
    return render(
        request,
        "site/publications/detail.html",
        {"document": document, "versions": list(document.versions.all())},
    )


def download(request, version_pk: int):
    """A language version's file as an attachment, when the viewer may download it.

    The browser is told the detected type and not to guess another, and the file
    is sandboxed should it be opened in place.
    """
    try:
        version = selectors.version_for_download(request.user, version_pk)
    except LanguageVersion.DoesNotExist as error:
        raise Http404 from error
    try:
        response = file_response(version)
    except FileNotFoundError as error:
        raise Http404 from error
    document = version.document
    if (
        document.visibility == Document.Visibility.PUBLIC
        and document.status == Document.Status.PUBLISHED
        and version.status == LanguageVersion.Status.PUBLISHED
    ):
        patch_cache_control(response, public=True, max_age=DOWNLOAD_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response
