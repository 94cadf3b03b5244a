from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dialogue.cycles.admin import ServiceAdmin
from dialogue.funding import services
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge


def _event_page(event_id: int):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("staff:event_detail", args=[event_id]),
        _("Funding of the event"),
    )


@admin.register(Donor)
class DonorAdmin(ServiceAdmin):
    """A donor is a Member or an organization, recorded once through donor_for."""

    list_display = ("__str__", "member", "organization")
    list_select_related = ("member", "organization")
    search_fields = ("member__name_en", "organization__name_en", "organization__acronym")
    autocomplete_fields = ("member", "organization")
    fields = ("member", "organization")

    def has_change_permission(self, request, obj=None):
        return False

    def call_service(self, request, existing, data, formsets):
        return services.donor_for(
            actor=request.user, member=data.get("member"), organization=data.get("organization")
        )


@admin.register(BudgetLine)
class BudgetLineAdmin(ServiceAdmin):
    """Budget lines are written through budget_line_save: a positive amount, an ISO
    currency, and the language of an interpretation line."""

    list_display = ("event", "kind", "language", "description", "amount", "currency")
    list_filter = ("kind", "currency", "event__cycle")
    list_select_related = ("event",)
    search_fields = ("event__title_en", "description")
    fields = ("event", "kind", "language", "description", "amount", "currency", "staff_page")
    readonly_fields = ("staff_page",)

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return _event_page(obj.event_id)

    def get_readonly_fields(self, request, obj=None):
        return ("event", "staff_page") if obj else ("staff_page",)

    def call_service(self, request, existing, data, formsets):
        values = {name: data[name] for name in services.LINE_FIELDS if name in data}
        return services.budget_line_save(actor=request.user, data=values, line=existing)


@admin.register(Pledge)
class PledgeAdmin(ServiceAdmin):
    """Pledges are recorded through pledge_record; receipt and withdrawal are recorded on
    the event's staff page, and a pledge is then kept as it is."""

    list_display = ("event", "donor", "amount", "currency", "budget_line", "status", "pledged_on")
    list_filter = ("status", "currency", "event__cycle")
    list_select_related = ("event", "donor__member", "donor__organization", "budget_line")
    search_fields = ("event__title_en", "donor__member__name_en", "donor__organization__name_en")
    date_hierarchy = "pledged_on"
    fields = (
        "donor",
        "event",
        "budget_line",
        "amount",
        "currency",
        "pledged_on",
        "note",
        "status",
        "received_on",
        "staff_page",
    )
    readonly_fields = ("status", "received_on", "staff_page")

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return _event_page(obj.event_id)

    def has_change_permission(self, request, obj=None):
        return False

    def call_service(self, request, existing, data, formsets):
        return services.pledge_record(
            actor=request.user,
            donor=data["donor"],
            event=data["event"],
            amount=data["amount"],
            currency=data["currency"],
            pledged_on=data["pledged_on"],
            budget_line=data.get("budget_line"),
            note=data.get("note", ""),
        )


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceAdmin):
    """Rates are stated through exchange_rate_set; a rate once used is superseded by a
    later one rather than changed."""

    list_display = ("currency", "rate", "valid_from", "source")
    list_filter = ("currency",)
    date_hierarchy = "valid_from"
    fields = ("currency", "rate", "valid_from", "source")

    def get_readonly_fields(self, request, obj=None):
        return ("currency", "valid_from") if obj else ()

    def call_service(self, request, existing, data, formsets):
        return services.exchange_rate_set(
            actor=request.user,
            currency=data["currency"] if existing is None else existing.currency,
            rate=data["rate"],
            valid_from=data["valid_from"] if existing is None else existing.valid_from,
            source=data.get("source", ""),
        )
