from django import forms
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dialogue.core.errors import DomainError
from dialogue.cycles import services
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)


class _RolledBack(Exception):
    """Raised inside a savepoint to undo a trial run of a service."""


class ServiceAdminForm(forms.ModelForm):
    """An admin form that shows the service's refusal on the form.

    Once the fields are clean, the admin's service call is tried in a savepoint that is
    always rolled back; a DomainError it raises becomes a form error beside the field it
    names. The service validates the object itself, with clearer messages than the
    model's constraints, so the model is validated here only when the service accepts
    the input. The admin then makes the same call for real when saving.
    """

    def try_service(self) -> None:
        """Replaced by ServiceAdmin.get_form."""

    def _post_clean(self):
        if not self._errors:
            try:
                with transaction.atomic():
                    self.try_service()
                    raise _RolledBack
            except _RolledBack:
                pass
            except DomainError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
                return
        super()._post_clean()


class ServiceAdmin(admin.ModelAdmin):
    """Admin pages whose saves go through a domain service, so every change is audited
    and every rule applies.

    Subclasses implement `call_service(request, existing, data, formsets)` and return the
    saved object; `existing` is a fresh copy from the database (None when adding) and
    `formsets` is None during the form's trial run.
    """

    form = ServiceAdminForm

    def call_service(self, request, existing, data: dict, formsets):
        raise NotImplementedError

    def _existing(self, pk):
        return self.model._default_manager.get(pk=pk) if pk is not None else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        pk = obj.pk if obj is not None else None

        def try_service(form_self):
            self.call_service(request, self._existing(pk), form_self.cleaned_data, None)

        return type(form.__name__, (form,), {"try_service": try_service})

    def save_model(self, request, obj, form, change):
        """Nothing here: the service saves the object with its related rows in save_related."""

    def save_related(self, request, form, formsets, change):
        saved = self.call_service(
            request,
            self._existing(form.instance.pk if change else None),
            form.cleaned_data,
            formsets,
        )
        form.instance.pk = saved.pk
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request, obj=None):
        return False


def _staff_page(url: str, text) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Cycle)
class CycleAdmin(ServiceAdmin):
    """Cycles are written through cycle_save; the theme is set by recording a decision."""

    list_display = ("year", "name_en", "status", "theme")
    list_filter = ("status",)
    search_fields = ("name_en", "name_fr", "name_es")
    list_select_related = ("theme",)
    fields = ("year", "name_en", "name_fr", "name_es", "status", "theme", "staff_page")
    readonly_fields = ("theme", "staff_page")

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return _staff_page(
            reverse("staff:cycle_detail", args=[obj.pk]),
            _("Proposals, consultations, surveys and decisions of the cycle"),
        )

    def call_service(self, request, existing, data, formsets):
        data = {name: data[name] for name in ("year", "name_en", "name_fr", "name_es", "status")}
        return services.cycle_save(actor=request.user, data=data, cycle=existing)


class GuidingQuestionInline(admin.TabularInline):
    model = GuidingQuestion
    extra = 1
    fields = ("position", "text_en", "text_fr", "text_es")


def _questions(formsets) -> list[dict[str, str]]:
    rows = [
        form.cleaned_data
        for formset in formsets
        if formset.model is GuidingQuestion
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
    rows.sort(key=lambda row: row["position"])
    return [{"en": r["text_en"], "fr": r["text_fr"], "es": r["text_es"]} for r in rows]


@admin.register(Proposal)
class ProposalAdmin(ServiceAdmin):
    """Proposals and their guiding questions are written through proposal_save; a proposal
    is withdrawn on the staff pages and selected by a decision."""

    list_display = ("title_en", "cycle", "kind", "theme", "status", "proposer")
    list_filter = ("cycle", "kind", "status")
    search_fields = ("title_en", "title_fr", "title_es")
    list_select_related = ("cycle", "theme", "proposer")
    autocomplete_fields = ("proposer",)
    inlines = [GuidingQuestionInline]
    readonly_fields = ("status",)
    fieldsets = (
        (None, {"fields": ("cycle", "kind", "theme", "position", "proposer", "status")}),
        (_("Titles"), {"fields": ("title_en", "title_fr", "title_es")}),
        (_("Summary"), {"fields": ("summary_en", "summary_fr", "summary_es")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("cycle", "status") if obj else ("status",)

    def call_service(self, request, existing, data, formsets):
        fields = [name for name in services.PROPOSAL_FIELDS if name in data]
        return services.proposal_save(
            actor=request.user,
            data={name: data[name] for name in fields},
            questions=_questions(formsets) if formsets is not None else None,
            proposal=existing,
        )


@admin.register(Consultation)
class ConsultationAdmin(ServiceAdmin):
    """Consultations are written through consultation_save; the outcome is recorded on the
    staff pages."""

    list_display = ("held_on", "title_en", "cycle", "place", "outcome")
    list_filter = ("cycle", "outcome")
    search_fields = ("title_en", "title_fr", "title_es", "place")
    list_select_related = ("cycle",)
    date_hierarchy = "held_on"
    fields = (
        "cycle",
        "held_on",
        "place",
        "title_en",
        "title_fr",
        "title_es",
        "proposals",
        "outcome",
        "agreed_proposal",
        "outcome_notes",
        "staff_page",
    )
    filter_horizontal = ("proposals",)

    def get_readonly_fields(self, request, obj=None):
        recorded = ("outcome", "agreed_proposal", "outcome_notes", "staff_page")
        return ("cycle", *recorded) if obj else recorded

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return _staff_page(
            reverse("staff:consultation_outcome", args=[obj.pk]), _("Record the outcome")
        )

    def call_service(self, request, existing, data, formsets):
        fields = ("cycle", "held_on", "place", "title_en", "title_fr", "title_es")
        return services.consultation_save(
            actor=request.user,
            data={name: data[name] for name in fields if name in data},
            proposals=list(data.get("proposals") or []),
            consultation=existing,
        )


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(ServiceAdmin):
    """Interest is recorded through interest_record and then kept as it was recorded."""

    list_display = ("proposal", "member", "consultation", "survey", "expressed_on")
    list_filter = ("proposal__cycle",)
    search_fields = ("proposal__title_en", "proposal__title_fr", "proposal__title_es")
    list_select_related = ("proposal", "member", "consultation", "survey")
    autocomplete_fields = ("member",)
    date_hierarchy = "expressed_on"
    fields = ("proposal", "member", "consultation", "survey", "expressed_on", "note")

    def has_change_permission(self, request, obj=None):
        return False

    def call_service(self, request, existing, data, formsets):
        return services.interest_record(
            actor=request.user,
            proposal=data["proposal"],
            expressed_on=data["expressed_on"],
            member=data.get("member"),
            consultation=data.get("consultation"),
            survey=data.get("survey"),
            note=data.get("note", ""),
        )


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Decisions are read-only here: they are recorded on the cycle's staff page and never
    changed, only superseded."""

    list_display = ("decided_on", "cycle", "subject", "basis", "is_current")
    list_filter = ("cycle", "subject", "basis")
    list_select_related = ("cycle", "superseded_by")
    date_hierarchy = "decided_on"
    fields = (
        "cycle",
        "subject",
        "basis",
        "consultation",
        "survey",
        "selected",
        "decided_on",
        "note",
        "supersedes",
        "recorded_by",
        "recorded_at",
        "staff_page",
    )
    readonly_fields = fields

    @admin.display(boolean=True, description=_("current"))
    def is_current(self, obj):
        return obj.is_current

    @admin.display(description=_("what was selected"))
    def selected(self, obj):
        return "; ".join(str(p) for p in obj.proposals.all())

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        return _staff_page(
            reverse("staff:cycle_detail", args=[obj.cycle_id]),
            _("Record a decision on the cycle's page"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
