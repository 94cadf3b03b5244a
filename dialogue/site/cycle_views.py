"""The public website's cycles: the archive of every year and one cycle's page."""

from django.http import Http404

from dialogue.core.pages import render
from dialogue.cycles import selectors
from dialogue.cycles.models import Cycle
from dialogue.documents.selectors import documents_for_cycle
from dialogue.events import calendar
from dialogue.site.cache import public_page


@public_page
def cycle_list(request):
    """Every cycle, latest first, with its theme and how it was or will be chosen."""
    return render(request, "site/cycles/list.html", {"cycles": selectors.cycle_archive()})


@public_page
def cycle_detail(request, year: int):
    """A cycle: its theme and how it was chosen, the proposals considered, consultations
    with their outcomes, decisions current and superseded, its events and documents."""
    try:
        cycle = selectors.cycle_get(year)
    except Cycle.DoesNotExist as error:
        raise Http404 from error
    overview = selectors.cycle_overview(cycle)
    events = sorted(calendar.public_events().filter(cycle=cycle), key=calendar.date_order)
    return render(
        request,
        "site/cycles/detail.html",
        {
            "cycle": cycle,
            "overview": overview,
            "events": events,
            "documents": list(documents_for_cycle(request.user, cycle)),
        },
    )
