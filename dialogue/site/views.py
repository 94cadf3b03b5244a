"""The public website."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from dialogue.core import clock
from dialogue.core.pages import render
from dialogue.cycles import selectors as cycle_selectors
from dialogue.documents.selectors import latest_publications
from dialogue.events import calendar
from dialogue.members import selectors
from dialogue.members.models import Member, Region
from dialogue.site.cache import public_page

KIND_HEADINGS = {
    Member.Kind.MEMBER_STATE: _("Member States"),
    Member.Kind.OBSERVER_STATE: _("Observer States"),
    Member.Kind.OBSERVER_ORGANIZATION: _("Observer organizations"),
}


HOME_EVENTS = 5
HOME_PUBLICATIONS = 5


@public_page
def home(request):
    """What the dialogue is and who takes part, the current cycle and its theme (or how it
    will be chosen), the next events and the latest publications."""
    today = clock.today()
    upcoming = sorted(
        (e for e in calendar.public_events() if not calendar.is_over(e, today)),
        key=calendar.date_order,
    )[:HOME_EVENTS]
    return render(
        request,
        "site/home.html",
        {
            "counts": selectors.membership_counts(),
            "cycle": cycle_selectors.current_cycle(),
            "upcoming": upcoming,
            "publications": latest_publications(request.user, HOME_PUBLICATIONS),
        },
    )


def member_list(request):
    """The membership, by kind, filterable by region and searchable by name."""
    kind = request.GET.get("kind", "")
    region = request.GET.get("region", "")
    query = request.GET.get("q", "")[:100]
    if kind not in Member.Kind.values:
        kind = ""
    if region not in Region.values:
        region = ""
    members = selectors.sorted_by_name(
        selectors.member_list(kind=kind or None, region=region or None, query=query)
    )
    groups = [
        (label, [m for m in members if m.kind == value])
        for value, label in KIND_HEADINGS.items()
        if not kind or kind == value
    ]
    return render(
        request,
        "site/member_list.html",
        {
            "groups": groups,
            "total": len(members),
            "kinds": Member.Kind.choices,
            "regions": Region.choices,
            "kind": kind,
            "region": region,
            "query": query,
        },
    )


def member_detail(request, code: str):
    """A member's public page: names, region, membership and Permanent Mission contact."""
    try:
        member = selectors.member_get(code)
    except Member.DoesNotExist as error:
        raise Http404 from error
    return render(request, "site/member_detail.html", {"member": member})
