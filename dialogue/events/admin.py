from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dialogue.cycles.admin import ServiceAdmin, ServiceAdminForm
from dialogue.events import services
from dialogue.events.models import Event, Invitation, Registration
from dialogue.members.models import Language

SEASONS = [
    ("spring", pgettext_lazy("season", "spring")),
    ("summer", pgettext_lazy("season", "summer")),
    ("autumn", pgettext_lazy("season", "autumn")),
    ("winter", pgettext_lazy("season", "winter")),
]
# Fields with a default that may be left empty in the admin: a new event takes the default,
# a changed one keeps its value.
DEFAULTED = ("precision", "audience", "time_zone")
RECORDED = (
    "status",
    "cancellation_reason",
    "cancellation_note",
    *services.OUTCOME_FIELDS,
)


class EventAdminForm(ServiceAdminForm):
    seasons = forms.MultipleChoiceField(
        label=_("seasons"), choices=SEASONS, required=False, widget=forms.CheckboxSelectMultiple
    )
    working_languages = forms.MultipleChoiceField(
        label=_("working languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interpretation_languages = forms.MultipleChoiceField(
        label=_("interpretation requested into"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DEFAULTED:
            if name in self.fields:
                self.fields[name].required = False


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    """Events are written through event_save, so the dates are checked and a change of
    them notifies the invitees. The status and outcome change on the staff pages; an
    event is cancelled or postponed there, never deleted."""

    form = EventAdminForm
    list_display = ("title_en", "kind", "cycle", "topic", "status")
    list_filter = ("cycle", "kind", "status")
    search_fields = ("title_en", "title_fr", "title_es")
    list_select_related = ("cycle", "topic")
    autocomplete_fields = ("host",)
    filter_horizontal = ("partners",)
    fieldsets = (
        (None, {"fields": ("kind", "cycle", "topic", "previous_session", "staff_page")}),
        (
            _("Title and description"),
            {
                "fields": (
                    "title_en",
                    "title_fr",
                    "title_es",
                    "description_en",
                    "description_fr",
                    "description_es",
                )
            },
        ),
        (
            _("Dates"),
            {
                "fields": (
                    "precision",
                    "year",
                    "month",
                    "seasons",
                    "start_date",
                    "end_date",
                    "start_time",
                    "end_time",
                    "time_zone",
                )
            },
        ),
        (_("Venue"), {"fields": ("city", "country", "place", "host", "partners")}),
        (
            _("Audience and languages"),
            {
                "fields": (
                    "audience",
                    "invitation_only",
                    "requires_approval",
                    "capacity",
                    "expected_participants",
                    "working_languages",
                    "interpretation_languages",
                    "contingent_on_funding",
                    "is_public",
                )
            },
        ),
        (_("Status and outcome (changed on the staff pages)"), {"fields": RECORDED}),
    )
    readonly_fields = (*RECORDED, "staff_page")

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("staff:event_detail", args=[obj.pk]),
            _("Status, funding and participants of the event"),
        )

    def call_service(self, request, existing, data, formsets):
        values = {name: data[name] for name in services.EVENT_FIELDS if name in data}
        for name in DEFAULTED:
            if name in values and not values[name]:
                values[name] = (
                    getattr(existing, name)
                    if existing is not None
                    else Event._meta.get_field(name).get_default()
                )
        return services.event_save(
            actor=request.user,
            data=values,
            event=existing,
            partners=list(data["partners"]) if "partners" in data else None,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the registration services: shown here, changed only there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("event", "member", "organization", "person", "invited_at", "sent_at")
    list_filter = ("event__cycle", "event")
    list_select_related = ("event", "member", "organization", "person")
    search_fields = ("event__title_en", "member__name_en", "organization__name_en")
    date_hierarchy = "invited_at"
    fields = ("event", "member", "organization", "person", "invited_at", "sent_at")
    readonly_fields = fields


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = (
        "person",
        "event",
        "status",
        "affiliation",
        "affiliation_kind",
        "region",
        "registered_at",
    )
    list_filter = ("status", "affiliation_kind", "region", "event__cycle", "event")
    list_select_related = ("event", "person")
    search_fields = (
        "person__family_name",
        "person__given_name",
        "person__email",
        "affiliation",
        "event__title_en",
    )
    date_hierarchy = "registered_at"
    fields = (
        "event",
        "person",
        "status",
        "affiliation",
        "affiliation_kind",
        "region",
        "registered_at",
        "registered_by",
        "changed_at",
    )
    readonly_fields = fields
