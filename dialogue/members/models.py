from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dialogue.core.i18n import localized


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")


class Region(models.TextChoices):
    AFRICA = "africa", _("Africa")
    AMERICAS = "americas", _("Americas")
    ASIA = "asia", _("Asia")
    EUROPE = "europe", _("Europe")
    OCEANIA = "oceania", _("Oceania")
    INTERNATIONAL = "international", _("International")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A login. Delegates and focal points have one linked to their Person; staff have is_staff."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="members_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email


class Member(models.Model):
    """A Member State, an observer State or an observer organization of the dialogue."""

    class Kind(models.TextChoices):
        MEMBER_STATE = "member_state", _("Member State")
        OBSERVER_STATE = "observer_state", _("Observer State")
        OBSERVER_ORGANIZATION = "observer_organization", _("Observer organization")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        LEFT = "left", _("Left")

    STATE_KINDS = (Kind.MEMBER_STATE, Kind.OBSERVER_STATE)

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("ISO 3166-1 alpha-3 code for a State; a short acronym for an organization."),
    )
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    official_name_en = models.CharField(_("official name (English)"), max_length=300, blank=True)
    official_name_fr = models.CharField(_("official name (French)"), max_length=300, blank=True)
    official_name_es = models.CharField(_("official name (Spanish)"), max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    joined = models.DateField(_("joined"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    mission_address = models.TextField(_("Permanent Mission address"), blank=True)
    mission_phone = models.CharField(_("Permanent Mission telephone"), max_length=60, blank=True)
    mission_email = models.EmailField(_("Permanent Mission e-mail"), blank=True)
    mission_website = models.URLField(_("Permanent Mission website"), blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z][A-Z0-9-]{1,19}$"),
                name="members_member_code_format",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["member_state", "observer_state"])
                | Q(code__regex=r"^[A-Z]{3}$"),
                name="members_member_state_code_is_alpha3",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["member_state", "observer_state", "observer_organization"]),
                name="members_member_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "left"]),
                name="members_member_status_valid",
            ),
            models.CheckConstraint(condition=~Q(name_en=""), name="members_member_name_en_set"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("site:member", kwargs={"code": self.code})

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def official_name(self) -> str:
        return localized(self, "official_name") or self.name

    @property
    def is_state(self) -> bool:
        return self.kind in self.STATE_KINDS

    @property
    def is_observer(self) -> bool:
        return self.kind != self.Kind.MEMBER_STATE


class MemberStatusChange(models.Model):
    """One change of a member's status, kept so its history can be read back."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("member")
    )
    status = models.CharField(_("status"), max_length=12, choices=Member.Status.choices)
    effective = models.DateField(_("effective from"))
    recorded_at = models.DateTimeField(_("recorded at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["member", "effective", "recorded_at"]

    def __str__(self):
        return f"{self.member}: {self.get_status_display()} ({self.effective})"


class Organization(models.Model):
    """A stakeholder that is not a member: regional institution, agency, academia, and so on."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        REGIONAL_INSTITUTION = "regional_institution", _("Regional institution")
        UN_AGENCY = "un_agency", _("United Nations agency")
        INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental organization")
        ACADEMIA = "academia", _("Academia and research")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        PRIVATE_SECTOR = "private_sector", _("Private sector")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    country = models.CharField(
        _("country"), max_length=3, blank=True, help_text=_("ISO 3166-1 alpha-3 code")
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("stakeholder organization")
        verbose_name_plural = _("stakeholder organizations")
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(fields=["name_en"], name="members_organization_name_unique"),
            models.CheckConstraint(
                condition=~Q(name_en=""), name="members_organization_name_en_set"
            ),
        ]

    def __str__(self):
        name = self.name
        return f"{name} ({self.acronym})" if self.acronym and self.acronym != name else name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Person(models.Model):
    """A delegate, focal point or expert, acting for at most one delegation at a time."""

    class Role(models.TextChoices):
        DELEGATE = "delegate", _("Delegate")
        FOCAL_POINT = "focal_point", _("Focal point")
        EXPERT = "expert", _("Expert")
        STAFF = "staff", _("Secretariat staff")
        OTHER = "other", _("Other")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    DELEGATION_ROLES = (Role.DELEGATE, Role.FOCAL_POINT)

    honorific = models.CharField(_("title"), max_length=40, blank=True)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    email = models.EmailField(_("e-mail address"), blank=True)
    gender = models.CharField(
        _("gender"), max_length=12, choices=Gender.choices, default=Gender.UNDISCLOSED
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    job_title = models.CharField(_("position"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Zurich",
        help_text=_("Times are shown in Geneva time and in this time zone."),
    )
    delegation = models.ForeignKey(
        Member,
        verbose_name=_("delegation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        help_text=_("The Member this person acts for."),
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("affiliation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        help_text=_("For persons who do not act for a delegation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["delegate", "focal_point"]) | Q(delegation__isnull=False),
                name="members_person_delegation_role_needs_delegation",
            ),
            models.CheckConstraint(
                condition=Q(delegation__isnull=True) | Q(organization__isnull=True),
                name="members_person_one_affiliation",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="members_person_email_ci_unique",
            ),
            models.CheckConstraint(
                condition=Q(preferred_language__in=["en", "fr", "es"]),
                name="members_person_language_valid",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.honorific, self.given_name, self.family_name) if p)

    @property
    def affiliation(self) -> str:
        if self.delegation_id:
            return str(self.delegation)
        if self.organization_id:
            return str(self.organization)
        return ""

    @property
    def is_focal_point(self) -> bool:
        return self.role == self.Role.FOCAL_POINT and self.delegation_id is not None
