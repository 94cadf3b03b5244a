from axes.models import AccessAttempt, AccessFailureLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialogue.core.admin import AuditedAdminMixin
from dialogue.core.errors import DomainError
from dialogue.members import login_throttle, services
from dialogue.members.models import Member, MemberStatusChange, Organization, Person, User


class MemberStatusChangeInline(admin.TabularInline):
    model = MemberStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("status", "effective", "recorded_at", "note")

    def has_add_permission(self, request, obj=None):
        return False


def _https_url_fields(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MemberAdminForm(forms.ModelForm):
    class Meta:
        model = Member
        formfield_callback = _https_url_fields
        fields = (*services.MEMBER_FIELDS, "status", "status_since")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("region", "name_en"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Filled from the ISO 3166 list for a State.")

    def clean(self):
        cleaned = super().clean()
        data = {k: v for k, v in cleaned.items() if k in services.MEMBER_FIELDS}
        if self.instance.pk:
            data["code"] = self.instance.code
        try:
            normalized = services.member_clean_data(data)
        except DomainError as error:
            raise forms.ValidationError(
                {error.field: error.message} if error.field in self.fields else error.message
            ) from error
        if self.instance.pk:
            normalized.pop("code")
        cleaned.update(normalized)
        return cleaned


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Members are written through the membership services, so every change is audited."""

    form = MemberAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name_en", "code", "kind", "region", "status", "joined")
    list_filter = ("kind", "region", "status")
    search_fields = ("name_en", "name_fr", "name_es", "code")
    inlines = [MemberStatusChangeInline]
    fieldsets = (
        (None, {"fields": ("kind", "code", "region", "joined", "status", "status_since")}),
        (
            _("Names"),
            {
                "fields": (
                    ("name_en", "official_name_en"),
                    ("name_fr", "official_name_fr"),
                    ("name_es", "official_name_es"),
                )
            },
        ),
        (
            _("Permanent Mission in Geneva"),
            {"fields": ("mission_address", "mission_phone", "mission_email", "mission_website")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()

    def save_model(self, request, obj, form, change):
        data = {
            k: form.cleaned_data.get(k) for k in services.MEMBER_FIELDS if k in form.cleaned_data
        }
        data["status"] = form.cleaned_data.get("status")
        data["status_since"] = form.cleaned_data.get("status_since")
        if change:
            data["code"] = obj.code
            saved = services.member_update(actor=request.user, member=obj, data=data)
        else:
            saved = services.member_create(actor=request.user, data=data)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organizations are written through organization_save, so every change is audited."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name_en", "acronym", "kind", "country")
    list_filter = ("kind",)
    search_fields = ("name_en", "name_fr", "name_es", "acronym")

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.ORGANIZATION_FIELDS
            if name in form.cleaned_data
        }
        existing = Organization.objects.get(pk=obj.pk) if change else None
        try:
            saved = services.organization_save(actor=request.user, data=data, organization=existing)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


class PersonAdminForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = services.PERSON_FIELDS

    def clean(self):
        cleaned = super().clean()
        probe = Person(pk=self.instance.pk, user_id=self.instance.user_id)
        for name in services.PERSON_FIELDS:
            if name in cleaned:
                setattr(probe, name, cleaned[name])
        try:
            services.person_check(probe)
        except DomainError as error:
            raise forms.ValidationError(
                {error.field: error.message} if error.field in self.fields else error.message
            ) from error
        return cleaned


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Persons are written through the membership services, so every change is audited."""

    form = PersonAdminForm
    list_display = (
        "family_name",
        "given_name",
        "role",
        "delegation",
        "organization",
        "email",
        "is_active",
        "has_account",
    )
    list_filter = ("role", "is_active", "gender", "preferred_language", "delegation__kind")
    search_fields = (
        "family_name",
        "given_name",
        "email",
        "delegation__name_en",
        "organization__name_en",
    )
    autocomplete_fields = ("delegation", "organization")
    list_select_related = ("delegation", "organization", "user")
    actions = ["give_accounts"]

    @admin.display(boolean=True, description=_("account"))
    def has_account(self, obj):
        return obj.user_id is not None

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in services.PERSON_FIELDS if k in form.cleaned_data}
        existing = Person.objects.get(pk=obj.pk) if change else None
        saved = services.person_save(actor=request.user, data=data, person=existing)
        obj.pk = saved.pk

    @admin.action(description=_("Give an account and send the invitation e-mail"))
    def give_accounts(self, request, queryset):
        given = 0
        for person in queryset.filter(user__isnull=True):
            try:
                services.account_create(actor=request.user, person=person)
                given += 1
            except DomainError as error:
                self.message_user(request, f"{person}: {error.message}", messages.ERROR)
        self.message_user(request, _("%(n)d accounts opened.") % {"n": given}, messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    audited_fields = ("email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


for axes_model in (AccessAttempt, AccessFailureLog):
    if admin.site.is_registered(axes_model):
        admin.site.unregister(axes_model)


@admin.register(AccessFailureLog)
class FailedLoginAdmin(admin.ModelAdmin):
    """Failed log-ins as the throttle counts them; "locked out" marks the failure that started
    a lockout. The action lifts the lockout of the selected rows' accounts and addresses."""

    list_display = ("attempt_time", "username", "ip_address", "path_info", "locked_out", "until")
    list_filter = ("locked_out", "attempt_time")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    readonly_fields = ("attempt_time", "username", "ip_address", "user_agent", "path_info")
    fields = readonly_fields
    actions = ("lift_lockouts",)

    @admin.display(description=_("log-ins refused until"))
    def until(self, obj):
        lockout = login_throttle.lockout_for(username=obj.username, ip_address=obj.ip_address)
        return lockout.until if lockout else "-"

    @admin.action(description=_("Lift the lockout of these accounts and addresses"))
    def lift_lockouts(self, request, queryset):
        forgotten = 0
        for username, ip_address in set(queryset.values_list("username", "ip_address")):
            forgotten += login_throttle.lockout_lift(
                actor=request.user, username=username or "", ip_address=ip_address or ""
            )
        self.message_user(
            request,
            _("Lockouts lifted; %(n)d failed log-ins forgotten.") % {"n": forgotten},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
