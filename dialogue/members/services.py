"""Writes to the membership registry. Each function is one transaction with an audit entry."""

import datetime
import zoneinfo
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import SYSTEM, has_staff_rights, require_staff
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.core.services import save_audited
from dialogue.mail import selectors as mail_selectors
from dialogue.mail import services as mail
from dialogue.mail.models import Message
from dialogue.members import exports, rules
from dialogue.members.imports import (
    COLUMNS,
    ImportErrors,
    ImportIssue,
    ImportSummary,
    MemberFile,
    MemberRow,
    read_member_file,
)
from dialogue.members.models import (
    Member,
    MemberStatusChange,
    Organization,
    Person,
    Region,
    User,
)

MEMBER_FIELDS = (
    "kind",
    "code",
    "name_en",
    "name_fr",
    "name_es",
    "official_name_en",
    "official_name_fr",
    "official_name_es",
    "region",
    "joined",
    "mission_address",
    "mission_phone",
    "mission_email",
    "mission_website",
)
MEMBER_AUDITED = (*MEMBER_FIELDS, "status", "status_since")
ORGANIZATION_FIELDS = ("kind", "acronym", "name_en", "name_fr", "name_es", "country", "website")
PERSON_FIELDS = (
    "honorific",
    "given_name",
    "family_name",
    "email",
    "gender",
    "preferred_language",
    "role",
    "job_title",
    "delegation",
    "organization",
    "is_active",
)


def member_clean_data(data: dict[str, Any]) -> dict[str, Any]:
    """Normalized member data, or a DomainError naming the field at fault (writes nothing)."""
    unknown = set(data) - set(MEMBER_FIELDS) - {"status", "status_since"}
    if unknown:
        raise DomainError(
            _("Unknown field: %(field)s") % {"field": sorted(unknown)[0]},
            field=sorted(unknown)[0],
        )
    data = {
        key: (value.strip() if isinstance(value, str) else value) for key, value in data.items()
    }
    code = (data.get("code") or "").upper()
    data["code"] = code
    kind = data.get("kind")
    if kind not in Member.Kind.values:
        raise DomainError(
            _("'%(kind)s' is not a kind of member (use one of: %(choices)s).")
            % {"kind": kind or "", "choices": ", ".join(Member.Kind.values)},
            field="kind",
        )
    if kind in Member.STATE_KINDS:
        if not rules.is_iso_country(code):
            raise DomainError(
                _("ISO code '%(code)s' is not a country.") % {"code": code}, field="code"
            )
        iso = rules.country_names(code)
        for base in ("name", "official_name"):
            for language in ("en", "fr", "es"):
                key = f"{base}_{language}"
                if not data.get(key):
                    data[key] = iso[base][language]
    elif not rules.is_valid_organization_code(code):
        raise DomainError(
            _(
                "Code '%(code)s' is not valid for an organization "
                "(2 to 20 capital letters, digits or hyphens)."
            )
            % {"code": code},
            field="code",
        )
    if not data.get("name_en"):
        raise DomainError(_("The English name is required."), field="name_en")
    if not data.get("region"):
        data["region"] = (
            rules.country_region(code) if kind in Member.STATE_KINDS else Region.INTERNATIONAL
        )
    if data["region"] not in Region.values:
        raise DomainError(
            _("'%(region)s' is not a region (use one of: %(choices)s).")
            % {"region": data["region"], "choices": ", ".join(Region.values)},
            field="region",
        )
    return data


@transaction.atomic
def member_create(*, actor, data: dict[str, Any]) -> Member:
    """Register a new member; a State's code must be an ISO 3166-1 alpha-3 country code.

    Names left blank for a State are filled with its ISO names in each language.
    """
    require_staff(actor)
    data = member_clean_data(data)
    if Member.objects.filter(code=data["code"]).exists():
        raise DomainError(
            _("A member with code '%(code)s' already exists.") % {"code": data["code"]},
            field="code",
        )
    status = data.pop("status", None) or Member.Status.ACTIVE
    status_since = data.pop("status_since", None) or data.get("joined") or clock.today()
    member = Member(**data, status=status, status_since=status_since)
    save_audited(member, actor=actor, fields=MEMBER_AUDITED)
    MemberStatusChange.objects.create(
        member=member, status=status, effective=status_since, recorded_at=clock.now()
    )
    return member


@transaction.atomic
def member_update(*, actor, member: Member, data: dict[str, Any]) -> Member:
    """Change a member's details; a status change is also kept in its status history."""
    require_staff(actor)
    member = Member.objects.select_for_update().get(pk=member.pk)
    merged = {name: getattr(member, name) for name in MEMBER_FIELDS}
    merged.update(data)
    merged.pop("status", None)
    merged.pop("status_since", None)
    merged = member_clean_data(merged)
    if merged["code"] != member.code:
        raise DomainError(_("A member's code cannot be changed."), field="code")
    before = audit.snapshot(member, MEMBER_AUDITED)
    for name, value in merged.items():
        setattr(member, name, value)
    status = data.get("status")
    if status and status != member.status:
        _apply_status(member, status, data.get("status_since") or clock.today())
    elif data.get("status_since") and data["status_since"] != member.status_since:
        raise DomainError(
            _("The status date changes only with a new status; the history is not rewritten."),
            field="status_since",
        )
    return save_audited(member, actor=actor, fields=MEMBER_AUDITED, before=before)


def _apply_status(member: Member, status: str, effective: datetime.date, note: str = "") -> None:
    if status not in Member.Status.values:
        raise DomainError(
            _("'%(status)s' is not a member status (use one of: %(choices)s).")
            % {"status": status, "choices": ", ".join(Member.Status.values)},
            field="status",
        )
    if member.status_since and effective < member.status_since:
        raise DomainError(
            _("The new status cannot take effect before the current one (%(date)s).")
            % {"date": member.status_since.isoformat()},
            field="status_since",
        )
    member.status = status
    member.status_since = effective
    MemberStatusChange.objects.create(
        member=member, status=status, effective=effective, recorded_at=clock.now(), note=note
    )


@transaction.atomic
def member_change_status(
    *, actor, member: Member, status: str, effective: datetime.date | None = None, note: str = ""
) -> Member:
    """Suspend, reinstate or record the departure of a member, keeping the history."""
    require_staff(actor)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if status == member.status:
        raise DomainError(
            _("%(member)s is already %(status)s.")
            % {"member": member, "status": member.get_status_display().lower()},
            field="status",
        )
    before = audit.snapshot(member, MEMBER_AUDITED)
    _apply_status(member, status, effective or clock.today(), note)
    return save_audited(member, actor=actor, fields=MEMBER_AUDITED, before=before, note=note)


@transaction.atomic
def organization_save(
    *, actor, data: dict[str, Any], organization: Organization | None = None
) -> Organization:
    """Create or change a stakeholder organization."""
    require_staff(actor)
    country = (data.get("country") or "").strip().upper()
    if country and not rules.is_iso_country(country):
        raise DomainError(
            _("ISO code '%(code)s' is not a country.") % {"code": country}, field="country"
        )
    before = audit.snapshot(organization, ORGANIZATION_FIELDS) if organization else None
    organization = organization or Organization()
    for name in ORGANIZATION_FIELDS:
        if name in data:
            setattr(organization, name, data[name])
    if "country" in data:
        organization.country = country
    try:
        with transaction.atomic():
            return save_audited(
                organization, actor=actor, fields=ORGANIZATION_FIELDS, before=before
            )
    except IntegrityError as error:
        raise DomainError(
            _("An organization with this name already exists."), field="name_en"
        ) from error


def can_manage_delegation(actor, delegation: Member) -> bool:
    """Staff manage every delegation; an active focal point manages only its own."""
    if has_staff_rights(actor):
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    person = getattr(actor, "person", None)
    return bool(
        person is not None
        and person.is_active
        and person.role == Person.Role.FOCAL_POINT
        and person.delegation_id == delegation.pk
    )


def _require_manager(actor, delegation: Member | None) -> None:
    if delegation is None or not can_manage_delegation(actor, delegation):
        raise NotPermitted(_("You may only manage the delegates of your own delegation."))


def _check_email_free(email: str, person: Person | None = None) -> None:
    if not email:
        return
    persons = Person.objects.filter(email__iexact=email)
    users = User.objects.filter(email__iexact=email)
    if person is not None:
        persons = persons.exclude(pk=person.pk)
        if person.user_id:
            users = users.exclude(pk=person.user_id)
    if persons.exists() or users.exists():
        raise DomainError(
            _("The e-mail address %(email)s is already used by another person.") % {"email": email},
            field="email",
        )


@transaction.atomic
def person_save(*, actor, data: dict[str, Any], person: Person | None = None) -> Person:
    """Create or change a person; staff only. A person acts for at most one delegation."""
    require_staff(actor)
    before = audit.snapshot(person, PERSON_FIELDS) if person else None
    person = person or Person()
    for name in PERSON_FIELDS:
        if name in data:
            value = data[name]
            setattr(person, name, value.strip() if isinstance(value, str) else value)
    person_check(person)
    save_audited(person, actor=actor, fields=PERSON_FIELDS, before=before)
    _sync_account_state(actor, person)
    return person


def person_check(person: Person) -> None:
    """Raise a DomainError if `person` breaks a membership rule (writes nothing)."""
    person.email = (person.email or "").strip().lower()
    _check_email_free(person.email, person if person.pk else None)
    if person.role in Person.DELEGATION_ROLES and person.delegation_id is None:
        raise DomainError(
            _("A delegate or focal point must act for a delegation."), field="delegation"
        )
    if person.delegation_id and person.organization_id:
        raise DomainError(
            _("A person acts either for a delegation or for an organization, not both."),
            field="organization",
        )


def _sync_account_state(actor, person: Person) -> None:
    user = person.user
    if user is None:
        return
    active = person.is_active
    if user.is_active != active or (user.email != person.email and person.email):
        before = audit.snapshot(user, ("email", "is_active"))
        user.is_active = active
        if person.email:
            user.email = person.email
        save_audited(
            user,
            actor=actor,
            fields=("email", "is_active"),
            before=before,
            exclude_from_validation=("password",),
        )


@transaction.atomic
def delegate_add(
    *,
    actor,
    delegation: Member,
    given_name: str,
    family_name: str,
    email: str,
    honorific: str = "",
    gender: str = Person.Gender.UNDISCLOSED,
    preferred_language: str = "en",
    job_title: str = "",
    invite: bool = True,
) -> Person:
    """Add a delegate to a delegation, with an account and an e-mailed invitation to log in.

    Only staff or the delegation's own focal point may do this.
    """
    _require_manager(actor, delegation)
    email = (email or "").strip().lower()
    if not email:
        raise DomainError(
            _("An e-mail address is required to give a delegate an account."), field="email"
        )
    _check_email_free(email)
    person = Person(
        honorific=honorific.strip(),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        email=email,
        gender=gender,
        preferred_language=preferred_language,
        job_title=job_title.strip(),
        role=Person.Role.DELEGATE,
        delegation=delegation,
    )
    save_audited(person, actor=actor, fields=PERSON_FIELDS)
    account_create(actor=actor, person=person, invite=invite)
    return person


def _delegate_for_update(actor, person: Person) -> Person:
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("delegation", "user")
        .get(pk=person.pk)
    )
    _require_manager(actor, person.delegation)
    if not actor.is_staff and person.role != Person.Role.DELEGATE:
        raise NotPermitted(_("Only the secretariat can change a focal point."))
    return person


@transaction.atomic
def delegate_set_active(*, actor, person: Person, active: bool) -> Person:
    """Deactivate or reactivate a delegate and their account; the record stays."""
    person = _delegate_for_update(actor, person)
    if person.is_active == active:
        return person
    if actor.is_authenticated and getattr(actor, "person", None) == person and not active:
        raise DomainError(_("You cannot deactivate yourself."))
    before = audit.snapshot(person, PERSON_FIELDS)
    person.is_active = active
    save_audited(person, actor=actor, fields=PERSON_FIELDS, before=before)
    _sync_account_state(actor, person)
    return person


@transaction.atomic
def delegate_remove(*, actor, person: Person) -> Person:
    """Take a delegate off their delegation; the person and the history stay, the login ends."""
    person = _delegate_for_update(actor, person)
    if getattr(actor, "person", None) == person:
        raise DomainError(_("You cannot remove yourself from your delegation."))
    before = audit.snapshot(person, PERSON_FIELDS)
    person.delegation = None
    person.role = Person.Role.OTHER
    person.is_active = False
    save_audited(
        person, actor=actor, fields=PERSON_FIELDS, before=before, note="removed from delegation"
    )
    _sync_account_state(actor, person)
    return person


@transaction.atomic
def account_create(*, actor, person: Person, invite: bool = True) -> User:
    """Give a person a login (no password until they set one through the invitation)."""
    if person.delegation_id is not None:
        _require_manager(actor, person.delegation)
    else:
        require_staff(actor)
    if person.user_id:
        raise DomainError(_("%(person)s already has an account.") % {"person": person})
    if not person.email:
        raise DomainError(
            _("An e-mail address is required to give a person an account."), field="email"
        )
    _check_email_free("", person)
    if User.objects.filter(email__iexact=person.email).exists():
        raise DomainError(
            _("The e-mail address %(email)s is already used by another account.")
            % {"email": person.email},
            field="email",
        )
    user = User(
        email=person.email,
        first_name=person.given_name[:150],
        last_name=person.family_name[:150],
        is_active=person.is_active,
    )
    user.set_unusable_password()
    save_audited(
        user,
        actor=actor,
        fields=("email", "is_active", "is_staff"),
        exclude_from_validation=("password",),
    )
    before = audit.snapshot(person, ("user",))
    person.user = user
    save_audited(person, actor=actor, fields=("user",), before=before)
    if invite:
        from dialogue.members.tasks import send_account_invitation

        transaction.on_commit(lambda: send_account_invitation.enqueue(user.pk))
    return user


@transaction.atomic
def person_set_language(*, actor, person: Person, language: str) -> Person:
    """Remember the language a person reads the interface and e-mails in."""
    if language not in ("en", "fr", "es"):
        raise DomainError(_("Unsupported language."), field="language")
    if not (actor.is_staff or getattr(actor, "person", None) == person):
        raise NotPermitted(_("You may only change your own language."))
    before = audit.snapshot(person, ("preferred_language",))
    person.preferred_language = language
    return save_audited(person, actor=actor, fields=("preferred_language",), before=before)


@transaction.atomic
def person_set_time_zone(*, actor, person: Person, time_zone: str) -> Person:
    """Remember the IANA time zone in which a person reads deadlines."""
    if time_zone not in zoneinfo.available_timezones():
        raise DomainError(
            _("'%(zone)s' is not a time zone.") % {"zone": time_zone[:64]}, field="time_zone"
        )
    if not (has_staff_rights(actor) or getattr(actor, "person", None) == person):
        raise NotPermitted(_("You may only change your own time zone."))
    before = audit.snapshot(person, ("time_zone",))
    person.time_zone = time_zone
    return save_audited(person, actor=actor, fields=("time_zone",), before=before)


PASSWORD_RESET_INTERVAL = datetime.timedelta(minutes=2)


@transaction.atomic
def password_reset_mail(
    *, user: User, subject: str, body: str, link: str, language: str = ""
) -> bool:
    """Queue the e-mail with the link to choose a new password of `user`; the outbox sends
    it (retrying on failure) and keeps the link only until it is sent. Queues nothing, and
    returns False, when one was queued for the account within PASSWORD_RESET_INTERVAL, so
    that the form cannot be used to flood a mailbox. Audited on the account, by the
    platform (the person asking is not logged in)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if mail_selectors.queued_since(
        kind=Message.Kind.PASSWORD_RESET,
        about=user,
        since=clock.now() - PASSWORD_RESET_INTERVAL,
    ):
        return False
    mail.queue(
        to=[user.email],
        subject=subject,
        body=body,
        kind=Message.Kind.PASSWORD_RESET,
        about=user,
        language=language,
        personal_links=[link],
    )
    audit.record(
        actor=SYSTEM,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        note="password reset: a link was e-mailed on request",
    )
    return True


def account_password_changed(*, user: User, how: str) -> None:
    """Note in the audit trail that an account's password was set or changed (never the value)."""
    audit.record(
        actor=user,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        changes={"password": ["***", "***"]},
        note=how,
    )


def record_export(*, actor, what: str, count: int) -> None:
    """Note in the audit trail that someone exported data."""
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="members.member",
        object_repr=what,
        note=f"{count} rows",
    )


# The member file: import and export ----------------------------------------------------
# The file format lives in `imports` and `exports`; these services apply the rules above.


def members_import(
    *,
    actor,
    content: bytes,
    filename: str,
    dry_run: bool = False,
    system: bool = False,
) -> ImportSummary:
    """Create and update members from a member file (CSV or XLSX): every row or none.

    Guarantees:

    - Every row is checked before anything is written, with the rules of
      member_create and member_update; if any row fails, nothing is written (not
      even an audit entry) and ImportErrors lists every problem with its line
      and column.
    - A row for an unknown code creates the member (member_create); a row that
      differs from its member updates it (member_update: the change is audited
      and a new status enters the status history); a row equal to its member
      writes nothing, so importing the same file again changes nothing.
    - A column absent from the file leaves that field as it is. A blank cell
      clears the field, except that a State's blank names and region come from
      ISO 3166, and a blank status or status date keeps the current one.
    - A status date changes only with a new status, and never to before the
      current one: the status history is added to, never rewritten.
    - An import appends one IMPORT entry (file name and counts) to the audit
      trail, also when no member changed; a dry run (`dry_run=True`) checks the
      file, returns the counts it would produce and writes nothing.

    Only staff may import. The command line may run without a personal account:
    `actor=None, system=True` is that case, recorded in the audit trail as
    "system"; `system=True` is not accepted together with an account.
    """
    actor = _import_actor(actor, system)
    member_file = read_member_file(content, filename)
    if dry_run:
        writes, unchanged = _member_import_plan(member_file)
        created = sum(1 for _line, member, _data in writes if member is None)
        return ImportSummary(
            created=created, updated=len(writes) - created, unchanged=unchanged, dry_run=True
        )
    with transaction.atomic():
        writes, unchanged = _member_import_plan(member_file)
        created: list[str] = []
        updated: list[str] = []
        for line, member, data in writes:
            try:
                if member is None:
                    created.append(member_create(actor=actor, data=data).code)
                else:
                    updated.append(member_update(actor=actor, member=member, data=data).code)
            except DomainError as error:
                raise ImportErrors([ImportIssue(line, error.field or "", error.message)]) from error
        audit.record(
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            object_type="members.member",
            object_repr=filename,
            changes={
                "file": filename,
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
            },
            note=f"created {len(created)}, updated {len(updated)}, unchanged {unchanged}",
        )
    return ImportSummary(created=len(created), updated=len(updated), unchanged=unchanged)


def _import_actor(actor, system: bool):
    if system:
        if actor is not None:
            raise ValueError("A system import or export has no actor.")
        return SYSTEM
    require_staff(actor)
    return actor


def _member_import_plan(
    member_file: MemberFile,
) -> tuple[list[tuple[int, Member | None, dict[str, Any]]], int]:
    """The writes a member file asks for, and how many rows match their member already.

    Raises ImportErrors with every problem of every row; reads only.
    """
    issues = list(member_file.issues)
    codes = {row.data["code"] for row in member_file.rows if row.data.get("code")}
    existing = Member.objects.in_bulk(codes, field_name="code")
    today = clock.today()
    first_line: dict[str, int] = {}
    writes: list[tuple[int, Member | None, dict[str, Any]]] = []
    unchanged = 0
    for row in member_file.rows:
        if "code" in row.invalid:
            continue
        code = row.data.get("code") or ""
        if not code:
            issues.append(ImportIssue(row.line, "code", _("A code is required.")))
            continue
        if code in first_line:
            issues.append(
                ImportIssue(
                    row.line,
                    "code",
                    _("Code '%(code)s' is already used on line %(line)d of this file.")
                    % {"code": code, "line": first_line[code]},
                )
            )
            continue
        first_line[code] = row.line
        member = existing.get(code)
        try:
            data = _member_import_row(row, member, today)
        except ImportErrors as error:
            issues.extend(error.issues)
            continue
        if data is None:
            unchanged += 1
        else:
            writes.append((row.line, member, data))
    if issues:
        raise ImportErrors(sorted(issues, key=_issue_order))
    return writes, unchanged


def _issue_order(issue: ImportIssue) -> tuple[int, int]:
    """File problems first, then by line, and within a line in the order of the columns."""
    position = COLUMNS.index(issue.field) if issue.field in COLUMNS else -1
    return (issue.line or 0, position)


def _member_import_row(
    row: MemberRow, member: Member | None, today: datetime.date
) -> dict[str, Any] | None:
    """What to write for one row (None if it matches its member), or ImportErrors."""
    line = row.line
    issues: list[ImportIssue] = []
    data = {name: value for name, value in row.data.items() if name in MEMBER_FIELDS}
    status = row.data.get("status") or ""
    status_since = row.data.get("status_since")
    if status and status not in Member.Status.values:
        issues.append(
            ImportIssue(
                line,
                "status",
                _("'%(status)s' is not a member status (use one of: %(choices)s).")
                % {"status": status, "choices": ", ".join(Member.Status.values)},
            )
        )
        status = ""
    fields = {name: getattr(member, name) for name in MEMBER_FIELDS} if member else {}
    fields.update(data)
    try:
        cleaned = member_clean_data(fields)
    except DomainError as error:
        if error.field not in row.invalid:
            issues.append(ImportIssue(line, error.field or "", error.message))
        raise ImportErrors(issues) from error

    status_change: dict[str, Any] = {}
    if member is None:
        status_change = {"status": status or None, "status_since": status_since}
        candidate_status = status or Member.Status.ACTIVE
        candidate_since = status_since or cleaned.get("joined") or today
    else:
        candidate_status, candidate_since = member.status, member.status_since
        if status and status != member.status:
            candidate_status, candidate_since = status, status_since or today
            status_change = {"status": status, "status_since": candidate_since}
            if member.status_since and candidate_since < member.status_since:
                issues.append(
                    ImportIssue(
                        line,
                        "status_since",
                        _("The new status cannot take effect before the current one (%(date)s).")
                        % {"date": member.status_since.isoformat()},
                    )
                )
        elif status_since and status_since != member.status_since:
            issues.append(
                ImportIssue(
                    line,
                    "status_since",
                    _(
                        "The status date can only change together with the status "
                        "(currently %(status)s since %(date)s)."
                    )
                    % {
                        "status": member.status,
                        "date": member.status_since.isoformat() if member.status_since else "-",
                    },
                )
            )

    candidate = Member(
        pk=member.pk if member else None,
        status=candidate_status,
        status_since=candidate_since,
        **cleaned,
    )
    try:
        candidate.full_clean(
            exclude=sorted(row.invalid), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            issues.extend(
                ImportIssue(line, "" if name == NON_FIELD_ERRORS else name, message)
                for message in messages
            )
    if issues:
        raise ImportErrors(issues)

    if member is None:
        return {**cleaned, **{k: v for k, v in status_change.items() if v}}
    changes = {
        name: cleaned[name]
        for name in MEMBER_FIELDS
        if not _same_member_value(cleaned[name], getattr(member, name))
    }
    changes.update(status_change)
    return changes or None


def _same_member_value(new: Any, old: Any) -> bool:
    # XLSX stores line breaks as "\n" whatever they were, so "\r\n" is no change.
    if isinstance(new, str) and isinstance(old, str):
        return new.replace("\r\n", "\n") == old.replace("\r\n", "\n")
    return new == old


@transaction.atomic
def members_export(*, actor, file_format: str, system: bool = False) -> exports.ExportFile:
    """Every member, ordered by code, as a member file that imports back with no change.

    `file_format` is "csv" or "xlsx". Only staff may export, or the command line
    as "system" (see members_import); the export is noted in the audit trail.
    """
    actor = _import_actor(actor, system)
    if file_format not in exports.FORMATS:
        raise DomainError(
            _("'%(format)s' is not an export format (use one of: %(choices)s).")
            % {"format": file_format, "choices": ", ".join(exports.FORMATS)},
            field="format",
        )
    rows = exports.members_export_rows()
    content = exports.write_csv(rows) if file_format == "csv" else exports.write_xlsx(rows)
    filename = f"members-{clock.today().isoformat()}.{file_format}"
    record_export(actor=actor, what=filename, count=len(rows))
    return exports.ExportFile(
        filename=filename,
        content_type=exports.CONTENT_TYPES[file_format],
        content=content,
        rows=len(rows),
    )
