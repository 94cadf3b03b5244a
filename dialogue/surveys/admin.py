from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dialogue.core.admin import AuditedAdminMixin
from dialogue.core.errors import DomainError
from dialogue.cycles.admin import ServiceAdmin
from dialogue.surveys import services
from dialogue.surveys.models import (
    Answer,
    MessageTemplate,
    Option,
    Question,
    Reminder,
    Response,
    ResponseVersion,
    Survey,
)

SURVEY_EDITABLE = (
    "title_en",
    "title_fr",
    "title_es",
    "introduction_en",
    "introduction_fr",
    "introduction_es",
    "audience",
    "observers_counted",
    "reminder_days",
)
SURVEY_TIMES = ("status", "opens_at", "closes_at", "closed_at", "results_published_at")


class ReadOnlyAdminMixin:
    """Records kept as they were written: they are shown, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class QuestionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Question
    extra = 0
    fields = ("position", "text_en", "kind", "max_choices", "method", "required", "options")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("options"))
    def options(self, obj):
        return "; ".join(option.label for option in obj.options.all())


class OptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Option
    extra = 0
    fields = ("position", "label_en", "label_fr", "label_es", "proposal")
    readonly_fields = fields


class MessageTemplateInline(admin.TabularInline):
    """Shown on the survey page for reference; edited on the e-mail texts' own pages."""

    model = MessageTemplate
    extra = 0
    fields = ("kind", "language", "subject")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ServiceAdmin):
    """Surveys are written through survey_create and survey_update; publishing and closing
    go through their services too. Questions are added while the survey is a draft."""

    list_display = ("title_en", "cycle", "status", "audience", "opens_at", "closes_at")
    list_filter = ("cycle", "status", "audience")
    search_fields = ("title_en", "title_fr", "title_es")
    list_select_related = ("cycle",)
    inlines = [QuestionInline, MessageTemplateInline]
    actions = ["publish", "close", "publish_results"]
    fieldsets = (
        (None, {"fields": ("cycle", "consultation", "audience", "observers_counted")}),
        (_("Titles"), {"fields": ("title_en", "title_fr", "title_es")}),
        (_("Introduction"), {"fields": ("introduction_en", "introduction_fr", "introduction_es")}),
        (_("Timing"), {"fields": (*SURVEY_TIMES, "reminder_days")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("cycle", "consultation", *SURVEY_TIMES) if obj else SURVEY_TIMES

    def call_service(self, request, existing, data, formsets):
        fields = {name: data[name] for name in SURVEY_EDITABLE if name in data}
        if existing is None:
            return services.survey_create(
                actor=request.user,
                cycle=data["cycle"],
                consultation=data.get("consultation"),
                data=fields,
            )
        return services.survey_update(actor=request.user, survey=existing, data=fields)

    def _each(self, request, queryset, service, done):
        count = 0
        for survey in queryset:
            try:
                service(actor=request.user, survey=survey)
            except DomainError as error:
                self.message_user(request, f"{survey}: {error.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Publish: open now, close in two weeks"))
    def publish(self, request, queryset):
        self._each(request, queryset, services.survey_publish, _("%(n)d surveys published."))

    @admin.action(description=_("Close now"))
    def close(self, request, queryset):
        self._each(request, queryset, services.survey_close, _("%(n)d surveys closed."))

    @admin.action(description=_("Publish the results"))
    def publish_results(self, request, queryset):
        self._each(
            request,
            queryset,
            services.survey_publish_results,
            _("The results of %(n)d surveys were published."),
        )


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A survey's question with its options, as they were set while the survey was a draft."""

    list_display = ("text_en", "survey", "position", "kind", "method")
    list_filter = ("survey__cycle", "kind", "method")
    list_select_related = ("survey",)
    fields = (
        "survey",
        "position",
        "text_en",
        "text_fr",
        "text_es",
        "kind",
        "max_choices",
        "method",
        "required",
        "option_comments",
        "tiebreak",
        "tie_resolution",
    )
    readonly_fields = fields
    inlines = [OptionInline]


class AnswerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("question", "option", "rank", "comment")
    readonly_fields = fields


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A delegation's current response; delegations answer in the portal."""

    list_display = ("survey", "member", "version", "submitted_at", "channel", "receipt")
    list_filter = ("survey", "channel", "member__kind")
    search_fields = ("member__name_en", "member__code", "receipt")
    list_select_related = ("survey", "member")
    fields = (
        "survey",
        "member",
        "version",
        "submitted_at",
        "submitted_by",
        "channel",
        "letter",
        "comment",
        "receipt",
        "fingerprint",
    )
    readonly_fields = fields
    inlines = [AnswerInline]


@admin.register(ResponseVersion)
class ResponseVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every submission as it was made, superseded ones included."""

    list_display = ("survey", "member", "version", "submitted_at", "channel", "receipt")
    list_filter = ("survey", "channel")
    search_fields = ("member__name_en", "member__code", "receipt", "fingerprint")
    list_select_related = ("survey", "member")
    fields = (
        "survey",
        "member",
        "version",
        "submitted_at",
        "submitted_by",
        "channel",
        "content",
        "receipt",
        "fingerprint",
    )
    readonly_fields = fields


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A survey's own invitation or reminder text in one language; without one, the
    built-in text is sent. Every save is audited."""

    list_display = ("survey", "kind", "language", "subject")
    list_filter = ("kind", "language", "survey")
    list_select_related = ("survey",)
    fields = ("survey", "kind", "language", "subject", "body")


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invitations and reminders sent, one row per delegation and occasion."""

    list_display = ("sent_at", "survey", "member", "kind", "days_before", "recipients")
    list_filter = ("kind", "survey")
    list_select_related = ("survey", "member")
    date_hierarchy = "sent_at"
    fields = ("survey", "member", "kind", "days_before", "sent_at", "recipients")
    readonly_fields = fields
