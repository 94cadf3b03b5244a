from django.contrib import admin

from dialogue.mail.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Outgoing e-mail, read-only; staff send failed ones again on the staff mail page.

    The text is not shown: it may carry a personal link (an invitation, a password link).
    """

    list_display = ("created_at", "status", "kind", "to", "subject", "attempts", "sent_at")
    list_filter = ("status", "kind", "language", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to", "subject", "message_id", "about_repr")
    date_hierarchy = "created_at"
    fields = (
        "status",
        "kind",
        "to",
        "from_email",
        "subject",
        "language",
        "about_type",
        "about_id",
        "about_repr",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "message_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
