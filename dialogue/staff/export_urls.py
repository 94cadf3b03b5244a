"""URLs of the staff downloads, in the "staff" namespace (under exports/)."""

from django.urls import path

from dialogue.staff import export_views as views

urlpatterns = [
    path(
        "surveys/<int:pk>/responses.csv",
        views.survey_responses_download,
        {"file_format": "csv"},
        name="export_survey_responses_csv",
    ),
    path(
        "surveys/<int:pk>/responses.xlsx",
        views.survey_responses_download,
        {"file_format": "xlsx"},
        name="export_survey_responses_xlsx",
    ),
    path(
        "surveys/<int:pk>/results.csv",
        views.survey_results_download,
        {"file_format": "csv"},
        name="export_survey_results_csv",
    ),
    path(
        "surveys/<int:pk>/results.xlsx",
        views.survey_results_download,
        {"file_format": "xlsx"},
        name="export_survey_results_xlsx",
    ),
    path(
        "funding.xlsx",
        views.funding_download,
        {"file_format": "xlsx"},
        name="export_funding_xlsx",
    ),
    path(
        "funding/<slug:table>.csv",
        views.funding_download,
        {"file_format": "csv"},
        name="export_funding_csv",
    ),
    path("cycles/<int:pk>/archive.zip", views.cycle_archive_download, name="export_cycle_archive"),
]
