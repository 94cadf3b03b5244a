from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dialogue.core.errors import DomainError
from dialogue.cycles.admin import ServiceAdmin
from dialogue.documents import services
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries

VERSION_SHOWN = (
    "language",
    "status",
    "original_name",
    "content_type",
    "size",
    "checksum",
    "uploaded_at",
    "uploaded_by",
)


def _run_each(model_admin, request, queryset, service, keyword, done):
    """Call a service for each selected object, reporting refusals one by one; `done`
    gives the success message for a count."""
    count = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{keyword: obj})
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done(count), messages.SUCCESS)


@admin.register(PublicationSeries)
class PublicationSeriesAdmin(ServiceAdmin):
    """Series are created through series_create; their numbering is then only advanced by
    numbering documents, so a number is never given twice."""

    list_display = ("name_en", "next_number")
    search_fields = ("name_en", "name_fr", "name_es")
    fields = ("name_en", "name_fr", "name_es", "next_number")

    def has_change_permission(self, request, obj=None):
        return False

    def call_service(self, request, existing, data, formsets):
        return services.series_create(
            actor=request.user,
            name_en=data.get("name_en", ""),
            name_fr=data.get("name_fr", ""),
            name_es=data.get("name_es", ""),
            next_number=data.get("next_number") or 1,
        )


class LanguageVersionInline(admin.TabularInline):
    """The document's files, shown only; they are uploaded on the staff pages."""

    model = LanguageVersion
    extra = 0
    fields = VERSION_SHOWN
    readonly_fields = VERSION_SHOWN
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ServiceAdmin):
    """Documents are written through document_save; publishing and withdrawing are actions
    that apply the publication rules."""

    list_display = ("title_en", "kind", "visibility", "status", "series", "series_number")
    list_filter = ("status", "visibility", "kind", "series", "cycle")
    search_fields = ("title_en", "title_fr", "title_es")
    list_select_related = ("series",)
    date_hierarchy = "published_at"
    inlines = [LanguageVersionInline]
    actions = ["publish", "withdraw"]
    fieldsets = (
        (None, {"fields": ("kind", "visibility", "cycle", "event", "external_url")}),
        (_("Titles"), {"fields": ("title_en", "title_fr", "title_es")}),
        (_("Summaries"), {"fields": ("summary_en", "summary_fr", "summary_es")}),
        (_("Publication"), {"fields": ("status", "published_at", "series", "series_number")}),
    )
    readonly_fields = ("status", "published_at", "series", "series_number")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def call_service(self, request, existing, data, formsets):
        values = {name: data[name] for name in services.DOCUMENT_FIELDS if name in data}
        return services.document_save(actor=request.user, data=values, document=existing)

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            services.document_publish,
            "document",
            lambda n: (
                ngettext("%(n)d document published.", "%(n)d documents published.", n) % {"n": n}
            ),
        )

    @admin.action(description=_("Withdraw"))
    def withdraw(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            services.document_withdraw,
            "document",
            lambda n: (
                ngettext("%(n)d document withdrawn.", "%(n)d documents withdrawn.", n) % {"n": n}
            ),
        )


@admin.register(LanguageVersion)
class LanguageVersionAdmin(admin.ModelAdmin):
    """Language versions are shown only; files are uploaded through version_upload on the
    staff pages, and published with the action here."""

    list_display = ("document", "language", "status", "original_name", "content_type", "size")
    list_filter = ("status", "language", "content_type")
    list_select_related = ("document",)
    search_fields = ("document__title_en", "original_name", "checksum")
    fields = ("document", *VERSION_SHOWN)
    readonly_fields = ("document", *VERSION_SHOWN)
    actions = ["publish"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            services.version_publish,
            "version",
            lambda n: (
                ngettext(
                    "%(n)d language version published.", "%(n)d language versions published.", n
                )
                % {"n": n}
            ),
        )
