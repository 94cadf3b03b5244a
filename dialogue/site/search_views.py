"""The public website's search over the documents a viewer may see."""

import math

from django.conf import settings

from dialogue.core.errors import DomainError
from dialogue.core.pages import render
from dialogue.cycles.selectors import cycle_list
from dialogue.documents.models import Document
from dialogue.documents.search import MAX_QUERY_LENGTH, search_documents
from dialogue.events import calendar
from dialogue.site.cache import public_page

RESULTS_PER_PAGE = 20
FILTERS = ("cycle", "event", "kind", "language")


def _page_number(value: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 10_000))


@public_page
def search(request):
    """The search form and, for a query, one page of results with snippets and the total;
    a bad query or filter shows the form with the message, with status 400. Anonymous
    readers share a short-lived copy of each query's results (never of an error)."""
    query = request.GET.get("q", "")
    values = {name: request.GET.get(name, "") for name in FILTERS}
    page = _page_number(request.GET.get("page", "1"))
    context = {
        "query": query,
        "values": values,
        "max_length": MAX_QUERY_LENGTH,
        "cycles": list(cycle_list()),
        "events": sorted(calendar.public_events(), key=calendar.date_order, reverse=True),
        "kinds": Document.Kind.choices,
        "languages": settings.LANGUAGES,
        "results": None,
        "error": None,
    }
    status = 200
    if query.strip():
        try:
            results = search_documents(
                request.user,
                query,
                cycle=values["cycle"] or None,
                event=values["event"] or None,
                kind=values["kind"] or None,
                language=values["language"] or None,
                limit=RESULTS_PER_PAGE,
                offset=(page - 1) * RESULTS_PER_PAGE,
            )
        except DomainError as error:
            context["error"] = error
            status = 400
        else:
            pages = max(1, math.ceil(results.total / RESULTS_PER_PAGE))
            context.update(
                results=results,
                page=page,
                pages=pages,
                first_number=(page - 1) * RESULTS_PER_PAGE + 1,
                previous_page=page - 1 if page > 1 else None,
                next_page=page + 1 if page < pages else None,
            )
    return render(request, "site/search.html", context, status=status)
