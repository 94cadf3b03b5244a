"""The shapes of surveys, responses, results and decisions as the API receives and answers them."""

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from dialogue.api.schemas import DecisionBasis, DecisionSubject, Input, Moment
from dialogue.surveys.models import Question, Response, Survey

SurveyStatus = Literal[tuple(Survey.Status.values)]
SurveyAudience = Literal[tuple(Survey.Audience.values)]
QuestionKind = Literal[tuple(Question.Kind.values)]
CountingMethod = Literal[tuple(Question.Method.values)]
ResponseChannel = Literal[tuple(Response.Channel.values)]

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A chosen option is a JSON number: "1" or true is refused, not read as option 1.
OptionId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
Comment = Annotated[str, Field(max_length=2000)]
Title = Annotated[str, Field(max_length=300)]
Text = Annotated[str, Field(max_length=20000)]
ReminderDay = Annotated[int, Field(ge=1, le=59)]


class OptionOut(Schema):
    id: int
    position: int
    label: str
    proposal: int | None


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    kind: QuestionKind
    method: CountingMethod
    max_choices: int = Field(description="How many options a delegation may choose or rank.")
    required: bool
    option_comments: bool = Field(description="Whether a comment may be given per option.")
    options: list[OptionOut]


class SurveySummaryOut(Schema):
    id: int
    cycle: int = Field(description="The year of the cycle.")
    title: str
    status: SurveyStatus
    audience: SurveyAudience
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    results_published_at: datetime.datetime | None


class SurveyOut(SurveySummaryOut):
    title_en: str
    title_fr: str
    title_es: str
    introduction: str
    consultation: int | None
    observers_counted: bool = Field(
        description="Whether observers' responses decide, or are only reported apart."
    )
    closed_at: datetime.datetime | None
    reminder_days: list[int]
    questions: list[QuestionOut]


class SurveyPage(Schema):
    items: list[SurveySummaryOut]
    next_cursor: str | None


class AnswerOut(Schema):
    question: int
    options: list[int] = Field(description="The chosen option ids, in order of preference.")


class OptionCommentOut(Schema):
    option: int
    comment: str


class ResponseOut(Schema):
    survey: int
    member: str = Field(description="The code of the delegation.")
    version: int
    submitted_at: datetime.datetime
    channel: ResponseChannel
    comment: str
    answers: list[AnswerOut]
    option_comments: list[OptionCommentOut]
    receipt: str = Field(description="The receipt code of this version.")
    fingerprint: str = Field(description="The receipt fingerprint published with the results.")


class ResponseIn(Input):
    answers: dict[Id, Annotated[list[OptionId], Field(max_length=100)]] = Field(
        description="For each question id, the chosen option ids (in order of preference "
        "for a ranking).",
        max_length=200,
    )
    option_comments: dict[Id, Comment] = Field(
        default_factory=dict,
        description="A comment per chosen option id, where the question takes them.",
        max_length=500,
    )
    comment: str = Field("", max_length=5000)
    expected_version: int | None = Field(
        None,
        strict=True,
        ge=0,
        le=2**31 - 1,
        description="The version this answer replaces (0: none yet); a newer one gives 409.",
    )


class LetterIn(Input):
    name: str = Field(min_length=1, max_length=200, description="The file name, e.g. letter.pdf.")
    content: str = Field(
        min_length=1, description="The scanned letter or note verbale, base64-encoded."
    )


class WrittenResponseIn(Input):
    answers: dict[Id, Annotated[list[OptionId], Field(max_length=100)]] = Field(max_length=200)
    option_comments: dict[Id, Comment] = Field(default_factory=dict, max_length=500)
    comment: str = Field("", max_length=5000)
    letter: LetterIn


class OptionIn(Input):
    label_en: Title = ""
    label_fr: Title = ""
    label_es: Title = ""
    proposal: Id | None = None


class QuestionIn(Input):
    text_en: Text = Field(min_length=1)
    text_fr: Text = ""
    text_es: Text = ""
    kind: QuestionKind
    method: CountingMethod
    max_choices: int = Field(1, ge=1, le=100)
    required: bool = True
    option_comments: bool = False
    options: list[OptionIn] = Field(max_length=100)


class SurveyIn(Input):
    cycle: int = Field(ge=1, le=32767, description="The year of the cycle.")
    consultation: Id | None = None
    title_en: Title = Field(min_length=1)
    title_fr: Title = ""
    title_es: Title = ""
    introduction_en: Text = ""
    introduction_fr: Text = ""
    introduction_es: Text = ""
    audience: SurveyAudience = Survey.Audience.MEMBERS_AND_OBSERVERS.value
    observers_counted: bool = False
    reminder_days: list[ReminderDay] = Field(default_factory=list, max_length=20)
    questions: list[QuestionIn] = Field(default_factory=list, max_length=50)


class SurveyPatch(Input):
    title_en: Title | None = Field(None, min_length=1)
    title_fr: Title | None = None
    title_es: Title | None = None
    introduction_en: Text | None = None
    introduction_fr: Text | None = None
    introduction_es: Text | None = None
    audience: SurveyAudience | None = None
    observers_counted: bool | None = None
    reminder_days: list[ReminderDay] | None = Field(None, max_length=20)


class PublishIn(Input):
    opens_at: Moment | None = Field(None, description="Now when not given.")
    closes_at: Moment | None = Field(
        None, description="Two weeks after the opening when not given."
    )


class ExtendIn(Input):
    closes_at: Moment


class ScoreOut(Schema):
    option: int
    score: float


class CountOut(Schema):
    ballots: int
    total: float = Field(description="The weight of the ballots counted.")
    ranking: list[list[int]] = Field(description="Groups of tied option ids, best first.")
    winners: list[int]
    tie: bool
    scores: list[ScoreOut]


class QuestionResultOut(Schema):
    question: int
    position: int
    text: str
    kind: QuestionKind
    method: CountingMethod
    options: list[OptionOut]
    counted: CountOut
    unweighted: CountOut
    observers: CountOut | None = Field(description="Observers' responses, reported apart.")
    selected: list[int] | None = Field(
        description="For a choose-up-to-k question: the options selected."
    )
    tie: bool


class TurnoutOut(Schema):
    eligible: int
    responded: int


class ResultsOut(Schema):
    survey: int
    status: SurveyStatus
    turnout: TurnoutOut
    questions: list[QuestionResultOut]


class ReceiptsOut(Schema):
    survey: int
    fingerprints: list[str] = Field(description="Every counted response's receipt fingerprint.")


class DecisionIn(Input):
    subject: DecisionSubject
    basis: DecisionBasis | None = Field(
        None, description="Consensus (give `consultation`) or survey (give `survey`)."
    )
    consultation: Id | None = Field(None, description="The consultation that agreed.")
    survey: Id | None = Field(None, description="The closed survey the decision rests on.")
    proposals: list[Id] = Field(max_length=50)
    decided_on: datetime.date
    note: str = Field("", max_length=5000)
    supersedes: Id | None = None
