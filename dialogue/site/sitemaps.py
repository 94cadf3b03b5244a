"""The sitemap of the public website, every page in each language with its alternates."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from dialogue.cycles.selectors import cycle_list
from dialogue.documents.selectors import public_documents, series_with_documents
from dialogue.events import calendar
from dialogue.members import selectors as member_selectors


class _Localized(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class PagesSitemap(_Localized):
    """The fixed pages: home, membership, cycles, events and publications."""

    changefreq = "daily"

    def items(self):
        return ["site:home", "site:members", "site:cycles", "site:events", "site:publications"]

    def location(self, item):
        return reverse(item)


class MembersSitemap(_Localized):
    """Each current member's page."""

    changefreq = "monthly"

    def items(self):
        return list(member_selectors.member_list().order_by("code"))

    def location(self, item):
        return reverse("site:member", kwargs={"code": item.code})


class CyclesSitemap(_Localized):
    """Each cycle's page."""

    changefreq = "weekly"

    def items(self):
        return list(cycle_list())

    def location(self, item):
        return reverse("site:cycle", kwargs={"year": item.year})


class EventsSitemap(_Localized):
    """Each public event's page."""

    changefreq = "weekly"

    def items(self):
        return list(calendar.public_events().order_by("pk"))

    def location(self, item):
        return reverse("site:event", kwargs={"pk": item.pk})


class DocumentsSitemap(_Localized):
    """Each published public document's page."""

    changefreq = "monthly"

    def items(self):
        return list(public_documents().order_by("pk"))

    def location(self, item):
        return reverse("site:document", kwargs={"pk": item.pk})

    def lastmod(self, item):
        return item.published_at


class SeriesSitemap(_Localized):
    """Each publication series holding a public document."""

    changefreq = "monthly"

    def items(self):
        return list(series_with_documents(AnonymousUser()))

    def location(self, item):
        return reverse("site:series", kwargs={"pk": item.pk})


SITEMAPS = {
    "pages": PagesSitemap,
    "members": MembersSitemap,
    "cycles": CyclesSitemap,
    "events": EventsSitemap,
    "publications": DocumentsSitemap,
    "series": SeriesSitemap,
}
