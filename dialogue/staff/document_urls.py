"""URLs of the staff pages of documents, language versions and publication series, in
the "staff" namespace (under documents/)."""

from django.urls import path

from dialogue.staff import document_views as views

urlpatterns = [
    path("", views.document_list, name="document_list"),
    path("add/", views.document_create, name="document_create"),
    path("<int:pk>/", views.document_detail, name="document_detail"),
    path("<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("<int:pk>/upload/", views.version_upload, name="version_upload"),
    path("<int:pk>/publish/", views.document_publish, name="document_publish"),
    path("<int:pk>/withdraw/", views.document_withdraw, name="document_withdraw"),
    path("<int:pk>/number/", views.document_number, name="document_number"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("versions/<int:pk>/download/", views.version_download, name="version_download"),
    path("series/", views.series_list, name="series_list"),
    path("series/add/", views.series_create, name="series_create"),
]
