from django.urls import include, path

from dialogue.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("members/import/", views.member_import, name="member_import"),
    path("cycles/", include("dialogue.staff.cycle_urls")),
    path("surveys/", include("dialogue.staff.survey_urls")),
    path("events/", include("dialogue.staff.event_urls")),
    path("documents/", include("dialogue.staff.document_urls")),
    path("notes/", include("dialogue.staff.note_urls")),
    path("exports/", include("dialogue.staff.export_urls")),
    path("audit/", include("dialogue.staff.audit_urls")),
    path("mail/", include("dialogue.mail.urls")),
    path(
        "members/export.csv",
        views.member_export,
        {"file_format": "csv"},
        name="member_export_csv",
    ),
    path(
        "members/export.xlsx",
        views.member_export,
        {"file_format": "xlsx"},
        name="member_export_xlsx",
    ),
]
