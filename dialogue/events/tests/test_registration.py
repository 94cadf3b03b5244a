import datetime
import hashlib
import re
import zoneinfo

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from icalendar import Calendar

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.events import registration as services
from dialogue.events.models import Event, Invitation, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Member, Organization, Person
from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    ObserverOrganizationFactory,
    OrganizationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")
LINK = re.compile(r"https?://\S+/portal/invitation/([A-Za-z0-9_-]+)/")


def _foreign_member() -> Member:
    """A Member State that is never the one of the `member_state` fixture."""
    return MemberFactory(code="ARG", name_en="Argentina", region="americas")


def _event(**fields) -> Event:
    """A confirmed two-day event two months ahead, in Geneva, open to the membership."""
    start = clock.today() + 60 * DAY
    defaults = {
        "status": Event.Status.CONFIRMED,
        "precision": Event.Precision.DAY,
        "year": start.year,
        "start_date": start,
        "end_date": start + DAY,
        "city": "Geneva",
        "title_en": "Expert seminar on labour mobility",
        "title_fr": "Séminaire d'experts sur la mobilité de la main-d'œuvre",
        "title_es": "Seminario de expertos sobre movilidad laboral",
    }
    return EventFactory(**{**defaults, **fields})


def _undated(**fields) -> Event:
    return _event(
        precision=Event.Precision.TBD, year=None, start_date=None, end_date=None, **fields
    )


def _start(event: Event) -> datetime.datetime:
    return datetime.datetime.combine(
        event.start_date, datetime.time.min, zoneinfo.ZoneInfo(event.time_zone)
    )


def _register(person, event, **kwargs):
    return services.registration_create(actor=SYSTEM, event=event, person=person, **kwargs)


def _statuses(event) -> list[str]:
    return list(
        Registration.objects.filter(event=event).order_by("pk").values_list("status", flat=True)
    )


def _calendar(message) -> Calendar:
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    assert attachment[2] == "text/calendar"
    return Calendar.from_ical(attachment[1])


def _token_in(message) -> str:
    return LINK.search(message.body).group(1)


# Invitations


def test_inviting_the_membership_invites_each_active_member_once(staff_user):
    event = _event()
    active = [MemberFactory(code=code) for code in ("CHE", "SEN", "MEX")]
    observer = ObserverOrganizationFactory()
    MemberFactory(code="THA", status=Member.Status.SUSPENDED)
    MemberFactory(code="FJI", status=Member.Status.LEFT)

    created = services.invite_membership(actor=staff_user, event=event)

    assert {i.member for i in created} == {*active, observer}
    assert services.invite_membership(actor=staff_user, event=event) == []
    assert Invitation.objects.filter(event=event).count() == 4
    assert AuditEntry.objects.filter(object_type="events.invitation", action="create").count() == 4


def test_invitations_go_to_each_delegate_in_their_language_with_the_calendar(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event(start_time=datetime.time(9, 30), end_time=datetime.time(17, 0))
    member = MemberFactory(code="SEN")
    french = PersonFactory(delegation=member, preferred_language="fr")
    spanish = FocalPointFactory(delegation=member, preferred_language="es")
    PersonFactory(delegation=member, is_active=False)
    PersonFactory(delegation=member, email="")

    with django_capture_on_commit_callbacks(execute=True):
        services.invite_members(actor=staff_user, event=event, members=[member])

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {french.email, spanish.email}
    to_french, to_spanish = by_address[french.email], by_address[spanish.email]
    assert event.title_fr in to_french.subject
    assert event.title_es in to_spanish.subject
    assert f"/fr/portal/events/{event.pk}/" in to_french.body
    assert f"/es/portal/events/{event.pk}/" in to_spanish.body
    month_fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
    month_fr += ["septembre", "octobre", "novembre", "décembre"]
    assert month_fr[event.start_date.month - 1] in to_french.body
    (vevent,) = _calendar(to_french).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.title_fr
    assert vevent.decoded("DTSTART") == datetime.datetime.combine(
        event.start_date, datetime.time(9, 30), ZURICH
    )
    (vevent,) = _calendar(to_spanish).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.title_es
    assert Invitation.objects.get(event=event, member=member).sent_at is not None


def test_an_invitation_to_an_event_without_days_has_no_calendar_and_says_so(
    staff_user, django_capture_on_commit_callbacks
):
    event = _undated()
    person = PersonFactory(delegation=MemberFactory(code="MEX"))

    with django_capture_on_commit_callbacks(execute=True):
        services.invite_members(actor=staff_user, event=event, members=[person.delegation])

    (message,) = mail.outbox
    assert message.attachments == []
    assert "The date will be communicated in due course." in message.body


def test_a_person_receives_a_personal_link_of_which_only_the_hash_is_stored(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event()
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None, preferred_language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = services.invite_persons(actor=staff_user, event=event, persons=[expert])

    (message,) = mail.outbox
    assert message.to == [expert.email]
    assert "/fr/portal/invitation/" in message.body
    token = _token_in(message)
    assert len(token) >= 43
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values()))
    assert token not in str(list(AuditEntry.objects.values()))
    assert services.invitation_for_token(token) == invitation
    assert services.invitation_for_token(token, event) == invitation
    (vevent,) = _calendar(message).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.title_fr
    assert vevent.decoded("DTSTART") == event.start_date


def test_a_token_of_one_event_opens_nothing_on_another(
    staff_user, django_capture_on_commit_callbacks
):
    first, second = _event(), _event(title_en="Another seminar")
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_persons(actor=staff_user, event=first, persons=[expert])
        services.invite_persons(actor=staff_user, event=second, persons=[expert])
    token_first = _token_in(mail.outbox[0])

    assert services.invitation_for_token(token_first, second) is None
    with pytest.raises(NotPermitted):
        services.registration_create_by_link(actor=None, event=second, token=token_first)
    assert not Registration.objects.exists()


def test_resending_a_personal_invitation_replaces_its_link(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event()
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None)
    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = services.invite_persons(actor=staff_user, event=event, persons=[expert])
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=staff_user, invitation=invitation)

    old, new = _token_in(mail.outbox[0]), _token_in(mail.outbox[1])
    assert old != new
    assert services.invitation_for_token(old) is None
    assert services.invitation_for_token(new) == invitation
    assert services.invite_persons(actor=staff_user, event=event, persons=[expert]) == []


def test_an_invited_organizations_persons_each_receive_a_personal_link(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event(invitation_only=True)
    agency = OrganizationFactory(kind=Organization.Kind.UN_AGENCY, name_en="Refugee Agency")
    first = PersonFactory(delegation=None, organization=agency, role=Person.Role.OTHER)
    second = PersonFactory(delegation=None, organization=agency, role=Person.Role.OTHER)
    PersonFactory(delegation=None, organization=agency, role=Person.Role.OTHER, email="")

    with django_capture_on_commit_callbacks(execute=True):
        created = services.invite_organizations(
            actor=staff_user, event=event, organizations=[agency]
        )

    assert [i.organization for i in created] == [agency]
    assert {m.to[0] for m in mail.outbox} == {first.email, second.email}
    tokens = {m.to[0]: _token_in(m) for m in mail.outbox}
    assert services.invitation_for_token(tokens[first.email]).person == first
    registration = services.registration_create_by_link(
        actor=None, event=event, token=tokens[first.email]
    )
    assert registration.person == first
    assert registration.affiliation == "Refugee Agency"
    assert registration.affiliation_kind == Registration.AffiliationKind.AGENCY
    assert registration.region == "international"


def test_only_staff_invite(delegate):
    with pytest.raises(NotPermitted):
        services.invite_membership(actor=delegate.user, event=_event())
    assert not Invitation.objects.exists()


def test_nobody_is_invited_to_a_cancelled_event_or_by_a_suspended_member(staff_user):
    cancelled = _event(status=Event.Status.CANCELLED, cancellation_reason="other")
    with pytest.raises(DomainError):
        services.invite_membership(actor=staff_user, event=cancelled)
    suspended = MemberFactory(code="THA", status=Member.Status.SUSPENDED)
    with pytest.raises(DomainError):
        services.invite_members(actor=staff_user, event=_event(), members=[suspended])
    assert not Invitation.objects.exists()


def test_a_person_without_an_email_address_cannot_be_invited_in_person(staff_user):
    person = PersonFactory(delegation=None, role=Person.Role.EXPERT, email="")
    with pytest.raises(DomainError) as error:
        services.invite_persons(actor=staff_user, event=_event(), persons=[person])
    assert error.value.field == "persons"


# Who may register, and when


def test_a_delegate_registers_with_the_affiliation_of_their_delegation(delegate):
    event = _event()
    registration = services.registration_create(actor=delegate.user, event=event, person=delegate)
    assert registration.status == Registration.Status.REGISTERED
    assert registration.affiliation == delegate.delegation.name_en
    assert registration.affiliation_kind == Registration.AffiliationKind.GOVERNMENT
    assert registration.region == delegate.delegation.region
    assert registration.registered_by == delegate.user
    entry = AuditEntry.objects.get(object_type="events.registration")
    assert entry.actor == delegate.user
    assert entry.changes["status"] == "registered"


def test_an_observer_organizations_delegate_is_recorded_as_other():
    observer = ObserverOrganizationFactory()
    person = PersonFactory(delegation=observer)
    registration = _register(person, _event())
    assert registration.affiliation_kind == Registration.AffiliationKind.OTHER
    assert registration.affiliation == observer.name_en


def test_an_expert_without_an_affiliation_is_recorded_as_independent(staff_user):
    event = _event(invitation_only=True)
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None)
    services.invite_persons(actor=staff_user, event=event, persons=[expert])
    registration = _register(expert, event)
    assert (registration.affiliation, registration.affiliation_kind) == ("Independent", "other")


def test_registering_twice_is_refused(delegate):
    event = _event()
    services.registration_create(actor=delegate.user, event=event, person=delegate)
    with pytest.raises(DomainError) as error:
        services.registration_create(actor=delegate.user, event=event, person=delegate)
    assert error.value.code == "already_registered"
    assert Registration.objects.filter(event=event).count() == 1


def test_the_database_refuses_a_second_current_registration_of_a_person(delegate):
    event = _event()
    first = _register(delegate, event)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            event=event,
            person=delegate,
            status=Registration.Status.WAITING,
            affiliation="x",
            affiliation_kind="other",
            registered_at=first.registered_at,
            changed_at=first.registered_at,
        )


def test_a_person_who_cancelled_may_register_again(delegate):
    event = _event()
    services.registration_cancel(actor=delegate.user, registration=_register(delegate, event))
    again = _register(delegate, event)
    assert again.status == Registration.Status.REGISTERED
    assert _statuses(event) == ["cancelled", "registered"]


def test_registration_closes_when_the_first_day_starts_in_the_events_time_zone(delegate):
    event = _event()
    start = _start(event)
    with pytest.raises(DomainError) as error:
        _register(delegate, event, now=start)
    assert error.value.code == "closed"
    assert _register(delegate, event, now=start - datetime.timedelta(microseconds=1))


def test_an_event_far_east_closes_while_it_is_still_the_day_before_in_geneva(delegate):
    event = _event(time_zone="Pacific/Kiritimati")
    the_day_before_in_geneva = _start(event) + datetime.timedelta(minutes=30)
    assert the_day_before_in_geneva.astimezone(ZURICH).date() == event.start_date - DAY
    with pytest.raises(DomainError) as error:
        _register(delegate, event, now=the_day_before_in_geneva)
    assert error.value.code == "closed"


@pytest.mark.parametrize(
    "status",
    [
        Event.Status.PROPOSED,
        Event.Status.SEEKING_FUNDING,
        Event.Status.POSTPONED,
        Event.Status.CANCELLED,
        Event.Status.HELD,
    ],
)
def test_registration_is_closed_unless_the_event_is_planned_or_confirmed(delegate, status):
    event = _event(status=status, cancellation_reason="other" if status == "cancelled" else "")
    with pytest.raises(DomainError) as error:
        _register(delegate, event)
    assert error.value.code == "closed"
    assert not Registration.objects.exists()


def test_an_undated_event_in_planning_accepts_registrations(delegate):
    event = _undated(status=Event.Status.PLANNING)
    assert services.registration_closes_at(event) is None
    assert _register(delegate, event).status == Registration.Status.REGISTERED


@pytest.mark.parametrize(
    ("precision", "fields", "closes"),
    [
        ("month", {"month": 10}, datetime.datetime(2030, 11, 1, tzinfo=ZURICH)),
        ("month", {"month": 12}, datetime.datetime(2031, 1, 1, tzinfo=ZURICH)),
        (
            "season",
            {"seasons": ["summer", "autumn"]},
            datetime.datetime(2030, 12, 1, tzinfo=ZURICH),
        ),
        ("season", {"seasons": ["winter"]}, datetime.datetime(2031, 3, 1, tzinfo=ZURICH)),
        ("year", {}, datetime.datetime(2031, 1, 1, tzinfo=ZURICH)),
    ],
)
def test_an_event_known_only_roughly_closes_when_its_period_is_over(precision, fields, closes):
    event = Event(precision=precision, year=2030, time_zone="Europe/Zurich", **fields)
    assert services.registration_closes_at(event) == closes


def test_on_an_invitation_only_event_only_invited_persons_register(staff_user):
    event = _event(invitation_only=True)
    invited_member = MemberFactory(code="CHE")
    services.invite_members(actor=staff_user, event=event, members=[invited_member])
    outsider = PersonFactory(delegation=_foreign_member(), with_account=True)

    with pytest.raises(NotPermitted) as error:
        services.registration_create(actor=outsider.user, event=event, person=outsider)
    assert error.value.code == "not_invited"
    with pytest.raises(NotPermitted):
        _register(outsider, event)

    assert _register(PersonFactory(delegation=invited_member), event)
    assert Registration.objects.filter(event=event).count() == 1


def test_on_an_open_event_a_person_of_no_delegation_needs_an_invitation(staff_user):
    event = _event()
    stranger = PersonFactory(delegation=None, role=Person.Role.EXPERT)
    with pytest.raises(NotPermitted) as error:
        _register(stranger, event)
    assert error.value.code == "not_eligible"
    services.invite_persons(actor=staff_user, event=event, persons=[stranger])
    assert _register(stranger, event)


def test_delegates_of_a_suspended_member_and_inactive_persons_cannot_register():
    event = _event()
    suspended = PersonFactory(delegation=MemberFactory(code="THA", status="suspended"))
    inactive = PersonFactory(delegation=MemberFactory(code="FJI"), is_active=False)
    for person in (suspended, inactive):
        with pytest.raises(NotPermitted):
            _register(person, event)


# Registering others


def test_a_focal_point_registers_a_person_of_its_own_delegation_who_is_told(
    focal_point, django_capture_on_commit_callbacks
):
    colleague = PersonFactory(delegation=focal_point.delegation, preferred_language="es")
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.registration_create(
            actor=focal_point.user, event=_event(), person=colleague
        )
    assert registration.registered_by == focal_point.user
    (message,) = mail.outbox
    assert message.to == [colleague.email]
    assert "Seminario de expertos" in message.subject
    assert _calendar(message)


def test_a_focal_point_cannot_register_another_delegations_person(focal_point):
    other = PersonFactory(delegation=_foreign_member())
    with pytest.raises(NotPermitted):
        services.registration_create(actor=focal_point.user, event=_event(), person=other)
    with pytest.raises(NotPermitted):
        services.registrations_for_delegation(
            actor=focal_point.user,
            event=_event(),
            delegation=focal_point.delegation,
            persons=[other],
        )
    with pytest.raises(NotPermitted):
        services.registrations_for_delegation(
            actor=focal_point.user, event=_event(), delegation=other.delegation, persons=[other]
        )
    assert not Registration.objects.exists()


def test_a_delegate_cannot_register_a_colleague(delegate):
    colleague = PersonFactory(delegation=delegate.delegation)
    with pytest.raises(NotPermitted):
        services.registration_create(actor=delegate.user, event=_event(), person=colleague)


def test_a_focal_point_registers_several_persons_at_once_beyond_capacity_to_the_waiting_list(
    focal_point,
):
    event = _event(capacity=2)
    persons = [PersonFactory(delegation=focal_point.delegation) for _ in range(3)]
    done = services.registrations_for_delegation(
        actor=focal_point.user, event=event, delegation=focal_point.delegation, persons=persons
    )
    assert [r.person for r in done] == persons
    assert [r.status for r in done] == ["registered", "registered", "waiting"]


def test_registering_several_persons_is_all_or_nothing(focal_point):
    event = _event()
    first, second = (PersonFactory(delegation=focal_point.delegation) for _ in range(2))
    _register(second, event)
    with pytest.raises(DomainError) as error:
        services.registrations_for_delegation(
            actor=focal_point.user,
            event=event,
            delegation=focal_point.delegation,
            persons=[first, second],
        )
    assert error.value.code == "already_registered"
    assert not Registration.objects.filter(person=first).exists()
    with pytest.raises(DomainError):
        services.registrations_for_delegation(
            actor=focal_point.user, event=event, delegation=focal_point.delegation, persons=[]
        )


# Capacity, waiting list and approval


def test_beyond_capacity_persons_go_to_the_waiting_list_never_over():
    event = _event(capacity=2)
    member = MemberFactory(code="CHE")
    registrations = [_register(PersonFactory(delegation=member), event) for _ in range(4)]
    assert [r.status for r in registrations] == ["registered", "registered", "waiting", "waiting"]
    assert [services.waiting_position(r) for r in registrations] == [None, None, 1, 2]
    assert Registration.objects.filter(event=event, status="registered").count() == 2


def test_cancelling_a_place_promotes_the_first_on_the_waiting_list_who_is_told(
    django_capture_on_commit_callbacks,
):
    event = _event(capacity=1)
    member = MemberFactory(code="SEN")
    holder = PersonFactory(delegation=member, with_account=True)
    first_waiting = PersonFactory(delegation=member, preferred_language="fr")
    second_waiting = PersonFactory(delegation=member)
    place = _register(holder, event)
    waiting = [_register(p, event) for p in (first_waiting, second_waiting)]

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=holder.user, registration=place)

    for registration in waiting:
        registration.refresh_from_db()
    assert [r.status for r in waiting] == ["registered", "waiting"]
    assert services.waiting_position(waiting[1]) == 1
    (message,) = mail.outbox
    assert message.to == [first_waiting.email]
    assert event.title_fr in message.subject
    assert _calendar(message)
    assert AuditEntry.objects.filter(note="promoted from the waiting list").count() == 1


def test_cancelling_a_place_on_the_waiting_list_promotes_nobody():
    event = _event(capacity=1)
    member = MemberFactory(code="SEN")
    _register(PersonFactory(delegation=member), event)
    waiting = _register(PersonFactory(delegation=member), event)
    later = _register(PersonFactory(delegation=member), event)
    services.registration_cancel(actor=SYSTEM, registration=waiting)
    later.refresh_from_db()
    assert later.status == Registration.Status.WAITING


def test_a_larger_capacity_gives_places_to_those_waiting_before_any_newcomer(staff_user):
    event = _event(capacity=1)
    member = MemberFactory(code="MEX")
    _register(PersonFactory(delegation=member), event)
    waiting = _register(PersonFactory(delegation=member), event)
    Event.objects.filter(pk=event.pk).update(capacity=3)

    newcomer = _register(PersonFactory(delegation=member), event)

    waiting.refresh_from_db()
    assert waiting.status == newcomer.status == Registration.Status.REGISTERED
    Event.objects.filter(pk=event.pk).update(capacity=5)
    assert services.waiting_list_promote(actor=staff_user, event=event) == []


def test_approval_flow(staff_user, django_capture_on_commit_callbacks):
    event = _event(capacity=1, requires_approval=True)
    member = MemberFactory(code="TUR")
    first = _register(PersonFactory(delegation=member, with_account=True), event)
    second = _register(PersonFactory(delegation=member), event)
    assert (first.status, second.status) == ("pending", "waiting")

    with pytest.raises(NotPermitted):
        services.registration_approve(actor=first.person.user, registration=first)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_reject(actor=staff_user, registration=first)
    second.refresh_from_db()
    assert second.status == Registration.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_approve(actor=staff_user, registration=second)
    second.refresh_from_db()
    assert second.status == Registration.Status.REGISTERED
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Registration not approved") for s in subjects)
    assert any(s.startswith("A place has become free") for s in subjects)
    assert any(s.startswith("Registration approved") for s in subjects)
    with pytest.raises(DomainError) as error:
        services.registration_approve(actor=staff_user, registration=second)
    assert error.value.code == "not_pending"


def test_a_rejected_person_cannot_register_again_but_staff_can_register_them(staff_user):
    event = _event(requires_approval=True)
    person = PersonFactory(delegation=MemberFactory(code="CHE"), with_account=True)
    services.registration_reject(actor=staff_user, registration=_register(person, event))
    with pytest.raises(DomainError) as error:
        services.registration_create(actor=person.user, event=event, person=person)
    assert error.value.code == "rejected"
    assert services.registration_create(actor=staff_user, event=event, person=person)


# Cancelling


def test_a_focal_point_cancels_for_its_delegation_only(focal_point):
    event = _event()
    own = _register(PersonFactory(delegation=focal_point.delegation), event)
    foreign = _register(PersonFactory(delegation=_foreign_member()), event)
    with pytest.raises(NotPermitted):
        services.registration_cancel(actor=focal_point.user, registration=foreign)
    services.registration_cancel(actor=focal_point.user, registration=own)
    assert _statuses(event) == ["cancelled", "registered"]


def test_a_cancelled_registration_cannot_be_cancelled_again(delegate):
    registration = _register(delegate, _event())
    services.registration_cancel(actor=delegate.user, registration=registration)
    with pytest.raises(DomainError) as error:
        services.registration_cancel(actor=delegate.user, registration=registration)
    assert error.value.code == "not_current"


def test_after_the_start_only_staff_cancel(delegate, staff_user):
    event = _event()
    registration = _register(delegate, event)
    after = _start(event) + datetime.timedelta(hours=1)
    with pytest.raises(DomainError) as error:
        services.registration_cancel(actor=delegate.user, registration=registration, now=after)
    assert error.value.code == "closed"
    services.registration_cancel(actor=staff_user, registration=registration, now=after)


def test_the_invitation_link_registers_and_cancels_its_person_only(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event(invitation_only=True, capacity=1)
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_persons(actor=staff_user, event=event, persons=[expert])
    token = _token_in(mail.outbox[0])

    registration = services.registration_create_by_link(actor=None, event=event, token=token)
    assert registration.person == expert and registration.registered_by is None
    assert AuditEntry.objects.filter(actor_label="invitation link").count() == 1
    with pytest.raises(DomainError):
        services.registration_create_by_link(actor=None, event=event, token=token)
    cancelled = services.registration_cancel_by_link(actor=None, event=event, token=token)
    assert cancelled.status == Registration.Status.CANCELLED
    with pytest.raises(NotPermitted):
        services.registration_create_by_link(actor=None, event=event, token=token + "x")


# After the event


def test_the_follow_up_reaches_each_participant_once_in_their_language(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event(capacity=1)
    member = MemberFactory(code="CIV")
    participant = PersonFactory(delegation=member, preferred_language="fr")
    _register(participant, event)
    _register(PersonFactory(delegation=member), event)
    with pytest.raises(DomainError) as error:
        services.follow_up_send(actor=staff_user, event=event)
    assert error.value.code == "not_held"
    Event.objects.filter(pk=event.pk).update(
        status=Event.Status.HELD, outcome_summary_fr="Les participants ont conclu."
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.follow_up_send(actor=staff_user, event=event) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.follow_up_send(actor=staff_user, event=event) == 0

    (message,) = mail.outbox
    assert message.to == [participant.email]
    assert event.title_fr in message.subject
    assert f"/fr/events/{event.pk}/" in message.body
    assert "Les participants ont conclu." in message.body
    with pytest.raises(NotPermitted):
        services.follow_up_send(actor=participant, event=event)


def test_a_title_with_line_breaks_never_breaks_an_email_header(
    staff_user, django_capture_on_commit_callbacks
):
    event = _event(title_en="Seminar\r\nBcc: victim@example.org")
    person = PersonFactory(delegation=MemberFactory(code="CHE"))
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_members(actor=staff_user, event=event, members=[person.delegation])
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.recipients() == [person.email]


def test_places_left_counts_the_places_held_never_below_zero():
    event = _event(capacity=2)
    member = MemberFactory(code="CHE")
    assert services.places_left(event) == 2
    registrations = [_register(PersonFactory(delegation=member), event) for _ in range(3)]
    assert services.places_left(event) == 0
    services.registration_cancel(actor=SYSTEM, registration=registrations[0])
    # the first on the waiting list took the freed place
    assert services.places_left(event) == 0
    services.registration_cancel(actor=SYSTEM, registration=registrations[1])
    assert services.places_left(event) == 1
    assert services.places_left(_event(capacity=None)) is None
