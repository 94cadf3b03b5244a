from django.contrib.sitemaps.views import sitemap
from django.urls import path

from dialogue.site import cycle_views, document_views, event_views, search_views, views
from dialogue.site.cache import public_page
from dialogue.site.feeds import NewsFeed, PublicationsFeed
from dialogue.site.sitemaps import SITEMAPS

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/", views.member_list, name="members"),
    path("members/<str:code>/", views.member_detail, name="member"),
    path("cycles/", cycle_views.cycle_list, name="cycles"),
    path("cycles/<int:year>/", cycle_views.cycle_detail, name="cycle"),
    path("events/", event_views.event_list, name="events"),
    path("events/feed.ics", event_views.events_feed, name="events_feed"),
    path("events/<int:pk>/", event_views.event_detail, name="event"),
    path("events/<int:pk>/event.ics", event_views.event_ics, name="event_ics"),
    path("publications/", document_views.publication_list, name="publications"),
    path("publications/<int:pk>/", document_views.document_detail, name="document"),
    path("publications/series/<int:pk>/", document_views.series_detail, name="series"),
    path("publications/files/<int:version_pk>/", document_views.download, name="document_download"),
    path("search/", search_views.search, name="search"),
    path("feeds/publications.atom", public_page(PublicationsFeed()), name="publications_feed"),
    path("feeds/news.atom", public_page(NewsFeed()), name="news_feed"),
    path(
        "sitemap.xml",
        public_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
]
