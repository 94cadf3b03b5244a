"""The staff pages that invite people to an event and manage its registrations."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.events import registration as services
from dialogue.events.models import Event, Invitation, Registration
from dialogue.events.services import event_cancel
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory, PersonFactory
from dialogue.staff import event_urls

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PREFIXES = (
    "event_invite",
    "invitation_",
    "registration_",
    "event_follow_up",
    "event_waiting_list_promote",
)
# Every page, and the object of the world whose id its URL takes.
PAGES = {
    "invitation_list": "event",
    "event_invite_membership": "event",
    "event_invite_members": "event",
    "event_invite_organizations": "event",
    "event_invite_persons": "event",
    "invitation_resend": "invitation",
    "registration_create": "event",
    "registration_approve": "pending",
    "registration_reject": "pending",
    "registration_cancel": "pending",
    "event_waiting_list_promote": "event",
    "event_follow_up": "held",
}


def url(name: str, obj) -> str:
    return reverse(f"staff:{name}", args=[obj.pk])


def page_url(name: str, world) -> str:
    return url(name, getattr(world, PAGES[name]))


def _event(**fields) -> Event:
    """A confirmed two-day seminar two months ahead, open to the membership."""
    start = clock.today() + 60 * DAY
    values = {
        "status": Event.Status.CONFIRMED,
        "precision": Event.Precision.DAY,
        "year": start.year,
        "start_date": start,
        "end_date": start + DAY,
        "city": "Geneva",
        "title_en": "Expert seminar on labour mobility",
    }
    return EventFactory(**{**values, **fields})


def _register(person: Person, event: Event) -> Registration:
    return services.registration_create(actor=SYSTEM, event=event, person=person)


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _expert(**fields) -> Person:
    values = {"role": Person.Role.EXPERT, "delegation": None}
    return PersonFactory(**{**values, **fields})


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world():
    """A seminar needing approval with one person invited and one awaiting approval,
    and a seminar already held."""
    event = _event(requires_approval=True, capacity=2)
    member = MemberFactory(code="SEN")
    expert = _expert(family_name="Diallo", given_name="Awa")
    (invitation,) = services.invite_persons(actor=SYSTEM, event=event, persons=[expert])
    pending = _register(PersonFactory(delegation=member, family_name="Ndiaye"), event)
    held = _event(title_en="Seminar held last year")
    Event.objects.filter(pk=held.pk).update(status=Event.Status.HELD)
    held.refresh_from_db()
    return SimpleNamespace(
        event=event,
        member=member,
        expert=expert,
        invitation=invitation,
        pending=pending,
        held=held,
    )


# --- access ---------------------------------------------------------------------------


def test_every_new_url_name_has_tests_here():
    names = {
        pattern.name for pattern in event_urls.urlpatterns if pattern.name.startswith(PREFIXES)
    }
    with open(__file__, encoding="utf-8") as this_file:
        source = this_file.read()
    assert names == set(PAGES)
    assert all(f'"{name}"' in source for name in names)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name):
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_delegate_has_no_access(client, delegate, world, name):
    client.force_login(delegate.user)
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_staff_can_open_every_page_without_inline_script(staff_client, world, name):
    response = staff_client.get(page_url(name, world))

    assert response.status_code == 200
    assert "<script" not in _page(response)


@pytest.mark.parametrize("name", PAGES)
def test_unknown_ids_are_not_found(staff_client, world, name):
    before = _writes()

    assert staff_client.get(reverse(f"staff:{name}", args=[9999])).status_code == 404
    assert staff_client.post(reverse(f"staff:{name}", args=[9999])).status_code in (404, 405)
    assert _writes() == before


def test_event_and_participants_pages_link_to_the_new_pages(staff_client, world):
    detail = _page(staff_client.get(url("event_detail", world.event)))
    participants = _page(staff_client.get(url("participants_list", world.event)))
    held = _page(staff_client.get(url("participants_list", world.held)))

    assert url("invitation_list", world.event) in detail
    for name in ("registration_create", "event_waiting_list_promote", "invitation_list"):
        assert url(name, world.event) in participants
    assert url("event_follow_up", world.event) not in participants
    assert url("event_follow_up", world.held) in held


def test_each_registration_offers_the_actions_its_status_allows(staff_client, world):
    member = MemberFactory(code="MEX")
    registered = _register(PersonFactory(delegation=member), _event(capacity=1))
    waiting = _register(PersonFactory(delegation=member), registered.event)
    cancelled = _register(PersonFactory(delegation=member), registered.event)
    Registration.objects.filter(pk=cancelled.pk).update(status=Registration.Status.CANCELLED)
    assert (registered.status, waiting.status) == ("registered", "waiting")

    page = _page(staff_client.get(url("participants_list", registered.event)))
    pending = _page(staff_client.get(url("participants_list", world.event)))

    assert url("registration_cancel", registered) in page
    assert url("registration_reject", registered) not in page
    assert url("registration_reject", waiting) in page
    assert url("registration_approve", waiting) not in page
    assert url("registration_cancel", cancelled) not in page
    for name in ("registration_approve", "registration_reject", "registration_cancel"):
        assert url(name, world.pending) in pending


# --- invitations ----------------------------------------------------------------------


def test_the_invitations_list_shows_who_when_and_when_emailed(
    staff_client, world, django_assert_max_num_queries
):
    organization = OrganizationFactory(name_en="University of Dakar")
    services.invite_members(actor=SYSTEM, event=world.event, members=[world.member])
    services.invite_organizations(actor=SYSTEM, event=world.event, organizations=[organization])
    services.invitation_mark_sent(actor=SYSTEM, invitation=world.invitation)
    for _n in range(5):
        services.invite_persons(actor=SYSTEM, event=world.event, persons=[_expert()])

    with django_assert_max_num_queries(12):
        response = staff_client.get(url("invitation_list", world.event))

    page = _page(response)
    assert "Senegal" in page
    assert "University of Dakar" in page
    assert "Awa Diallo" in page
    assert world.expert.email in page
    assert page.count("Not yet") == 7  # all but the expert's, e-mailed
    assert url("invitation_resend", world.invitation) in page
    assert url("event_invite_membership", world.event) in page


def test_inviting_the_membership_after_confirmation(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    delegate = PersonFactory(delegation=world.member, email="delegate@senegal.example.org")
    suspended = MemberFactory(code="PER", status=Member.Status.SUSPENDED)
    assert "Invite the membership" in _page(
        staff_client.get(url("event_invite_membership", world.event))
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("event_invite_membership", world.event), follow=True)

    assert response.redirect_chain[-1][0] == url("invitation_list", world.event)
    invited = set(Invitation.objects.filter(event=world.event).values_list("member", flat=True))
    assert world.member.pk in invited
    assert suspended.pk not in invited
    count = Member.objects.filter(status=Member.Status.ACTIVE).count()
    assert _messages(response) == [
        f"{count} invitations were made; their e-mails are being sent."
        if count > 1
        else "1 invitation was made; its e-mails are being sent."
    ]
    assert delegate.email in {message.to[0] for message in mailoutbox}

    again = staff_client.post(url("event_invite_membership", world.event), follow=True)
    assert _messages(again) == ["Every active member was already invited."]
    members = _page(staff_client.get(url("event_invite_members", world.event)))
    assert "Every active member is invited already." in members


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("event_invite_membership", {}),
        ("event_invite_members", {"members": "member"}),
        ("event_invite_organizations", {"organizations": "organization"}),
        ("event_invite_persons", {"persons": "person"}),
    ],
)
def test_nobody_is_invited_to_a_cancelled_event(staff_client, world, name, data):
    choices = {
        "member": world.member,
        "organization": OrganizationFactory(),
        "person": _expert(),
    }
    posted = {field: str(choices[key].pk) for field, key in data.items()}
    event_cancel(actor=SYSTEM, event=world.event, reason=Event.CancellationReason.OTHER)
    before = (_writes(), Invitation.objects.count())

    response = staff_client.post(url(name, world.event), posted)

    assert response.status_code == 400
    assert "Nobody can be invited to an event that is cancelled." in _page(response)
    assert (_writes(), Invitation.objects.count()) == before


def test_inviting_chosen_members_among_the_active_ones_sorted_by_name(staff_client, world):
    for code in ("CHE", "CIV", "MEX"):
        MemberFactory(code=code)
    suspended = MemberFactory(code="PER", status=Member.Status.SUSPENDED)
    services.invite_members(actor=SYSTEM, event=world.event, members=[MemberFactory(code="THA")])

    form = staff_client.get(url("event_invite_members", world.event)).context["form"]

    offered = [str(label) for _value, label in form.fields["members"].choices]
    assert offered == sorted(offered, key=lambda name: name.replace("ô", "o"))
    assert {"Côte d'Ivoire", "Mexico", "Senegal", "Switzerland"} <= set(offered)
    assert suspended.name not in offered
    assert "Thailand" not in offered  # already invited

    response = staff_client.post(
        url("event_invite_members", world.event), {"members": [world.member.pk]}, follow=True
    )

    assert response.redirect_chain[-1][0] == url("invitation_list", world.event)
    assert Invitation.objects.filter(event=world.event, member=world.member).exists()
    assert _messages(response) == ["1 invitation was made; its e-mails are being sent."]


def test_a_suspended_member_cannot_be_chosen(staff_client, world):
    suspended = MemberFactory(code="PER", status=Member.Status.SUSPENDED)
    before = (_writes(), Invitation.objects.count())

    response = staff_client.post(
        url("event_invite_members", world.event), {"members": [suspended.pk]}
    )

    assert response.status_code == 400
    assert "members" in response.context["form"].errors
    assert (_writes(), Invitation.objects.count()) == before


def test_inviting_an_organization_invites_its_persons_in_person(staff_client, world):
    organization = OrganizationFactory(name_en="Migration Policy Institute")
    researcher = _expert(organization=organization)
    _expert(organization=organization, email="")

    response = staff_client.post(
        url("event_invite_organizations", world.event),
        {"organizations": [organization.pk]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == url("invitation_list", world.event)
    assert Invitation.objects.filter(event=world.event, organization=organization).exists()
    assert set(Invitation.objects.filter(event=world.event, person__organization=organization)) == {
        Invitation.objects.get(event=world.event, person=researcher)
    }


def test_persons_are_found_by_name_email_or_affiliation_and_invited(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    institute = OrganizationFactory(name_en="Institute of Geography")
    wanted = _expert(given_name="Koffi", family_name="Mensah", organization=institute)
    _expert(given_name="Koffi", family_name="Annan", email="")
    _expert(given_name="Maria", family_name="Lopez")
    inactive = _expert(given_name="Koffi", family_name="Owusu", is_active=False)

    def offered(query: str) -> set:
        response = staff_client.get(url("event_invite_persons", world.event), {"q": query})
        return set(response.context["form"].fields["persons"].queryset)

    assert offered("koffi") == {wanted}  # no e-mail address, inactive: not offered
    assert offered("geography") == {wanted}
    assert offered(wanted.email.upper()) == {wanted}
    assert world.expert not in offered("")  # already invited in person
    assert inactive not in offered("")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("event_invite_persons", world.event) + "?q=koffi",
            {"search": "koffi", "persons": [wanted.pk]},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == url("invitation_list", world.event)
    assert Invitation.objects.get(event=world.event, person=wanted).sent_at is not None
    assert [message.to for message in mailoutbox] == [[wanted.email]]
    assert "/portal/invitation/" in mailoutbox[0].body


def test_a_person_outside_the_search_cannot_be_chosen(staff_client, world):
    other = _expert(family_name="Lopez")
    before = (_writes(), Invitation.objects.count())

    response = staff_client.post(
        url("event_invite_persons", world.event), {"search": "koffi", "persons": [other.pk]}
    )

    assert response.status_code == 400
    assert "persons" in response.context["form"].errors
    assert (_writes(), Invitation.objects.count()) == before


def test_resending_a_personal_invitation_sends_a_new_link(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    services.invitation_mark_sent(actor=SYSTEM, invitation=world.invitation)
    world.invitation.refresh_from_db()
    old_hash = world.invitation.token_hash
    assert "new personal link" in _page(
        staff_client.get(url("invitation_resend", world.invitation))
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("invitation_resend", world.invitation), follow=True)

    assert response.redirect_chain[-1][0] == url("invitation_list", world.event)
    assert _messages(response) == ["The invitation of Awa Diallo is being sent again."]
    world.invitation.refresh_from_db()
    assert world.invitation.token_hash not in ("", old_hash)
    assert [message.to for message in mailoutbox] == [[world.expert.email]]


def test_an_invitation_to_a_held_event_is_not_sent_again(staff_client, world, mailoutbox):
    Event.objects.filter(pk=world.event.pk).update(status=Event.Status.HELD)
    before = (_writes(), world.invitation.token_hash)

    response = staff_client.post(url("invitation_resend", world.invitation))

    assert response.status_code == 400
    assert "Nobody can be invited to an event that is held." in _page(response)
    world.invitation.refresh_from_db()
    assert (_writes(), world.invitation.token_hash) == before
    assert mailoutbox == []


# --- registrations --------------------------------------------------------------------


def test_staff_register_a_person_who_is_told(
    staff_client, staff_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    delegate = PersonFactory(delegation=world.member, family_name="Sarr")

    found = staff_client.get(url("registration_create", world.event), {"q": "sarr"})
    assert set(found.context["form"].fields["person"].queryset) == {delegate}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("registration_create", world.event), {"person": delegate.pk}, follow=True
        )

    assert response.redirect_chain[-1][0] == url("participants_list", world.event)
    registration = Registration.objects.get(event=world.event, person=delegate)
    assert registration.status == Registration.Status.PENDING
    assert registration.registered_by == staff_user
    assert _messages(response) == [
        f"The registration of {delegate.full_name} is recorded: Awaiting approval."
    ]
    assert [message.to for message in mailoutbox] == [[delegate.email]]


def test_an_uninvited_person_is_not_registered_for_an_event_by_invitation_only(staff_client, world):
    Event.objects.filter(pk=world.event.pk).update(invitation_only=True)
    outsider = _expert(given_name="Jan", family_name="Novak")
    before = (_writes(), Registration.objects.count())

    response = staff_client.post(url("registration_create", world.event), {"person": outsider.pk})

    assert response.status_code == 400
    assert "Jan Novak is not invited to this event" in _page(response)
    assert (_writes(), Registration.objects.count()) == before


def test_a_person_already_registered_is_not_registered_twice(staff_client, world):
    before = (_writes(), Registration.objects.count())

    response = staff_client.post(
        url("registration_create", world.event), {"person": world.pending.person.pk}
    )

    assert "is already registered for this event (awaiting approval)" in _page(response)
    assert (_writes(), Registration.objects.count()) == before


def test_approving_a_registration_after_confirmation(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    page = _page(staff_client.get(url("registration_approve", world.pending)))
    assert "Ndiaye" in page and "Awaiting approval" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("registration_approve", world.pending), follow=True)

    assert response.redirect_chain[-1][0] == url("participants_list", world.event)
    world.pending.refresh_from_db()
    assert world.pending.status == Registration.Status.REGISTERED
    assert mailoutbox[0].subject.startswith("Registration approved")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("registration_approve", "Only a registration awaiting approval can be approved."),
        ("registration_reject", "Only a registration awaiting approval or on the waiting list"),
    ],
)
def test_a_registration_that_is_not_pending_is_neither_approved_nor_turned_down(
    staff_client, world, name, message
):
    services.registration_approve(actor=SYSTEM, registration=world.pending)
    before = _writes()

    response = staff_client.post(url(name, world.pending))

    assert response.status_code == 400
    assert message in _page(response)
    world.pending.refresh_from_db()
    assert world.pending.status == Registration.Status.REGISTERED
    assert _writes() == before


def test_turning_down_a_registration_gives_its_place_to_the_next(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    Event.objects.filter(pk=world.event.pk).update(capacity=1)
    waiting = _register(PersonFactory(delegation=world.member), world.event)
    assert waiting.status == Registration.Status.WAITING

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("registration_reject", world.pending), follow=True)

    assert response.redirect_chain[-1][0] == url("participants_list", world.event)
    world.pending.refresh_from_db()
    waiting.refresh_from_db()
    assert world.pending.status == Registration.Status.REJECTED
    assert waiting.status == Registration.Status.PENDING
    subjects = [message.subject for message in mailoutbox]
    assert any(subject.startswith("Registration not approved") for subject in subjects)


def test_cancelling_a_registration_after_confirmation(staff_client, world):
    page = _page(staff_client.get(url("registration_cancel", world.pending)))
    assert "Cancel the registration" in page

    response = staff_client.post(url("registration_cancel", world.pending), follow=True)

    assert response.redirect_chain[-1][0] == url("participants_list", world.event)
    world.pending.refresh_from_db()
    assert world.pending.status == Registration.Status.CANCELLED


def test_a_cancelled_registration_is_not_cancelled_again(staff_client, world):
    services.registration_cancel(actor=SYSTEM, registration=world.pending)
    before = _writes()

    response = staff_client.post(url("registration_cancel", world.pending))

    assert response.status_code == 400
    assert "This registration is no longer current (cancelled)." in _page(response)
    assert _writes() == before


def test_free_places_go_to_those_waiting_after_the_capacity_is_raised(staff_client, world):
    waiting = [_register(PersonFactory(delegation=world.member), world.event) for _n in range(3)]
    assert [r.status for r in waiting] == ["pending", "waiting", "waiting"]
    Event.objects.filter(pk=world.event.pk).update(capacity=4)

    response = staff_client.post(url("event_waiting_list_promote", world.event), follow=True)

    assert response.redirect_chain[-1][0] == url("participants_list", world.event)
    assert _messages(response) == [
        "2 persons on the waiting list were given a place and are told by e-mail."
    ]
    assert set(Registration.objects.filter(event=world.event).values_list("status", flat=True)) == {
        "pending"
    }


def test_with_no_free_place_nobody_leaves_the_waiting_list(staff_client, world):
    Event.objects.filter(pk=world.event.pk).update(capacity=1)
    waiting = _register(PersonFactory(delegation=world.member), world.event)
    before = _writes()

    response = staff_client.post(url("event_waiting_list_promote", world.event), follow=True)

    assert _messages(response) == ["No place is free, or nobody is waiting: nobody was moved."]
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.WAITING
    assert _writes() == before


# --- after the event ------------------------------------------------------------------


def test_the_follow_up_goes_once_to_each_participant_and_says_how_many(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    Event.objects.filter(pk=world.held.pk).update(status=Event.Status.CONFIRMED)
    participants = [_register(PersonFactory(delegation=world.member), world.held) for _n in "ab"]
    Event.objects.filter(pk=world.held.pk).update(status=Event.Status.HELD)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("event_follow_up", world.held), follow=True)
    again = staff_client.post(url("event_follow_up", world.held), follow=True)

    assert response.redirect_chain[-1][0] == url("participants_list", world.held)
    assert _messages(response) == ["The follow-up e-mail is being sent to 2 participants."]
    assert _messages(again) == [
        "Every participant with an e-mail address has already received the follow-up."
    ]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.person.email for r in participants)


def test_no_follow_up_for_an_event_not_held(staff_client, world, mailoutbox):
    before = _writes()

    response = staff_client.post(url("event_follow_up", world.event))

    assert response.status_code == 400
    assert "The follow-up goes out once the event has been held." in _page(response)
    assert _writes() == before
    assert mailoutbox == []
