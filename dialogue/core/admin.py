from django.contrib import admin

from dialogue.core import audit
from dialogue.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read-only, filterable by person, object and date."""

    list_display = ("at", "actor_label", "action", "object_type", "object_repr", "ip_address")
    list_filter = (
        "action",
        "object_type",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("at", admin.DateFieldListFilter),
    )
    search_fields = ("actor_label", "object_repr", "object_id", "note")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Admin pages for models without a dedicated service: every save is audited."""

    audited_fields: tuple[str, ...] = ()

    def _fields(self, obj):
        return self.audited_fields or tuple(
            f.name for f in obj._meta.concrete_fields if f.name not in {"password", "id"}
        )

    def save_model(self, request, obj, form, change):
        fields = self._fields(obj)
        before = None
        if change:
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk), fields)
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, fields)
        if before is None:
            audit.record(
                actor=request.user, action=AuditEntry.Action.CREATE, obj=obj, changes=after
            )
        elif changes := audit.diff(before, after):
            audit.record(
                actor=request.user, action=AuditEntry.Action.UPDATE, obj=obj, changes=changes
            )

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action=AuditEntry.Action.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
