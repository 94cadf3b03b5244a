"""The reads of a response submission, written out in SQL.

Submitting is the busiest write of the system: every delegation may answer in the last
minutes before a close. `services.response_submit` holds the rules; this module gives it
what it decides on in two statements, each built once per process:

1. `hold`: the survey and the delegation as committed, locked until the transaction ends
   (on PostgreSQL the survey with a share lock, which a close or an extension waits for,
   and the delegation's row for update, so one delegation's submissions take turns;
   SQLite's IMMEDIATE transactions already run one writer at a time);
2. `read`: the survey's questions and options and the delegation's current response,
   read after the lock is held, so that a submission that committed while this one
   waited is seen.
"""

import dataclasses
import functools

from django.db import connection

from dialogue.core import rows
from dialogue.members.models import Member
from dialogue.surveys.models import Question, Survey


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


def clear_answers(response_id: int) -> None:
    """Delete the answers of a response about to be replaced (the caller audits the
    response)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_answer WHERE response_id = %s", [response_id])
