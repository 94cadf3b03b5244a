"""Events: the calendar as the website and the portal show it, registering and cancelling
as the portal allows, and an event's participants for the secretariat."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from dialogue.api import exports as exports_api
from dialogue.api import funding as funding_api
from dialogue.api.auth import ANYONE, SIGNED_IN
from dialogue.api.event_schemas import (
    MAX_ID,
    EventKind,
    EventOut,
    EventPage,
    EventStatus,
    IsoDate,
    ParticipantsOut,
    RegistrationIn,
    RegistrationOut,
    RegistrationPage,
)
from dialogue.api.idempotency import idempotent
from dialogue.api.members import PUBLIC
from dialogue.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from dialogue.api.schemas import ErrorOut
from dialogue.core.actors import has_staff_rights, require_staff
from dialogue.core.errors import DomainError
from dialogue.core.i18n import current_language
from dialogue.events import calendar, participants
from dialogue.events import registration as services
from dialogue.events.models import Event, Registration
from dialogue.events.selectors import dates_text
from dialogue.funding.selectors import interpretation_offered
from dialogue.members import selectors as member_selectors
from dialogue.members.models import Member, Person
from dialogue.members.rules import country_names
from dialogue.members.services import can_manage_delegation

router = Router(tags=["events"], auth=ANYONE)
CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
EVENT_ORDER = ["sort_year", "sort_month", "sort_day", "id"]
FROM_DATE = Query(
    None, alias="from", description="Events whose earliest possible day is on or after this."
)
TO_DATE = Query(
    None, alias="to", description="Events whose earliest possible day is on or before this."
)


def _delegation_of(user) -> tuple[Person, Member] | None:
    """The caller's person and delegation when they act for one, as the portal requires."""
    person = member_selectors.person_for_user(user)
    if person is None or person.delegation is None or not person.is_active:
        return None
    return person, person.delegation


def _participant(user) -> tuple[Person, Member]:
    found = _delegation_of(user)
    if found is None:
        raise PermissionDenied(_("Your account does not act for a delegation."))
    return found


def visible_events(user) -> QuerySet[Event]:
    """The events the caller may see: every one for staff; the public website's events for
    anyone, and for a delegate also those the portal shows their delegation."""
    if has_staff_rights(user):
        return Event.objects.select_related("cycle", "host")
    reached = Q(pk__in=calendar.public_events().values("pk"))
    found = _delegation_of(user)
    if found is not None:
        delegation = services.events_for_delegation(found[1]).prefetch_related(None)
        reached |= Q(pk__in=delegation.values("pk"))
    return Event.objects.filter(reached).select_related("cycle", "host")


def _visible_event(user, event_id: int) -> Event:
    return visible_events(user).prefetch_related("partners").get(pk=event_id)


def _from(day: datetime.date) -> Q:
    """Events whose earliest possible day (first day, else first of the month or year) is
    on or after `day`."""
    undated = Q(start_date__isnull=True)
    condition = Q(start_date__gte=day) | (undated & Q(year__gt=day.year))
    condition |= undated & Q(year=day.year, month__gt=day.month)
    if day.day == 1:
        condition |= undated & Q(year=day.year, month=day.month)
        if day.month == 1:
            condition |= undated & Q(year=day.year, month__isnull=True)
    return condition


def _to(day: datetime.date) -> Q:
    """Events whose earliest possible day is on or before `day`."""
    undated = Q(start_date__isnull=True)
    return (
        Q(start_date__lte=day)
        | (undated & Q(year__lt=day.year))
        | (undated & Q(year=day.year, month__isnull=True))
        | (undated & Q(year=day.year, month__lte=day.month))
    )


def _dates(event: Event) -> dict:
    return {
        "precision": event.precision,
        "text": dates_text(event),
        "year": event.year,
        "month": event.month,
        "seasons": list(event.seasons or []),
        "start_date": event.start_date,
        "end_date": event.end_date,
        "start_time": event.start_time,
        "end_time": event.end_time,
        "time_zone": event.time_zone,
    }


def _summary(event: Event) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "title": event.title,
        "status": event.status,
        "cycle": event.cycle.year,
        "dates": _dates(event),
        "city": event.city,
        "country": event.country,
        "is_public": event.is_public,
    }


def _country_name(code: str) -> str:
    if not code:
        return ""
    try:
        return country_names(code)["name"][current_language()]
    except KeyError:
        return code


def event_out(event: Event) -> dict:
    """An event as its page shows it: dates as precisely as known, venue, partners,
    languages, interpretation offered, status, capacity and places left."""
    closed = services.registration_closed_reason(event)
    return {
        **_summary(event),
        "description": event.description,
        "cancellation_reason": event.cancellation_reason,
        "venue": {
            "place": event.place,
            "city": event.city,
            "country": event.country,
            "country_name": _country_name(event.country),
        },
        "host": str(event.host) if event.host_id else None,
        "partners": [str(partner) for partner in event.partners.all()],
        "audience": event.audience,
        "invitation_only": event.invitation_only,
        "working_languages": list(event.working_languages or []),
        "interpretation_offered": (
            interpretation_offered(event) if event.interpretation_languages else []
        ),
        "capacity": event.capacity,
        "places_left": services.places_left(event),
        "requires_approval": event.requires_approval,
        "registration_open": closed is None,
        "registration_closed_reason": closed,
        "calendar_url": (
            reverse("api:event_ics", kwargs={"event_id": event.pk})
            if calendar.is_calendar_ready(event)
            else None
        ),
    }


def registration_out(registration: Registration) -> dict:
    """A registration as the API shows it, with the place on the waiting list."""
    person = registration.person
    return {
        "id": registration.pk,
        "event": registration.event_id,
        "person": person.pk,
        "person_name": person.full_name,
        "delegation": person.delegation.code if person.delegation_id else None,
        "status": registration.status,
        "waiting_position": services.waiting_position(registration),
        "affiliation": registration.affiliation,
        "affiliation_kind": registration.affiliation_kind,
        "region": registration.region,
        "registered_at": registration.registered_at,
    }


@router.get(
    "/events",
    response={200: EventPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def list_events(
    request: HttpRequest,
    kind: Query[EventKind | None] = None,
    status: Query[EventStatus | None] = None,
    cycle: int | None = Query(None, ge=1, le=32767, description="The year of the cycle."),
    date_from: IsoDate | None = FROM_DATE,
    date_to: IsoDate | None = TO_DATE,
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The events the caller may see, by date (those whose date is to be determined last):
    the public website's, and for a delegate also those their delegation is invited to."""
    events = visible_events(request.user)
    if kind:
        events = events.filter(kind=kind)
    if status:
        events = events.filter(status=status)
    if cycle is not None:
        events = events.filter(cycle__year=cycle)
    if date_from is not None:
        events = events.filter(_from(date_from))
    if date_to is not None:
        events = events.filter(_to(date_to))
    events = events.annotate(
        sort_year=Coalesce(
            ExtractYear("start_date"), "year", Value(9999), output_field=IntegerField()
        ),
        sort_month=Coalesce(
            ExtractMonth("start_date"), "month", Value(0), output_field=IntegerField()
        ),
        sort_day=Coalesce(ExtractDay("start_date"), Value(0), output_field=IntegerField()),
    )
    page = paginate(events, name="events", order=EVENT_ORDER, cursor=cursor, limit=limit)
    return {"items": [_summary(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/events/{event_id}",
    response={200: EventOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def get_event(request: HttpRequest, event_id: int = Path(..., ge=1, le=MAX_ID)):
    """One event the caller may see, with its dates, venue, languages and places left."""
    return event_out(_visible_event(request.user, event_id))


@router.get(
    "/events/{event_id}/event.ics",
    response={200: None, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="event_ics",
    openapi_extra={
        **PUBLIC,
        "responses": {
            200: {
                "description": "The event as an iCalendar file.",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        },
    },
)
def event_ics(request: HttpRequest, event_id: int = Path(..., ge=1, le=MAX_ID)):
    """One event the caller may see as an iCalendar file; only once its days are known."""
    event = _visible_event(request.user, event_id)
    if not calendar.is_calendar_ready(event):
        raise Event.DoesNotExist
    response = HttpResponse(
        calendar.to_ics([event], name=event.title), content_type=CALENDAR_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(False, f"event-{event.pk}.ics")
    return response


@router.get(
    "/events/{event_id}/registrations",
    response={
        200: RegistrationPage,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
    },
    auth=SIGNED_IN,
)
def list_registrations(
    request: HttpRequest,
    event_id: int = Path(..., ge=1, le=MAX_ID),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The current registrations of the caller's delegation for an event, in the order they
    were made; for staff, every registration whatever its status."""
    if has_staff_rights(request.user):
        registrations = participants.participants_list(_visible_event(request.user, event_id))
    else:
        _person, member = _participant(request.user)
        event = _visible_event(request.user, event_id)
        registrations = services.registrations_of_delegation(event, member)
    page = paginate(
        registrations.select_related("person__delegation"),
        name=f"registrations:{event_id}",
        order=["registered_at", "id"],
        cursor=cursor,
        limit=limit,
    )
    return {"items": [registration_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/events/{event_id}/registrations",
    response={
        200: RegistrationOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    },
    auth=SIGNED_IN,
)
@idempotent
def register(
    request: HttpRequest,
    event_id: int = Path(..., ge=1, le=MAX_ID),
    payload: RegistrationIn | None = None,
):
    """Register yourself, or as a focal point a person of your delegation: a place if one
    is free, else the waiting list. With an Idempotency-Key, a repeated request gets the
    first answer again."""
    person, member = _participant(request.user)
    event = _visible_event(request.user, event_id)
    chosen = payload.person if payload is not None else None
    if chosen is not None and chosen != person.pk:
        person = member_selectors.delegation_persons(member).filter(pk=chosen).first()
        if person is None:
            raise DomainError(_("Choose a person of your delegation."), field="person")
    registration = services.registration_create(actor=request.user, event=event, person=person)
    return registration_out(registration)


@router.delete(
    "/events/{event_id}/registrations/{registration_id}",
    response={200: RegistrationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=SIGNED_IN,
)
@idempotent
def cancel_registration(
    request: HttpRequest,
    event_id: int = Path(..., ge=1, le=MAX_ID),
    registration_id: int = Path(..., ge=1, le=MAX_ID),
):
    """Cancel your registration or, as a focal point, one of your delegation's; its place
    goes to the first on the waiting list. Any other registration is not found."""
    viewer, member = _participant(request.user)
    registration = Registration.objects.select_related("event", "person__delegation").get(
        pk=registration_id, event_id=event_id, status__in=Registration.ACTIVE
    )
    own = registration.person_id == viewer.pk
    if not own and not (
        registration.person.delegation_id == member.pk
        and can_manage_delegation(request.user, member)
    ):
        raise Registration.DoesNotExist
    registration = services.registration_cancel(actor=request.user, registration=registration)
    return registration_out(registration)


@router.get(
    "/events/{event_id}/participants",
    response={200: ParticipantsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=SIGNED_IN,
)
def event_participants(request: HttpRequest, event_id: int = Path(..., ge=1, le=MAX_ID)):
    """For staff: who registered for an event, whatever their status, and the composition
    of those holding a place by kind of affiliation, gender and region."""
    require_staff(request.user)
    event = Event.objects.get(pk=event_id)
    composition = participants.participants_composition(event)

    def counts(rows):
        return [{"value": c.value, "label": c.label, "count": c.count} for c in rows]

    return {
        "event": event.pk,
        "composition": {
            "total": composition.total,
            "by_affiliation_kind": counts(composition.by_affiliation_kind),
            "by_gender": counts(composition.by_gender),
            "by_region": counts(composition.by_region),
        },
        "participants": [
            {
                "registration": r.pk,
                "person": r.person_id,
                "honorific": r.person.honorific,
                "given_name": r.person.given_name,
                "family_name": r.person.family_name,
                "email": r.person.email,
                "gender": r.person.gender,
                "affiliation": r.affiliation,
                "affiliation_kind": r.affiliation_kind,
                "region": r.region,
                "region_label": participants.region_label(r.region),
                "status": r.status,
                "registered_at": r.registered_at,
            }
            for r in participants.participants_list(event)
        ],
    }


# The funding overview and the staff downloads are served with the events.
router.add_router("", funding_api.router)
router.add_router("", exports_api.router)
