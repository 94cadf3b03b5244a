"""The shapes of events, registrations, participants and funding as the API receives and
answers them, as published in its OpenAPI schema."""

import datetime
import re
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from dialogue.api.schemas import Input
from dialogue.events.models import Event, Registration
from dialogue.funding.exports import TABLES

EventKind = Literal[tuple(Event.Kind.values)]
EventStatus = Literal[tuple(Event.Status.values)]
EventPrecision = Literal[tuple(Event.Precision.values)]
EventAudience = Literal[tuple(Event.Audience.values)]
RegistrationStatus = Literal[tuple(Registration.Status.values)]
ExportFormat = Literal["csv", "xlsx"]
FundingTable = Literal[TABLES]
MAX_ID = 2**63 - 1
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value):
    """Only a day written YYYY-MM-DD is a day (not a number read as a timestamp)."""
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", _("Send a date as YYYY-MM-DD."))
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_day)]


class EventDatesOut(Schema):
    precision: EventPrecision = Field(description="How precisely the date is known.")
    text: str = Field(description="The dates as precisely as known, in the request's language.")
    year: int | None
    month: int | None
    seasons: list[str]
    start_date: datetime.date | None
    end_date: datetime.date | None
    start_time: datetime.time | None
    end_time: datetime.time | None
    time_zone: str


class EventSummaryOut(Schema):
    id: int
    kind: EventKind
    title: str
    status: EventStatus
    cycle: int = Field(description="The year of the cycle.")
    dates: EventDatesOut
    city: str
    country: str = Field(description="ISO 3166-1 alpha-3 code, or empty.")
    is_public: bool


class EventPage(Schema):
    items: list[EventSummaryOut]
    next_cursor: str | None


class VenueOut(Schema):
    place: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-3 code, or empty.")
    country_name: str


class EventOut(EventSummaryOut):
    description: str
    cancellation_reason: str
    venue: VenueOut
    host: str | None
    partners: list[str]
    audience: EventAudience
    invitation_only: bool
    working_languages: list[str]
    interpretation_offered: list[str] = Field(
        description="The interpretation languages whose funding is secured."
    )
    capacity: int | None
    places_left: int | None = Field(description="None when the capacity is not limited.")
    requires_approval: bool
    registration_open: bool
    registration_closed_reason: str | None
    calendar_url: str | None = Field(description="The iCalendar file, once the days are known.")


class RegistrationIn(Input):
    person: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="A person of your delegation (focal points only); yourself if left out.",
    )


class RegistrationOut(Schema):
    id: int
    event: int
    person: int
    person_name: str
    delegation: str | None = Field(description="The code of the Member the person acts for.")
    status: RegistrationStatus
    waiting_position: int | None = Field(description="1 is next to get a place.")
    affiliation: str
    affiliation_kind: str
    region: str
    registered_at: datetime.datetime


class RegistrationPage(Schema):
    items: list[RegistrationOut]
    next_cursor: str | None


class CountOut(Schema):
    value: str
    label: str
    count: int


class CompositionOut(Schema):
    total: int = Field(description="The participants holding a place.")
    by_affiliation_kind: list[CountOut]
    by_gender: list[CountOut]
    by_region: list[CountOut]


class ParticipantOut(Schema):
    registration: int
    person: int
    honorific: str
    given_name: str
    family_name: str
    email: str
    gender: str
    affiliation: str
    affiliation_kind: str
    region: str
    region_label: str
    status: RegistrationStatus
    registered_at: datetime.datetime


class ParticipantsOut(Schema):
    event: int
    composition: CompositionOut
    participants: list[ParticipantOut]


class FundingRowOut(Schema):
    event: int
    title: str
    cycle: int
    status: EventStatus
    dates: str
    contingent_on_funding: bool
    budget: str = Field(description="A decimal amount in the reporting currency.")
    pledged: str
    received: str
    gap: str
    covered: bool
    missing_rates: list[str] = Field(description="Currencies without an exchange rate.")


class FundingTotalsOut(Schema):
    budget: str
    pledged: str
    received: str
    gap: str


class FundingOut(Schema):
    currency: str = Field(description="The reporting currency.")
    rates_on: datetime.date = Field(description="The day whose exchange rates are used.")
    totals: FundingTotalsOut
    missing_rates: list[str]
    items: list[FundingRowOut]
