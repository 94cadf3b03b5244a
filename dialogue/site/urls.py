from django.urls import path

from dialogue.site import event_views, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/", views.member_list, name="members"),
    path("members/<str:code>/", views.member_detail, name="member"),
    path("events/", event_views.event_list, name="events"),
    path("events/feed.ics", event_views.events_feed, name="events_feed"),
    path("events/<int:pk>/", event_views.event_detail, name="event"),
    path("events/<int:pk>/event.ics", event_views.event_ics, name="event_ics"),
]
