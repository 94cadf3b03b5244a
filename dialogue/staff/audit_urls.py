"""URLs of the staff page of the audit trail, in the "staff" namespace (under audit/)."""

from django.urls import path

from dialogue.staff import audit_views as views

urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("export.csv", views.audit_export, {"file_format": "csv"}, name="audit_export_csv"),
    path("export.xlsx", views.audit_export, {"file_format": "xlsx"}, name="audit_export_xlsx"),
]
