"""URLs of the staff pages of the Discussion Note, in the "staff" namespace (under notes/)."""

from django.urls import path

from dialogue.staff import note_views as views

urlpatterns = [
    path("", views.note_list, name="note_list"),
    path("consultations/<int:pk>/draft/", views.note_draft, name="note_draft"),
    path("consultations/<int:pk>/issue/", views.note_issue, name="note_issue"),
    path("<int:pk>/", views.note_edit, name="note_edit"),
    path("<int:pk>/download.<str:file_format>", views.note_download, name="note_download"),
]
