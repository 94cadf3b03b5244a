import datetime

import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory, InvitationFactory
from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    PersonFactory,
    UserFactory,
)
from dialogue.surveys.tests.factories import observer_state

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["items"]]


def _as(person_or_user) -> dict:
    user = getattr(person_or_user, "user", person_or_user)
    return bearer(make_token(user))


@pytest.fixture
def other_delegate(db):
    return PersonFactory(
        delegation=MemberFactory(code="XOD", name_en="Other Delegation"), with_account=True
    )


@pytest.fixture
def invited_only(delegate):
    """A private meeting to which only the delegate's delegation is invited."""
    event = EventFactory(is_public=False, invitation_only=True)
    InvitationFactory(event=event, member=delegate.delegation)
    return event


def _register(client, event, who, body=None, **headers):
    return client.post(
        f"/api/v1/events/{event.pk}/registrations",
        body if body is not None else {},
        content_type="application/json",
        **_as(who),
        **headers,
    )


# --- list and detail ---------------------------------------------------------------


def test_anyone_lists_the_public_events_as_the_website_shows_them(client, invited_only):
    public = EventFactory()
    EventFactory(status=Event.Status.PROPOSED)
    EventFactory(is_public=False)
    assert _ids(client.get("/api/v1/events")) == [public.pk]


def test_a_delegate_also_lists_the_events_their_delegation_is_invited_to(
    client, delegate, other_delegate, invited_only
):
    public = EventFactory()
    assert set(_ids(client.get("/api/v1/events", **_as(delegate)))) == {public.pk, invited_only.pk}
    assert _ids(client.get("/api/v1/events", **_as(other_delegate))) == [public.pk]


def test_an_observer_lists_only_the_public_events(client, invited_only):
    observer = PersonFactory(delegation=observer_state(), with_account=True)
    public = EventFactory()
    assert _ids(client.get("/api/v1/events", **_as(observer))) == [public.pk]


def test_staff_list_every_event(client, staff_user, invited_only):
    proposed = EventFactory(status=Event.Status.PROPOSED)
    response = client.get("/api/v1/events", **_as(staff_user))
    assert set(_ids(response)) == {proposed.pk, invited_only.pk}


def test_events_are_filtered_by_kind_status_cycle_and_dates(client):
    seminar = EventFactory(dated=True, cycle=CycleFactory(year=2007))
    training = EventFactory(
        kind=Event.Kind.TRAINING,
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.MONTH,
        year=2008,
        month=3,
        cycle=CycleFactory(year=2008),
    )
    undated = EventFactory()
    assert _ids(client.get("/api/v1/events?kind=training")) == [training.pk]
    assert _ids(client.get("/api/v1/events?status=confirmed")) == [training.pk]
    assert _ids(client.get("/api/v1/events?cycle=2007")) == [seminar.pk]
    assert _ids(client.get("/api/v1/events?from=2008-01-01")) == [training.pk]
    assert _ids(client.get("/api/v1/events?from=2008-03-01&to=2008-03-31")) == [training.pk]
    assert _ids(client.get("/api/v1/events?from=2008-03-02")) == []
    assert _ids(client.get("/api/v1/events?to=2007-12-31")) == [seminar.pk]
    assert undated.pk in _ids(client.get("/api/v1/events"))


def test_a_bad_filter_is_refused_naming_it(client):
    response = client.get("/api/v1/events?from=next-week")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "from"
    assert client.get("/api/v1/events?kind=party").status_code == 422


def test_event_pages_cover_every_event_once_by_date_undated_last(client):
    undated = EventFactory()
    later = EventFactory(precision=Event.Precision.YEAR, year=2009)
    first = EventFactory(dated=True)
    middle = EventFactory(precision=Event.Precision.MONTH, year=2008, month=5)
    seen, url = [], "/api/v1/events?limit=2"
    while url:
        body = client.get(url).json()
        seen += [e["id"] for e in body["items"]]
        url = body["next_cursor"] and f"/api/v1/events?limit=2&cursor={body['next_cursor']}"
    assert seen == [first.pk, middle.pk, later.pk, undated.pk]


def test_a_made_up_cursor_is_refused(client):
    response = client.get("/api/v1/events?cursor=abc")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_an_event_shows_its_dates_venue_languages_and_places_left(client, delegate):
    event = EventFactory(
        dated=True,
        status=Event.Status.CONFIRMED,
        city="Geneva",
        country="CHE",
        place="Palais des Nations",
        capacity=3,
        working_languages=["en", "fr"],
    )
    PersonFactory.create_batch(2)
    for person in PersonFactory.create_batch(2):
        Registration.objects.create(
            event=event,
            person=person,
            status=Registration.Status.REGISTERED,
            affiliation="Ministry",
            affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
            registered_at=datetime.datetime(2007, 9, 1, tzinfo=datetime.UTC),
            changed_at=datetime.datetime(2007, 9, 1, tzinfo=datetime.UTC),
        )
    body = client.get(f"/api/v1/events/{event.pk}").json()
    assert body["dates"]["precision"] == "day"
    assert body["dates"]["start_date"] == "2007-10-08"
    assert "2007" in body["dates"]["text"]
    assert body["venue"] == {
        "place": "Palais des Nations",
        "city": "Geneva",
        "country": "CHE",
        "country_name": "Switzerland",
    }
    assert body["working_languages"] == ["en", "fr"]
    assert (body["capacity"], body["places_left"]) == (3, 1)
    assert body["registration_open"] is False
    assert body["calendar_url"] == f"/api/v1/events/{event.pk}/event.ics"


def test_an_event_the_caller_may_not_see_is_not_found(client, other_delegate, invited_only):
    assert client.get(f"/api/v1/events/{invited_only.pk}").status_code == 404
    response = client.get(f"/api/v1/events/{invited_only.pk}", **_as(other_delegate))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/events/999999").status_code == 404


def test_an_event_whose_days_are_known_is_an_icalendar_file(client):
    event = EventFactory(dated=True)
    response = client.get(f"/api/v1/events/{event.pk}/event.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"DTSTART" in response.content
    assert client.get(f"/api/v1/events/{EventFactory().pk}/event.ics").status_code == 404


# --- registering -----------------------------------------------------------------------


def test_a_delegate_registers_themselves(client, delegate):
    event = EventFactory(capacity=10)
    response = _register(client, event, delegate)
    assert response.status_code == 200, response.content
    assert response.json()["person"] == delegate.pk
    assert response.json()["status"] == "registered"
    assert Registration.objects.get(event=event).person == delegate


def test_a_full_event_puts_the_delegate_on_the_waiting_list(client, delegate, other_delegate):
    event = EventFactory(capacity=1)
    _register(client, event, other_delegate)
    body = _register(client, event, delegate).json()
    assert (body["status"], body["waiting_position"]) == ("waiting", 1)


def test_a_repeated_registration_with_its_key_gets_the_first_answer(client, delegate):
    event = EventFactory()
    first = _register(client, event, delegate, HTTP_IDEMPOTENCY_KEY="reg-1")
    again = _register(client, event, delegate, HTTP_IDEMPOTENCY_KEY="reg-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Registration.objects.filter(event=event).count() == 1


def test_a_key_reused_with_another_body_is_refused(client, focal_point):
    colleague = PersonFactory(delegation=focal_point.delegation)
    event = EventFactory()
    _register(client, event, focal_point, HTTP_IDEMPOTENCY_KEY="reg-2")
    response = _register(
        client, event, focal_point, {"person": colleague.pk}, HTTP_IDEMPOTENCY_KEY="reg-2"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Registration.objects.filter(event=event).count() == 1


def test_registering_twice_without_a_key_is_refused(client, delegate):
    event = EventFactory()
    _register(client, event, delegate)
    response = _register(client, event, delegate)
    assert response.status_code == 422
    assert "already registered" in response.json()["error"]["message"]
    assert Registration.objects.filter(event=event).count() == 1


def test_a_cancelled_event_takes_no_registration(client, delegate):
    event = EventFactory(
        status=Event.Status.CANCELLED, cancellation_reason=Event.CancellationReason.OTHER
    )
    response = _register(client, event, delegate)
    assert response.status_code == 422
    assert "cancelled" in response.json()["error"]["message"]
    assert not Registration.objects.exists()


def test_a_deleted_or_hidden_event_is_not_found(client, other_delegate, invited_only):
    assert (
        client.post(
            "/api/v1/events/999999/registrations",
            {},
            content_type="application/json",
            **_as(other_delegate),
        ).status_code
        == 404
    )
    assert _register(client, invited_only, other_delegate).status_code == 404
    assert not Registration.objects.exists()


def test_a_focal_point_registers_a_person_of_its_delegation(client, focal_point):
    colleague = PersonFactory(delegation=focal_point.delegation)
    event = EventFactory()
    response = _register(client, event, focal_point, {"person": colleague.pk})
    assert response.status_code == 200
    assert Registration.objects.get(event=event).person == colleague


def test_a_delegate_may_not_register_a_colleague(client, delegate):
    colleague = PersonFactory(delegation=delegate.delegation)
    response = _register(client, EventFactory(), delegate, {"person": colleague.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Registration.objects.exists()


def test_a_person_of_another_delegation_is_refused_naming_the_field(
    client, focal_point, other_delegate
):
    response = _register(client, EventFactory(), focal_point, {"person": other_delegate.pk})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "person"
    assert not Registration.objects.exists()


def test_a_wrong_type_or_unknown_field_is_refused_naming_it(client, delegate):
    event = EventFactory()
    wrong = _register(client, event, delegate, {"person": "me"})
    unknown = _register(client, event, delegate, {"seats": 2})
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json()["error"]["fields"][0]["field"] == "person"
    assert unknown.json()["error"]["fields"][0]["field"] == "seats"
    assert not Registration.objects.exists()


def test_registering_needs_credentials_and_a_delegation(client, staff_user):
    event = EventFactory()
    anonymous = client.post(
        f"/api/v1/events/{event.pk}/registrations", {}, content_type="application/json"
    )
    assert anonymous.status_code == 401
    assert _register(client, event, UserFactory()).status_code == 403
    assert not Registration.objects.exists()


# --- cancelling ------------------------------------------------------------------------


def _cancel(client, registration, who, **headers):
    return client.delete(
        f"/api/v1/events/{registration['event']}/registrations/{registration['id']}",
        **_as(who),
        **headers,
    )


def test_a_delegate_cancels_their_registration_and_the_place_goes_to_the_next(
    client, delegate, other_delegate
):
    event = EventFactory(capacity=1)
    mine = _register(client, event, delegate).json()
    waiting = _register(client, event, other_delegate).json()
    response = _cancel(client, mine, delegate)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Registration.objects.get(pk=waiting["id"]).status == Registration.Status.REGISTERED


def test_a_repeated_cancellation_with_its_key_gets_the_first_answer(client, delegate):
    mine = _register(client, EventFactory(), delegate).json()
    first = _cancel(client, mine, delegate, HTTP_IDEMPOTENCY_KEY="cancel-1")
    again = _cancel(client, mine, delegate, HTTP_IDEMPOTENCY_KEY="cancel-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert _cancel(client, mine, delegate).status_code == 404


def test_a_focal_point_cancels_a_registration_of_its_delegation(client, focal_point, delegate):
    theirs = _register(client, EventFactory(), delegate).json()
    assert _cancel(client, theirs, focal_point).status_code == 200


def test_another_delegations_registration_is_not_found(client, delegate, other_delegate):
    theirs = _register(client, EventFactory(), other_delegate).json()
    colleague = PersonFactory(delegation=delegate.delegation, with_account=True)
    mine = _register(client, EventFactory(), delegate).json()
    assert _cancel(client, theirs, delegate).status_code == 404
    assert _cancel(client, mine, colleague).status_code == 404
    other_focal_point = FocalPointFactory(delegation=other_delegate.delegation)
    assert _cancel(client, mine, other_focal_point).status_code == 404
    assert Registration.objects.filter(status=Registration.Status.CANCELLED).count() == 0


# --- registrations and participants -------------------------------------------------------


def test_a_delegate_sees_their_delegations_registrations_and_staff_all(
    client, delegate, other_delegate, staff_user
):
    event = EventFactory()
    colleague = PersonFactory(delegation=delegate.delegation, with_account=True)
    mine = _register(client, event, delegate).json()
    ours = _register(client, event, colleague).json()
    theirs = _register(client, event, other_delegate).json()
    url = f"/api/v1/events/{event.pk}/registrations"
    assert _ids(client.get(url, **_as(delegate))) == [mine["id"], ours["id"]]
    assert _ids(client.get(url, **_as(other_delegate))) == [theirs["id"]]
    assert _ids(client.get(url + "?limit=2", **_as(staff_user))) == [mine["id"], ours["id"]]
    assert client.get(url).status_code == 401
    assert client.get(url, **_as(UserFactory())).status_code == 403


def test_staff_see_the_participants_and_their_composition(client, staff_user, delegate):
    event = EventFactory()
    _register(client, event, delegate)
    response = client.get(f"/api/v1/events/{event.pk}/participants", **_as(staff_user))
    assert response.status_code == 200
    body = response.json()
    assert body["composition"]["total"] == 1
    assert [p["person"] for p in body["participants"]] == [delegate.pk]
    government = next(
        c for c in body["composition"]["by_affiliation_kind"] if c["value"] == "government"
    )
    assert government["count"] == 1


def test_the_participants_are_for_staff_only(client, delegate):
    event = EventFactory()
    url = f"/api/v1/events/{event.pk}/participants"
    assert client.get(url).status_code == 401
    denied = client.get(url, **_as(delegate))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/events/999999/participants", **_as(delegate)).status_code == 403
