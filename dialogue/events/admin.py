from django.contrib import admin

from dialogue.core.admin import AuditedAdminMixin
from dialogue.events.models import Event


@admin.register(Event)
class EventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Events have no service of their own yet, so every admin save is audited here.

    A decision selecting workshop topics creates their workshops; an event is cancelled
    or postponed through its status, never deleted.
    """

    list_display = ("title_en", "kind", "cycle", "topic", "status")
    list_filter = ("cycle", "kind", "status")
    search_fields = ("title_en", "title_fr", "title_es")
    list_select_related = ("cycle", "topic")
    fields = ("kind", "cycle", "topic", "title_en", "title_fr", "title_es", "status")

    def has_delete_permission(self, request, obj=None):
        return False
