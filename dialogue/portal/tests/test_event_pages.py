import datetime
import re

import pytest
from django.core import mail

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.events import registration as services
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import FocalPointFactory, MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
DAY = datetime.timedelta(days=1)
LINK = re.compile(r"https?://\S+(/\w\w/portal/invitation/[A-Za-z0-9_-]+/)")


def _login(client, person):
    assert client.login(username=person.user.email, password=PASSWORD)


def _foreign_member() -> Member:
    """A Member State that is never the one of the `member_state` fixture."""
    return MemberFactory(code="ARG", name_en="Argentina", region="americas")


def _event(**fields) -> Event:
    start = fields.pop("start", None) or clock.today() + 60 * DAY
    defaults = {
        "status": Event.Status.CONFIRMED,
        "precision": Event.Precision.DAY,
        "year": start.year,
        "start_date": start,
        "end_date": start + DAY,
        "city": "Geneva",
        "title_en": "Intersessional workshop on return",
        "title_fr": "Atelier intersessions sur le retour",
    }
    return EventFactory(**{**defaults, **fields})


def _invite_expert(staff_user, event, callbacks, **person_fields):
    """Invite an expert in person; returns the expert and the path of their link."""
    expert = PersonFactory(role=Person.Role.EXPERT, delegation=None, **person_fields)
    with callbacks(execute=True):
        services.invite_persons(actor=staff_user, event=event, persons=[expert])
    return expert, LINK.search(mail.outbox[-1].body).group(1)


# My delegation's events


def test_event_pages_require_login(client):
    event = _event()
    for path in (
        "/en/portal/events/",
        f"/en/portal/events/{event.pk}/",
        f"/en/portal/events/{event.pk}/register/delegation/",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/portal/login/?next=")


def test_staff_without_a_delegation_are_refused(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/en/portal/events/").status_code == 403


def test_home_links_to_the_delegations_events(client, delegate):
    _login(client, delegate)
    assert 'href="/en/portal/events/"' in client.get("/en/portal/").content.decode()


def test_the_list_shows_upcoming_and_past_events_with_dates_in_the_page_language(
    client, delegate, staff_user
):
    upcoming = _event(start=datetime.date(clock.today().year + 2, 6, 18))
    _event(
        title_en="Seminar of last year",
        title_fr="",
        status=Event.Status.HELD,
        start=datetime.date(2007, 10, 8),
    )
    hidden = _event(title_en="Closed seminar", title_fr="", invitation_only=True)
    invited = _event(title_en="Invitation-only training", title_fr="", invitation_only=True)
    services.invite_members(actor=staff_user, event=invited, members=[delegate.delegation])
    services.registration_create(actor=delegate.user, event=upcoming, person=delegate)
    _login(client, delegate)

    page = client.get("/fr/portal/events/").content.decode()

    assert upcoming.title_fr in page
    assert f"18–19 juin {upcoming.start_date.year}" in page
    assert "Seminar of last year" in page and "8–9 octobre 2007" in page
    assert "Invitation-only training" in page
    assert "Closed seminar" not in page
    assert page.index(upcoming.title_fr) < page.index("Seminar of last year")
    assert delegate.full_name in page
    assert client.get(f"/fr/portal/events/{hidden.pk}/").status_code == 404


def test_a_delegate_registers_and_sees_the_waiting_list_position(client, delegate):
    event = _event(capacity=1)
    services.registration_create(
        actor=SYSTEM, event=event, person=PersonFactory(delegation=_foreign_member())
    )
    _login(client, delegate)
    page = client.get(f"/en/portal/events/{event.pk}/").content.decode()
    assert f'action="/en/portal/events/{event.pk}/register/"' in page

    response = client.post(f"/en/portal/events/{event.pk}/register/", follow=True)

    registration = Registration.objects.get(person=delegate)
    assert registration.status == Registration.Status.WAITING
    page = response.content.decode()
    assert "waiting list, in position 1" in page
    assert f"/en/portal/registrations/{registration.pk}/cancel/" in page
    response = client.post(f"/en/portal/events/{event.pk}/register/", follow=True)
    assert "already registered" in response.content.decode()
    assert Registration.objects.filter(person=delegate).count() == 1


def test_registering_is_a_post(client, delegate):
    event = _event()
    _login(client, delegate)
    assert client.get(f"/en/portal/events/{event.pk}/register/").status_code == 405
    assert not Registration.objects.exists()


def test_registering_after_the_start_shows_the_reason(client, delegate):
    event = _event(start=clock.today() - DAY)
    _login(client, delegate)
    page = client.get(f"/en/portal/events/{event.pk}/").content.decode()
    assert "Registration closed when the event started." in page
    response = client.post(f"/en/portal/events/{event.pk}/register/", follow=True)
    assert "Registration closed when the event started." in response.content.decode()
    assert not Registration.objects.exists()


def test_a_registration_is_cancelled_after_a_confirmation(client, delegate):
    event = _event()
    registration = services.registration_create(actor=SYSTEM, event=event, person=delegate)
    _login(client, delegate)
    path = f"/en/portal/registrations/{registration.pk}/cancel/"
    assert "Cancel your registration for" in client.get(path).content.decode()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REGISTERED

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == f"/en/portal/events/{event.pk}/"
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert client.post(path).status_code == 404


def test_another_delegations_registration_is_not_found(client, focal_point):
    event = _event()
    foreign = services.registration_create(
        actor=SYSTEM, event=event, person=PersonFactory(delegation=_foreign_member())
    )
    colleague = PersonFactory(delegation=focal_point.delegation, with_account=True)
    own_delegation = services.registration_create(actor=SYSTEM, event=event, person=focal_point)
    _login(client, colleague)
    assert client.post(f"/en/portal/registrations/{own_delegation.pk}/cancel/").status_code == 404
    client.logout()
    _login(client, focal_point)
    assert client.post(f"/en/portal/registrations/{foreign.pk}/cancel/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Registration.Status.REGISTERED


# A focal point registers several persons


def test_a_focal_point_registers_several_persons_of_the_delegation(client, focal_point):
    event = _event(capacity=2)
    persons = [PersonFactory(delegation=focal_point.delegation) for _ in range(3)]
    PersonFactory(delegation=focal_point.delegation, is_active=False, family_name="Inactive")
    _login(client, focal_point)
    path = f"/en/portal/events/{event.pk}/register/delegation/"
    page = client.get(path).content.decode()
    assert all(p.full_name in page for p in persons)
    assert "Inactive" not in page
    assert 'type="checkbox"' in page

    response = client.post(path, {"persons": [p.pk for p in persons]}, follow=True)

    assert response.redirect_chain == [(f"/en/portal/events/{event.pk}/", 302)]
    statuses = [Registration.objects.get(person=p).status for p in persons]
    assert sorted(statuses) == ["registered", "registered", "waiting"]
    page = client.get(path).content.decode()
    assert not any(f'value="{p.pk}"' in page for p in persons)
    assert "Every active person of your delegation is already registered." not in page


def test_the_bulk_form_refuses_another_delegations_person_and_records_nothing(client, focal_point):
    event = _event()
    own = PersonFactory(delegation=focal_point.delegation)
    foreign = PersonFactory(delegation=_foreign_member())
    _login(client, focal_point)
    path = f"/en/portal/events/{event.pk}/register/delegation/"
    response = client.post(path, {"persons": [own.pk, foreign.pk]})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    response = client.post(path, {"persons": []})
    assert "Choose at least one person to register." in response.content.decode()
    assert not Registration.objects.exists()


def test_a_delegate_cannot_use_the_bulk_form(client, delegate):
    event = _event()
    _login(client, delegate)
    path = f"/en/portal/events/{event.pk}/register/delegation/"
    assert client.get(path).status_code == 403
    assert client.post(path, {"persons": [delegate.pk]}).status_code == 403
    assert not Registration.objects.exists()


def test_the_focal_point_cancels_for_a_delegate(client, focal_point):
    event = _event()
    colleague = PersonFactory(delegation=focal_point.delegation)
    registration = services.registration_create(actor=SYSTEM, event=event, person=colleague)
    _login(client, focal_point)
    page = client.get(f"/en/portal/events/{event.pk}/").content.decode()
    assert f"/en/portal/registrations/{registration.pk}/cancel/" in page
    client.post(f"/en/portal/registrations/{registration.pk}/cancel/")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


# The personal invitation link


def test_the_invitation_link_needs_no_login_and_keeps_the_token_out_of_the_referer(
    client, staff_user, django_capture_on_commit_callbacks
):
    event = _event(invitation_only=True)
    expert, path = _invite_expert(
        staff_user, event, django_capture_on_commit_callbacks, given_name="Irena"
    )

    response = client.get(path)

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert path.startswith("/en/portal/invitation/")
    assert event.title_en in page
    assert expert.full_name in page

    response = client.post(path, {"event": event.pk, "action": "register"})
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    registration = Registration.objects.get(person=expert)
    assert registration.status == Registration.Status.REGISTERED
    assert "You are registered." in client.get(path).content.decode()

    client.post(path, {"event": event.pk, "action": "cancel"})
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_an_unknown_or_replaced_link_is_not_found_with_a_clear_page(
    client, staff_user, django_capture_on_commit_callbacks
):
    event = _event()
    _expert, old_path = _invite_expert(staff_user, event, django_capture_on_commit_callbacks)
    invitation = services.invitation_for_token(old_path.rstrip("/").rsplit("/", 1)[1])
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=staff_user, invitation=invitation)

    for path in (
        old_path,
        "/en/portal/invitation/not-a-token/",
        "/en/portal/invitation/" + "a" * 500 + "/",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Referrer-Policy"] == "no-referrer"
        assert "Invitation link not valid" in response.content.decode()
    assert client.post(old_path, {"event": event.pk, "action": "register"}).status_code == 404
    assert not Registration.objects.exists()


def test_a_token_of_one_event_posted_for_another_is_not_found(
    client, staff_user, django_capture_on_commit_callbacks
):
    first = _event()
    second = _event(title_en="Another workshop")
    _expert, path = _invite_expert(staff_user, first, django_capture_on_commit_callbacks)

    for event in (second.pk, "x", "", 2**70):
        response = client.post(path, {"event": event, "action": "register"})
        assert response.status_code == 404
        assert response["Referrer-Policy"] == "no-referrer"
    assert not Registration.objects.exists()


def test_the_invitation_page_refuses_an_unknown_action(
    client, staff_user, django_capture_on_commit_callbacks
):
    event = _event()
    _expert, path = _invite_expert(staff_user, event, django_capture_on_commit_callbacks)
    response = client.post(path, {"event": event.pk, "action": "approve"}, follow=True)
    assert "Choose to register or to cancel." in response.content.decode()
    assert not Registration.objects.exists()


def test_the_invitation_link_of_a_full_event_puts_the_expert_on_the_waiting_list(
    client, staff_user, django_capture_on_commit_callbacks
):
    event = _event(capacity=1)
    services.registration_create(actor=SYSTEM, event=event, person=FocalPointFactory())
    expert, path = _invite_expert(staff_user, event, django_capture_on_commit_callbacks)
    response = client.post(path, {"event": event.pk, "action": "register"}, follow=True)
    assert "waiting list, in position 1" in response.content.decode()
    assert Registration.objects.get(person=expert).status == Registration.Status.WAITING


def test_the_events_page_links_to_the_persons_calendar(client, delegate):
    _login(client, delegate)
    response = client.get("/en/portal/events/")
    assert 'href="/en/portal/events/calendar/"' in response.content.decode()
