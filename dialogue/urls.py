from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from dialogue.core import views as core_views

admin.site.site_header = admin.site.site_title = "Dialogue"
handler404 = "dialogue.api.errors.page_not_found"

urlpatterns = [
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("api/v1/", include("dialogue.api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("staff/", include("dialogue.staff.urls")),
    path("portal/", include("dialogue.portal.urls")),
    path("", include("dialogue.site.urls")),
)
