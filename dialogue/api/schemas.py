"""The shapes of what the API receives and answers, as published in its OpenAPI schema."""

import datetime
import functools
import typing
from typing import Annotated, Literal

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from dialogue.cycles.models import Consultation, Cycle, Decision, Proposal
from dialogue.documents.models import Document, LanguageVersion
from dialogue.members.models import Member, Person, Region

MemberKind = Literal[tuple(Member.Kind.values)]
MemberStatus = Literal[tuple(Member.Status.values)]
RegionCode = Literal[tuple(Region.values)]
PersonRole = Literal[tuple(Person.Role.values)]
LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]
CycleStatus = Literal[tuple(Cycle.Status.values)]
ProposalKind = Literal[tuple(Proposal.Kind.values)]
ProposalStatus = Literal[tuple(Proposal.Status.values)]
ConsultationOutcome = Literal[tuple(Consultation.Outcome.values)]
DecisionSubject = Literal[tuple(Decision.Subject.values)]
DecisionBasis = Literal[tuple(Decision.Basis.values)]
DocumentKind = Literal[tuple(Document.Kind.values)]
DocumentVisibility = Literal[tuple(Document.Visibility.values)]
DocumentStatus = Literal[tuple(Document.Status.values)]
VersionStatus = Literal[tuple(LanguageVersion.Status.values)]


BOOLEAN_REFUSED = "boolean_refused"
OUT_OF_RANGE = "datetime_out_of_range"


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    try:
        return value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError(OUT_OF_RANGE, "this time has no equivalent in UTC") from None


# A moment a client sends: with its offset from UTC (a time without one is ambiguous) and
# one that has an equivalent in UTC, as it is stored.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


@functools.cache
def _takes_boolean(annotation) -> bool:
    if annotation is bool:
        return True
    return any(_takes_boolean(argument) for argument in typing.get_args(annotation))


class Input(Schema):
    """A request body: a field the API does not know is refused, not ignored, and JSON's
    true and false are accepted only where a yes or no is asked (never as 1 and 0)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_another_type(cls, value, info):
        if isinstance(value, bool) and not _takes_boolean(
            cls.model_fields[info.field_name].annotation
        ):
            raise PydanticCustomError(BOOLEAN_REFUSED, "true or false is not accepted here")
        return value


class FieldError(Schema):
    field: str
    message: str


class ErrorDetail(Schema):
    code: str = Field(description="A stable machine-readable reason.")
    message: str = Field(description="What went wrong, in the request's language.")
    fields: list[FieldError]


class ErrorOut(Schema):
    error: ErrorDetail


class MemberOut(Schema):
    code: str
    kind: MemberKind
    name: str
    official_name: str
    name_en: str
    name_fr: str
    name_es: str
    region: RegionCode
    status: MemberStatus
    joined: datetime.date | None
    url: str


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class PersonOut(Schema):
    id: int
    honorific: str
    given_name: str
    family_name: str
    full_name: str
    role: PersonRole
    job_title: str
    email: str
    preferred_language: LanguageCode
    is_active: bool
    delegation: str | None = Field(description="The code of the Member the person acts for.")
    organization: str | None


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class GuidingQuestionOut(Schema):
    position: int
    text: str


class ProposalOut(Schema):
    id: int
    kind: ProposalKind
    title: str
    summary: str
    status: ProposalStatus
    proposer: str
    guiding_questions: list[GuidingQuestionOut]


class ThemeOut(ProposalOut):
    workshop_topics: list[ProposalOut]


class ConsultationOut(Schema):
    id: int
    held_on: datetime.date
    place: str
    title: str
    outcome: ConsultationOutcome
    agreed_proposal: int | None
    outcome_notes: str
    proposals: list[int]


class DecisionOut(Schema):
    id: int
    subject: DecisionSubject
    basis: DecisionBasis
    decided_on: datetime.date
    note: str
    consultation: int | None
    survey: int | None
    proposals: list[int]
    is_current: bool
    supersedes: int | None
    superseded_by: int | None


class CycleSummaryOut(Schema):
    year: int
    name: str
    status: CycleStatus
    theme: str | None


class CycleOut(CycleSummaryOut):
    proposals: list[ThemeOut]
    consultations: list[ConsultationOut]
    decisions: list[DecisionOut]


class VersionOut(Schema):
    language: LanguageCode
    status: VersionStatus
    content_type: str
    size: int
    download_url: str


class DocumentOut(Schema):
    id: int
    kind: DocumentKind
    title: str
    summary: str
    visibility: DocumentVisibility
    status: DocumentStatus
    published_at: datetime.datetime | None
    cycle: int | None = Field(description="The year of the cycle.")
    event: int | None
    series: str | None
    series_number: int | None
    external_url: str
    versions: list[VersionOut]


class DocumentPage(Schema):
    items: list[DocumentOut]
    next_cursor: str | None


class SnippetSegmentOut(Schema):
    text: str
    match: bool = Field(description="True where the text matches a word of the query.")


class SearchHitOut(Schema):
    document: DocumentOut
    language: LanguageCode
    rank: float
    snippet: list[SnippetSegmentOut]


class SearchPage(Schema):
    total: int
    items: list[SearchHitOut]
    next_cursor: str | None


class SearchIn(Input):
    q: str = Field(max_length=200, description="Words to find, each as a prefix.")
    kind: DocumentKind | None = None
    cycle: int | None = Field(None, ge=1990, le=2200, description="The year of the cycle.")
    event: int | None = Field(None, ge=1, le=2**63 - 1)
    language: LanguageCode | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2000)
