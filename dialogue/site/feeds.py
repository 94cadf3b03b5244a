"""Atom feeds of the public website, in the page's language: publications and news.

Feed readers and proxies keep copies, so a feed holds only public, published
things, whoever asks for it.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from dialogue.documents.selectors import public_documents
from dialogue.site.news import NewsItem, latest_news

PUBLICATIONS_IN_FEED = 20
NEWS_IN_FEED = 30


class PublicationsFeed(Feed):
    """The latest published public documents."""

    feed_type = Atom1Feed

    def title(self):
        return _("%(dialogue)s: publications") % {"dialogue": settings.DIALOGUE_NAME}

    def subtitle(self):
        return _("The latest public documents and reports of the dialogue.")

    def link(self):
        return reverse("site:publications")

    def feed_url(self):
        return reverse("site:publications_feed")

    def items(self):
        return list(public_documents().order_by("-published_at", "-id")[:PUBLICATIONS_IN_FEED])

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return escape(item.summary)

    def item_link(self, item):
        return reverse("site:document", kwargs={"pk": item.pk})

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [item.get_kind_display()]


class NewsFeed(Feed):
    """Decisions recorded, events confirmed, held or cancelled, and publications."""

    feed_type = Atom1Feed

    def title(self):
        return _("%(dialogue)s: news") % {"dialogue": settings.DIALOGUE_NAME}

    def subtitle(self):
        return _("Decisions, events and publications of the dialogue.")

    def link(self):
        return reverse("site:home")

    def feed_url(self):
        return reverse("site:news_feed")

    def items(self):
        return latest_news(NEWS_IN_FEED)

    def item_title(self, item: NewsItem):
        return item.title

    def item_description(self, item: NewsItem):
        return escape(item.summary)

    def item_link(self, item: NewsItem):
        return item.link

    def item_guid(self, item: NewsItem):
        host = urlsplit(settings.SITE_URL).hostname or "dialogue"
        return f"tag:{host},2007:{item.key}"

    def item_guid_is_permalink(self, item: NewsItem):
        return False

    def item_pubdate(self, item: NewsItem):
        return item.when

    def item_updateddate(self, item: NewsItem):
        return item.when
