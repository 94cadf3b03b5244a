"""The statements of a response submission, written out in SQL.

Submitting is the busiest write of the system: every delegation may answer in the last
minutes before a close. `services.response_submit` holds the rules; this module reads
what it decides on in two statements and stores the result in a third, each built once
per process:

1. `hold`: the survey and the delegation as committed, locked until the transaction ends
   (on PostgreSQL the survey with a share lock, which a close or an extension waits for,
   and the delegation's row for update, so one delegation's submissions take turns;
   SQLite's IMMEDIATE transactions already run one writer at a time);
2. `read`: the survey's questions and options and the delegation's current response,
   read after the lock is held, so that a submission that committed while this one
   waited is seen;
3. `write`: the response, its answers, its version in the history and its audit entry.
   On PostgreSQL that is one statement (data-modifying WITH clauses); elsewhere one per
   table. Either way the same model signals are sent as by `save()`.
"""

import dataclasses
import functools

from django.db import connection

from dialogue.core import rows
from dialogue.core.models import AuditEntry
from dialogue.members.models import Member
from dialogue.surveys.models import Answer, Question, Response, ResponseVersion, Survey

# What a new version of a response replaces (survey and delegation stay).
REPLACED = (
    "version",
    "submitted_at",
    "submitted_by",
    "channel",
    "letter",
    "comment",
    "receipt",
    "fingerprint",
)


@dataclasses.dataclass(frozen=True)
class Current:
    """The delegation's current response, as far as a new version needs it."""

    pk: int
    version: int
    fingerprint: str


@dataclasses.dataclass
class Form:
    """What a submission is checked against: the questions in order, each one's option
    ids, and the current response (None before the first)."""

    questions: dict[int, Question]
    options_of: dict[int, set[int]]
    current: Current | None


@functools.cache
def _hold_sql(vendor: str) -> str:
    locks = " FOR NO KEY UPDATE OF m FOR SHARE OF s" if vendor == "postgresql" else ""
    return (
        f"SELECT {rows.columns(Survey, 's')}, {rows.columns(Member, 'm')} "  # noqa: S608
        "FROM surveys_survey s, members_member m WHERE s.id = %s AND m.id = %s" + locks
    )


def hold(survey_id: int, member_id: int) -> tuple[Survey, Member]:
    """The survey and the delegation as committed last, locked until the transaction
    ends (see the module's description); raises Survey.DoesNotExist if either is gone."""
    with connection.cursor() as cursor:
        cursor.execute(_hold_sql(connection.vendor), [survey_id, member_id])
        row = cursor.fetchone()
    if row is None:
        raise Survey.DoesNotExist(f"Survey {survey_id} or delegation {member_id} is gone.")
    split = rows.width(Survey)
    return rows.load(Survey, row[:split]), rows.load(Member, row[split:])


@functools.cache
def _read_sql(vendor: str) -> str:
    return (
        f"SELECT r.id, r.version, r.fingerprint, o.id, {rows.columns(Question, 'q')} "  # noqa: S608
        "FROM surveys_survey s "
        "LEFT JOIN surveys_response r ON r.survey_id = s.id AND r.member_id = %s "
        "LEFT JOIN surveys_question q ON q.survey_id = s.id "
        "LEFT JOIN surveys_option o ON o.question_id = q.id "
        "WHERE s.id = %s ORDER BY q.position, q.id, o.position, o.id"
    )


def read(survey: Survey, member: Member) -> Form:
    """The survey's questions with their options and the delegation's current response.

    Questions are read from their options: every question of a survey that accepts
    responses has at least two (survey_publish), and neither changes once published."""
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(connection.vendor), [member.pk, survey.pk])
        found = cursor.fetchall()
    current = Current(*found[0][:3]) if found and found[0][0] is not None else None
    questions: dict[int, Question] = {}
    options_of: dict[int, set[int]] = {}
    for row in found:
        option_id, question_id = row[3], row[4]
        if option_id is None:
            continue
        if question_id not in questions:
            question = rows.load(Question, row[4:])
            Question._meta.get_field("survey").set_cached_value(question, survey)
            questions[question_id] = question
        options_of.setdefault(question_id, set()).add(option_id)
    return Form(questions, options_of, current)


def _clear_answers(response_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_answer WHERE response_id = %s", [response_id])


def write(
    response: Response,
    answers: list[Answer],
    version: ResponseVersion,
    entry: AuditEntry,
    *,
    replacing: bool,
) -> None:
    """Store the response (a new one, or over the current one when `replacing`, whose
    answers it drops), its answers, its version and its audit entry, whose object is
    the response; set every row's primary key."""
    names = REPLACED if replacing else None
    for instance, fields in ((response, names), (version, None), (entry, None)):
        rows.before_save(instance, fields)
    # A scanned letter is stored (and named) first: the version keeps its stored name.
    letter = Response._meta.get_field("letter").pre_save(response, not replacing)
    version.letter = letter.name if letter else ""
    if connection.vendor == "postgresql":
        _write_at_once(response, answers, version, entry, replacing=replacing)
    else:
        if replacing:
            rows.write_fields(response, REPLACED)
            _clear_answers(response.pk)
        else:
            rows.insert_many([response])
        for answer in answers:
            answer.response = response
        rows.insert_many(answers)
        rows.insert_many([version])
        entry.object_id = str(response.pk)
        rows.insert_many([entry])
    for instance, fields, created in (
        (response, names, not replacing),
        (version, None, True),
        (entry, None, True),
    ):
        rows.saved(instance, created, fields)


@functools.cache
def _write_sql(replacing: bool, vendor: str) -> str:
    quote = connection.ops.quote_name

    def names(fields) -> str:
        return ", ".join(quote(field.column) for field in fields)

    def marks(fields) -> str:
        return ", ".join(["%s"] * len(fields))

    if replacing:
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in _response_fields(True))
        saved = f"UPDATE surveys_response SET {assignments} WHERE id = %s RETURNING id"  # noqa: S608
        cleared = (
            "cleared AS (DELETE FROM surveys_answer "
            "WHERE response_id = (SELECT id FROM saved) RETURNING 1), "
        )
        # Evaluated before the first answer is inserted: the old answers are gone first.
        after_clearing = " WHERE (SELECT count(*) FROM cleared) >= 0"
    else:
        fields = _response_fields(False)
        saved = (
            f"INSERT INTO surveys_response ({names(fields)}) "  # noqa: S608
            f"VALUES ({marks(fields)}) RETURNING id"
        )
        cleared = after_clearing = ""
    version_fields = rows.insert_fields(ResponseVersion)
    entry_fields = _entry_fields()
    entry_values = ", ".join(
        "saved.id::text" if field.name == "object_id" else "%s" for field in entry_fields
    )
    return (
        f"WITH saved AS ({saved}), {cleared}"  # noqa: S608
        "answered AS (INSERT INTO surveys_answer "
        "(response_id, question_id, option_id, rank, comment) "
        "SELECT saved.id, a.question_id, a.option_id, a.rank, a.comment FROM saved, "
        "unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::text[]) "
        f"AS a(question_id, option_id, rank, comment){after_clearing} "
        "RETURNING id, option_id), "
        f"versioned AS (INSERT INTO surveys_responseversion ({names(version_fields)}) "
        f"VALUES ({marks(version_fields)}) RETURNING id), "
        f"audited AS (INSERT INTO core_auditentry ({names(entry_fields)}) "
        f"SELECT {entry_values} FROM saved RETURNING id) "
        "SELECT (SELECT id FROM saved), (SELECT id FROM versioned), (SELECT id FROM audited), "
        "(SELECT array_agg(option_id) FROM answered), (SELECT array_agg(id) FROM answered)"
    )


def _response_fields(replacing: bool) -> list:
    if replacing:
        return [Response._meta.get_field(name) for name in REPLACED]
    return rows.insert_fields(Response)


def _entry_fields() -> list:
    return rows.insert_fields(AuditEntry)


def _write_at_once(response, answers, version, entry, *, replacing: bool) -> None:
    params = rows.values(response, _response_fields(replacing), not replacing)
    if replacing:
        params.append(response.pk)
    params += [
        [answer.question_id for answer in answers],
        [answer.option_id for answer in answers],
        [answer.rank for answer in answers],
        [answer.comment for answer in answers],
    ]
    params += rows.values(version, rows.insert_fields(ResponseVersion), True)
    params += rows.values(entry, [f for f in _entry_fields() if f.name != "object_id"], True)
    with connection.cursor() as cursor:
        cursor.execute(_write_sql(replacing, connection.vendor), params)
        response_id, version_id, entry_id, option_ids, answer_ids = cursor.fetchone()
    response.pk, version.pk, entry.pk = response_id, version_id, entry_id
    entry.object_id = str(response_id)
    keys = dict(zip(option_ids or (), answer_ids or (), strict=True))
    for answer in answers:
        answer.response = response
        answer.pk = keys[answer.option_id]
        answer._state.adding = False
        answer._state.db = connection.alias
