from django.urls import path

from dialogue.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/", views.member_list, name="members"),
    path("members/<str:code>/", views.member_detail, name="member"),
]
