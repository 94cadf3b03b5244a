"""Invitations to events and registrations for them: capacity, waiting list and approval.

Who may register:
- on an event open to the membership, any active delegate or focal point of an active
  member, and anyone reached by one of its invitations;
- on an event by invitation only, only persons reached by an invitation: their
  delegation's, their organization's, or their own.

Registration is open only while the event is in planning or confirmed, and only until it
starts by the server's clock (see `registration_closes_at`). Places are counted among the
registered and those awaiting approval; beyond the capacity a person goes to the waiting
list, never over it. Every change locks the event's row first, so simultaneous requests
are decided one after the other.
"""

import datetime
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import has_staff_rights, require_staff
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.core.services import save_audited
from dialogue.events.models import Event, Invitation, Registration
from dialogue.members.models import Member, Organization, Person
from dialogue.members.rules import country_region
from dialogue.members.services import can_manage_delegation

INVITATION_FIELDS = ("event", "member", "organization", "person", "invited_at", "sent_at")
REGISTRATION_FIELDS = (
    "event",
    "person",
    "status",
    "affiliation",
    "affiliation_kind",
    "region",
    "registered_at",
    "registered_by",
)
OPEN_STATUSES = (Event.Status.PLANNING, Event.Status.CONFIRMED)
PLACE_TAKEN = (Registration.Status.REGISTERED, Registration.Status.PENDING)
FOLLOW_UP_NOTE = "follow-up e-mail"
INDEPENDENT = "Independent"
AFFILIATION_KINDS = {
    Organization.Kind.GOVERNMENT: Registration.AffiliationKind.GOVERNMENT,
    Organization.Kind.REGIONAL_INSTITUTION: Registration.AffiliationKind.REGIONAL_INSTITUTION,
    Organization.Kind.UN_AGENCY: Registration.AffiliationKind.AGENCY,
    Organization.Kind.INTERGOVERNMENTAL: Registration.AffiliationKind.AGENCY,
    Organization.Kind.ACADEMIA: Registration.AffiliationKind.RESEARCH,
    Organization.Kind.CIVIL_SOCIETY: Registration.AffiliationKind.CIVIL_SOCIETY,
    Organization.Kind.PRIVATE_SECTOR: Registration.AffiliationKind.PRIVATE_SECTOR,
}
# The first month after each season (northern seasons; winter runs into the next year).
SEASON_ENDS = {"spring": (0, 6), "summer": (0, 9), "autumn": (0, 12), "winter": (1, 3)}


class _InvitationLink:
    """Whoever opens a person's invitation link, as the audit trail names them."""

    is_authenticated = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __str__(self) -> str:
        return "invitation link"


INVITATION_LINK = _InvitationLink()


# Rules of time and eligibility (reads only).


def _zone(event: Event) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(event.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def registration_closes_at(event: Event) -> datetime.datetime | None:
    """When registration closes: the instant the event starts, or must have started.

    An event known to the day closes at midnight of its first day in its own time zone.
    One known only to the month, season or year closes when that period is over (it has
    started by then, whatever its day). One whose date is to be determined has no closing
    time yet; it is open while it is in planning or confirmed.
    """
    zone = _zone(event)
    if event.precision == Event.Precision.DAY and event.start_date:
        return datetime.datetime.combine(event.start_date, datetime.time.min, zone)
    year = event.year
    if not year:
        return None
    if event.precision == Event.Precision.MONTH and event.month:
        year, month = (year + 1, 1) if event.month == 12 else (year, event.month + 1)
        return datetime.datetime(year, month, 1, tzinfo=zone)
    if event.precision == Event.Precision.SEASON and event.seasons:
        ends = [SEASON_ENDS[s] for s in event.seasons if s in SEASON_ENDS]
        if ends:
            extra, month = max(ends)
            return datetime.datetime(year + extra, month, 1, tzinfo=zone)
    if event.precision in (Event.Precision.YEAR, Event.Precision.SEASON):
        return datetime.datetime(year + 1, 1, 1, tzinfo=zone)
    return None


def registration_closed_reason(event: Event, now: datetime.datetime | None = None) -> str | None:
    """Why nobody can register for the event at `now`, or None while registration is open.

    Registration opens once the event is in planning or confirmed; it is closed while the
    event is only proposed, seeks funding or is postponed, and for good once the event is
    cancelled, held, or has started.
    """
    now = now or clock.now()
    if event.status == Event.Status.CANCELLED:
        return _("This event has been cancelled.")
    if event.status == Event.Status.HELD:
        return _("This event has already taken place.")
    if event.status == Event.Status.POSTPONED:
        return _("This event has been postponed; registration reopens once it is rescheduled.")
    if event.status not in OPEN_STATUSES:
        return _("Registration for this event is not open yet.")
    closes = registration_closes_at(event)
    if closes is not None and now >= closes:
        return _("Registration closed when the event started.")
    return None


def _acts_for_delegation(person: Person) -> bool:
    return bool(
        person.is_active
        and person.role in Person.DELEGATION_ROLES
        and person.delegation_id
        and person.delegation.status == Member.Status.ACTIVE
    )


def is_invited(event: Event, person: Person) -> bool:
    """True when an invitation reaches the person: their delegation's, organization's or own."""
    reach = Q(person_id=person.pk)
    if _acts_for_delegation(person):
        reach |= Q(member_id=person.delegation_id)
    if person.organization_id:
        reach |= Q(organization_id=person.organization_id)
    return Invitation.objects.filter(reach, event=event).exists()


def may_register(event: Event, person: Person) -> bool:
    """True when the person is one of those who may register for the event (see above)."""
    if not person.is_active:
        return False
    if is_invited(event, person):
        return True
    return not event.invitation_only and _acts_for_delegation(person)


def _may_act_for(actor, person: Person) -> bool:
    """Staff act for anyone, a person for themselves, a focal point for its own delegation."""
    if has_staff_rights(actor):
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    own = getattr(actor, "person", None)
    if own is not None and own.pk == person.pk and own.is_active:
        return True
    return person.delegation is not None and can_manage_delegation(actor, person.delegation)


# Reads for the pages.


def events_for_delegation(member: Member) -> QuerySet[Event]:
    """The events a delegation is invited to, may register for, or has registrations for.

    Each comes with the delegation's current registrations (`delegation_registrations`).
    """
    visible = (
        Q(invitations__member=member)
        | Q(registrations__person__delegation=member)
        | Q(
            invitation_only=False,
            status__in=[*OPEN_STATUSES, Event.Status.POSTPONED, Event.Status.HELD],
        )
    )
    ids = Event.objects.filter(visible).values("pk")
    return (
        Event.objects.filter(pk__in=ids)
        .select_related("cycle")
        .prefetch_related(
            Prefetch(
                "registrations",
                queryset=Registration.objects.filter(
                    person__delegation=member, status__in=Registration.ACTIVE
                ).select_related("person"),
                to_attr="delegation_registrations",
            )
        )
    )


def registration_of(event: Event, person: Person) -> Registration | None:
    """The person's current registration for the event (registered, waiting or pending)."""
    return Registration.objects.filter(
        event=event, person=person, status__in=Registration.ACTIVE
    ).first()


def registrations_of_delegation(event: Event, member: Member) -> QuerySet[Registration]:
    """The current registrations of a delegation's persons for the event."""
    return (
        Registration.objects.filter(
            event=event, person__delegation=member, status__in=Registration.ACTIVE
        )
        .select_related("person")
        .order_by("person__family_name", "person__given_name")
    )


def waiting_position(registration: Registration) -> int | None:
    """The place on the waiting list (1 is next to get a place), or None if not waiting."""
    if registration.status != Registration.Status.WAITING:
        return None
    ahead = Registration.objects.filter(
        Q(registered_at__lt=registration.registered_at)
        | Q(registered_at=registration.registered_at, pk__lt=registration.pk),
        event_id=registration.event_id,
        status=Registration.Status.WAITING,
    )
    return ahead.count() + 1


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token() -> str:
    """A new personal link token: 256 random bits from the operating system's secure
    source, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def invitation_for_token(token: str, event: Event | None = None) -> Invitation | None:
    """The personal invitation a link token opens, for `event` only if one is given.

    Only the token's SHA-256 hash is stored; a token of another event, an old token
    replaced by a newer e-mail, or one of a deactivated person opens nothing.
    """
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.filter(
            token_hash=_token_hash(token), person__isnull=False, person__is_active=True
        )
        .select_related("event", "person", "person__delegation", "person__organization")
        .first()
    )
    if invitation is None or (event is not None and invitation.event_id != event.pk):
        return None
    return invitation


# Invitations.


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _require_invitable(event: Event) -> None:
    if event.status in (Event.Status.CANCELLED, Event.Status.HELD):
        raise DomainError(
            _("Nobody can be invited to an event that is %(status)s.")
            % {"status": event.get_status_display().lower()},
            code="closed",
        )


def _unique(items: Iterable) -> list:
    seen, result = set(), []
    for item in items:
        if item.pk not in seen:
            seen.add(item.pk)
            result.append(item)
    return result


def _queue_sending(invitations: list[Invitation]) -> None:
    if not invitations:
        return
    from dialogue.events.registration_tasks import send_invitations

    ids = [invitation.pk for invitation in invitations]
    transaction.on_commit(lambda: send_invitations.enqueue(ids))


def _invite(actor, event: Event, field: str, targets: list, now) -> list[Invitation]:
    """Invitations of the targets not yet invited; re-inviting one already invited does nothing."""
    already = set(
        Invitation.objects.filter(event=event, **{f"{field}__in": targets}).values_list(
            f"{field}_id", flat=True
        )
    )
    created = []
    for target in targets:
        if target.pk in already:
            continue
        invitation = Invitation(event=event, invited_at=now, **{field: target})
        save_audited(invitation, actor=actor, fields=INVITATION_FIELDS)
        created.append(invitation)
    return created


@transaction.atomic
def invite_membership(
    *, actor, event: Event, now: datetime.datetime | None = None
) -> list[Invitation]:
    """Invite every active member (States and observers); their delegates hear by e-mail."""
    require_staff(actor)
    event = _lock(event)
    _require_invitable(event)
    members = list(Member.objects.filter(status=Member.Status.ACTIVE))
    created = _invite(actor, event, "member", members, now or clock.now())
    _queue_sending(created)
    return created


@transaction.atomic
def invite_members(
    *, actor, event: Event, members: Iterable[Member], now: datetime.datetime | None = None
) -> list[Invitation]:
    """Invite some members; each is invited once, and only an active member can be."""
    require_staff(actor)
    event = _lock(event)
    _require_invitable(event)
    members = _unique(members)
    for member in members:
        if member.status != Member.Status.ACTIVE:
            raise DomainError(
                _("%(member)s is not an active member and cannot be invited.")
                % {"member": member.name},
                field="members",
            )
    created = _invite(actor, event, "member", members, now or clock.now())
    _queue_sending(created)
    return created


def _check_person_invitable(person: Person) -> None:
    if not person.is_active:
        raise DomainError(
            _("%(name)s is not active and cannot be invited.") % {"name": person.full_name},
            field="persons",
        )
    if not person.email:
        raise DomainError(
            _("%(name)s has no e-mail address to send a personal invitation link to.")
            % {"name": person.full_name},
            field="persons",
        )


@transaction.atomic
def invite_persons(
    *, actor, event: Event, persons: Iterable[Person], now: datetime.datetime | None = None
) -> list[Invitation]:
    """Invite persons (experts, for example); each receives a personal link to register.

    A person is invited once; sending the invitation again gives a new link.
    """
    require_staff(actor)
    event = _lock(event)
    _require_invitable(event)
    persons = _unique(persons)
    for person in persons:
        _check_person_invitable(person)
    created = _invite(actor, event, "person", persons, now or clock.now())
    _queue_sending(created)
    return created


@transaction.atomic
def invite_organizations(
    *,
    actor,
    event: Event,
    organizations: Iterable[Organization],
    now: datetime.datetime | None = None,
) -> list[Invitation]:
    """Invite stakeholder organizations; returns the organizations' new invitations.

    Their persons have no delegation to register through, so each active person of an
    invited organization who has an e-mail address is also invited in person and
    receives a personal link. Persons added to the organization later may register
    when staff register them or invite them in person.
    """
    require_staff(actor)
    event = _lock(event)
    _require_invitable(event)
    now = now or clock.now()
    organizations = _unique(organizations)
    created = _invite(actor, event, "organization", organizations, now)
    persons = Person.objects.filter(organization__in=organizations, is_active=True).exclude(
        email=""
    )
    personal = _invite(actor, event, "person", list(persons), now)
    _queue_sending(created + personal)
    return created


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """Send an invitation's e-mail again; a personal link is replaced by a new one."""
    require_staff(actor)
    event = _lock(invitation.event)
    _require_invitable(event)
    if invitation.person_id:
        _check_person_invitable(invitation.person)
    _queue_sending([invitation])
    return invitation


@transaction.atomic
def invitation_mark_sent(
    *, actor, invitation: Invitation, now: datetime.datetime | None = None
) -> str:
    """Record that an invitation is being e-mailed; a personal one gets a new link token.

    Returns the token (only here is it ever in clear; only its hash is stored), or "" for
    an invitation of a member or an organization. Any earlier token stops working.
    """
    require_staff(actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    before = audit.snapshot(invitation, INVITATION_FIELDS)
    token = ""
    note = ""
    if invitation.person_id:
        token = new_link_token()
        invitation.token_hash = _token_hash(token)
        note = "new personal link"
    invitation.sent_at = now or clock.now()
    save_audited(invitation, actor=actor, fields=INVITATION_FIELDS, before=before, note=note)
    return token


# Registrations.


def _affiliation(person: Person) -> tuple[str, str, str]:
    """The person's current affiliation as recorded with a registration: name, kind, region."""
    if person.delegation_id:
        member = person.delegation
        kind = (
            Registration.AffiliationKind.GOVERNMENT
            if member.kind in Member.STATE_KINDS
            else Registration.AffiliationKind.OTHER
        )
        return member.name_en, kind, member.region
    if person.organization_id:
        organization = person.organization
        kind = AFFILIATION_KINDS.get(organization.kind, Registration.AffiliationKind.OTHER)
        worldwide = organization.kind in (
            Organization.Kind.UN_AGENCY,
            Organization.Kind.INTERGOVERNMENTAL,
        )
        region = (
            country_region(organization.country.upper())
            if organization.country and not worldwide
            else ""
        )
        return str(organization.name_en), kind, region or "international"
    return INDEPENDENT, Registration.AffiliationKind.OTHER, ""


def _places_taken(event: Event) -> int:
    return Registration.objects.filter(event=event, status__in=PLACE_TAKEN).count()


def places_left(event: Event) -> int | None:
    """How many places are still free (registered and pending registrations hold one);
    None for an event without a capacity."""
    if event.capacity is None:
        return None
    return max(event.capacity - _places_taken(event), 0)


def _place_status(event: Event) -> str:
    return (
        Registration.Status.PENDING if event.requires_approval else Registration.Status.REGISTERED
    )


def _notify(registration: Registration, reason: str) -> None:
    from dialogue.events.registration_tasks import notify_registration

    registration_id = registration.pk
    transaction.on_commit(lambda: notify_registration.enqueue(registration_id, reason))


def _set_status(actor, registration: Registration, status: str, now, note: str = ""):
    before = audit.snapshot(registration, REGISTRATION_FIELDS)
    registration.status = status
    registration.changed_at = now
    return save_audited(
        registration, actor=actor, fields=REGISTRATION_FIELDS, before=before, note=note
    )


def _fill_places(actor, event: Event, now) -> list[Registration]:
    """Give the free places to the first on the waiting list, who are told by e-mail.

    Nothing moves once the event is cancelled, held or has started.
    """
    if event.status in (Event.Status.CANCELLED, Event.Status.HELD):
        return []
    closes = registration_closes_at(event)
    if closes is not None and now >= closes:
        return []
    waiting = Registration.objects.filter(event=event, status=Registration.Status.WAITING)
    if event.capacity is not None:
        free = event.capacity - _places_taken(event)
        if free <= 0:
            return []
        waiting = waiting.order_by("registered_at", "pk")[:free]
    promoted = []
    for registration in waiting.select_related("person"):
        _set_status(
            actor, registration, _place_status(event), now, note="promoted from the waiting list"
        )
        _notify(registration, "promoted")
        promoted.append(registration)
    return promoted


def _registration_status(event: Event) -> str:
    """A place if one is free and nobody is waiting for it, else the waiting list."""
    if event.capacity is not None:
        waiting = Registration.objects.filter(event=event, status=Registration.Status.WAITING)
        if _places_taken(event) >= event.capacity or waiting.exists():
            return Registration.Status.WAITING
    return _place_status(event)


def _register(actor, event: Event, person: Person, now) -> Registration:
    """Register a person for an event whose row the caller has locked."""
    refusal = registration_closed_reason(event, now)
    if refusal:
        raise DomainError(refusal, code="closed")
    if not may_register(event, person):
        if event.invitation_only:
            raise NotPermitted(
                _("%(name)s is not invited to this event, which is by invitation only.")
                % {"name": person.full_name},
                code="not_invited",
            )
        raise NotPermitted(
            _("Only the delegates of active members and invited persons can register.")
            if person.is_active
            else _("%(name)s is not active.") % {"name": person.full_name},
            code="not_eligible",
        )
    current = registration_of(event, person)
    if current is not None:
        raise DomainError(
            _("%(name)s is already registered for this event (%(status)s).")
            % {"name": person.full_name, "status": current.get_status_display().lower()},
            code="already_registered",
        )
    rejected = Registration.objects.filter(
        event=event, person=person, status=Registration.Status.REJECTED
    ).exists()
    if rejected and not has_staff_rights(actor):
        raise DomainError(
            _("The registration of %(name)s for this event was not approved.")
            % {"name": person.full_name},
            code="rejected",
        )
    _fill_places(actor, event, now)
    name, kind, region = _affiliation(person)
    registration = Registration(
        event=event,
        person=person,
        status=_registration_status(event),
        affiliation=name,
        affiliation_kind=kind,
        region=region,
        registered_at=now,
        changed_at=now,
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    save_audited(registration, actor=actor, fields=REGISTRATION_FIELDS)
    _notify(registration, "registered")
    return registration


@transaction.atomic
def registration_create(
    *, actor, event: Event, person: Person, now: datetime.datetime | None = None
) -> Registration:
    """Register a person: a place if one is free, else the waiting list; never over capacity.

    A place awaits the secretariat's approval where the event requires it. Only the person,
    their delegation's focal point or staff may register them; the person's current
    affiliation is recorded with the registration.
    """
    if not _may_act_for(actor, person):
        raise NotPermitted(
            _(
                "You can register only yourself or, as a focal point, the persons of your "
                "own delegation."
            )
        )
    return _register(actor, _lock(event), person, now or clock.now())


@transaction.atomic
def registrations_for_delegation(
    *,
    actor,
    event: Event,
    delegation: Member,
    persons: Iterable[Person],
    now: datetime.datetime | None = None,
) -> list[Registration]:
    """A focal point registers several persons of its delegation at once: all or none.

    Each is registered as by `registration_create`, in the order given, so those beyond
    the capacity go to the waiting list; any refusal registers nobody.
    """
    if not can_manage_delegation(actor, delegation):
        raise NotPermitted(_("Only the focal point of a delegation can register its persons."))
    persons = _unique(persons)
    if not persons:
        raise DomainError(_("Choose at least one person to register."), field="persons")
    for person in persons:
        if person.delegation_id != delegation.pk:
            raise NotPermitted(
                _("%(name)s is not a person of the delegation of %(delegation)s.")
                % {"name": person.full_name, "delegation": delegation.name}
            )
    event = _lock(event)
    now = now or clock.now()
    return [_register(actor, event, person, now) for person in persons]


def _cancel(actor, event: Event, registration: Registration, now, note: str = ""):
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status not in Registration.ACTIVE:
        raise DomainError(
            _("This registration is no longer current (%(status)s).")
            % {"status": registration.get_status_display().lower()},
            code="not_current",
        )
    started = registration_closes_at(event)
    has_started = event.status == Event.Status.HELD or (started is not None and now >= started)
    if has_started and not has_staff_rights(actor):
        raise DomainError(
            _("A registration can no longer be cancelled once the event has started."),
            code="closed",
        )
    held_place = registration.status in PLACE_TAKEN
    _set_status(actor, registration, Registration.Status.CANCELLED, now, note=note)
    if held_place:
        _fill_places(actor, event, now)
    return registration


@transaction.atomic
def registration_cancel(
    *, actor, registration: Registration, now: datetime.datetime | None = None
) -> Registration:
    """Cancel a registration (by the participant, their focal point or staff).

    A place it held goes to the first on the waiting list, who is told by e-mail.
    """
    if not _may_act_for(actor, registration.person):
        raise NotPermitted(
            _(
                "You can cancel only your own registration or, as a focal point, those of "
                "your delegation."
            )
        )
    event = _lock(registration.event)
    return _cancel(actor, event, registration, now or clock.now())


def _invitation_or_refuse(event: Event, token: str) -> Invitation:
    invitation = invitation_for_token(token, event)
    if invitation is None:
        raise NotPermitted(_("This invitation link is not valid for this event."), code="not_found")
    return invitation


@transaction.atomic
def registration_create_by_link(
    *, actor, event: Event, token: str, now: datetime.datetime | None = None
) -> Registration:
    """Register the person a personal invitation link was sent to; no login is needed.

    The link is valid for its own event only.
    """
    event = _lock(event)
    invitation = _invitation_or_refuse(event, token)
    actor = actor if getattr(actor, "is_authenticated", False) else INVITATION_LINK
    return _register(actor, event, invitation.person, now or clock.now())


@transaction.atomic
def registration_cancel_by_link(
    *, actor, event: Event, token: str, now: datetime.datetime | None = None
) -> Registration:
    """Cancel the registration of the person a personal invitation link was sent to."""
    event = _lock(event)
    invitation = _invitation_or_refuse(event, token)
    registration = registration_of(event, invitation.person)
    if registration is None:
        raise DomainError(_("You are not registered for this event."), code="not_current")
    actor = actor if getattr(actor, "is_authenticated", False) else INVITATION_LINK
    return _cancel(
        actor, event, registration, now or clock.now(), note="through the invitation link"
    )


@transaction.atomic
def registration_approve(
    *, actor, registration: Registration, now: datetime.datetime | None = None
) -> Registration:
    """Approve a registration awaiting approval; the participant is told by e-mail."""
    require_staff(actor)
    _lock(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.PENDING:
        raise DomainError(
            _("Only a registration awaiting approval can be approved."), code="not_pending"
        )
    _set_status(actor, registration, Registration.Status.REGISTERED, now or clock.now())
    _notify(registration, "approved")
    return registration


@transaction.atomic
def registration_reject(
    *, actor, registration: Registration, now: datetime.datetime | None = None
) -> Registration:
    """Turn down a registration awaiting approval or waiting; its place goes to the next."""
    require_staff(actor)
    event = _lock(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status not in (Registration.Status.PENDING, Registration.Status.WAITING):
        raise DomainError(
            _("Only a registration awaiting approval or on the waiting list can be turned down."),
            code="not_pending",
        )
    now = now or clock.now()
    held_place = registration.status == Registration.Status.PENDING
    _set_status(actor, registration, Registration.Status.REJECTED, now)
    _notify(registration, "rejected")
    if held_place:
        _fill_places(actor, event, now)
    return registration


@transaction.atomic
def waiting_list_promote(
    *, actor, event: Event, now: datetime.datetime | None = None
) -> list[Registration]:
    """Give the places freed by a larger capacity to the first on the waiting list."""
    require_staff(actor)
    return _fill_places(actor, _lock(event), now or clock.now())


# After the event.


@transaction.atomic
def follow_up_send(*, actor, event: Event, now: datetime.datetime | None = None) -> int:
    """E-mail the participants of a held event the links to its page, materials and report.

    Each registered participant with an e-mail address receives it once, whatever how
    often this runs, so it can be run again to reach those added later; the audit trail
    records who was sent it. Returns how many e-mails are queued.
    """
    require_staff(actor)
    event = _lock(event)
    if event.status != Event.Status.HELD:
        raise DomainError(
            _("The follow-up goes out once the event has been held."), code="not_held"
        )
    registrations = list(
        Registration.objects.filter(event=event, status=Registration.Status.REGISTERED)
        .exclude(person__email="")
        .select_related("person")
        .order_by("pk")
    )
    done = set(
        AuditEntry.objects.filter(
            object_type=Registration._meta.label_lower,
            object_id__in=[str(r.pk) for r in registrations],
            note=FOLLOW_UP_NOTE,
        ).values_list("object_id", flat=True)
    )
    now = now or clock.now()
    persons, due = set(), []
    for registration in registrations:
        if str(registration.pk) in done or registration.person_id in persons:
            continue
        persons.add(registration.person_id)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=registration,
            changes={"follow_up_sent_at": [None, now.isoformat()]},
            note=FOLLOW_UP_NOTE,
        )
        due.append(registration.pk)
    if due:
        from dialogue.events.registration_tasks import send_follow_up

        transaction.on_commit(lambda: send_follow_up.enqueue(due))
    return len(due)
