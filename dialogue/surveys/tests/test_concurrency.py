"""Simultaneous submissions, each from its own thread and database connection.

PostgreSQL only: these tests need real concurrent transactions and row locks, and
they commit, so the database is emptied afterwards with TRUNCATE (the audit trail's
trigger refuses the DELETE that SQLite's flush would use).
"""

import datetime
import itertools
import threading

import pytest
from django.db import connection

from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import services
from dialogue.surveys.models import Answer, Response, ResponseVersion
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    delegate_of,
    option_ids,
    questions_of,
    ranking,
    stored_answers,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def _run_at_once(work, count=THREADS):
    """Run `work(i)` in `count` threads released together; each closes its own connection.

    Returns the results by index and the exceptions raised, if any.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a submission never finished"
    return results, errors


@pytest.fixture
def ballot(staff_user):
    """An open survey asking to rank three of five options: 60 different possible answers."""
    return PublishedSurveyFactory(
        actor=staff_user, questions=[ranking(3, "A", "B", "C", "D", "E", method="schulze")]
    )


def test_twenty_simultaneous_submissions_for_one_delegation_leave_one_response(ballot):
    member = MemberFactory(code="CHE")
    delegates = [delegate_of(member) for _ in range(4)]
    (question,) = questions_of(ballot)
    answers = list(itertools.permutations(option_ids(question), 3))[:THREADS]

    def submit(index):
        response = services.response_submit(
            actor=delegates[index % len(delegates)],
            survey=ballot,
            member=member,
            choices={question.pk: list(answers[index])},
            now=DURING + datetime.timedelta(seconds=index),
        )
        return response.version, response.receipt, response.fingerprint

    results, errors = _run_at_once(submit)

    assert errors == []
    assert Response.objects.filter(survey=ballot, member=member).count() == 1
    response = Response.objects.get(survey=ballot, member=member)
    versions = ResponseVersion.objects.filter(survey=ballot, member=member)
    assert response.version == versions.count() == THREADS
    assert sorted(version for version, _receipt, _print in results) == list(range(1, THREADS + 1))
    assert sorted(versions.values_list("version", flat=True)) == list(range(1, THREADS + 1))

    last = max(range(THREADS), key=lambda i: results[i][0])
    assert results[last][1:] == (response.receipt, response.fingerprint)
    highest = versions.get(version=THREADS)
    assert highest.receipt == response.receipt
    assert stored_answers(response) == {question.pk: list(answers[last])}
    assert highest.content["answers"] == {str(question.pk): list(answers[last])}
    assert Answer.objects.filter(response=response).count() == 3
    for version, receipt, fingerprint in results:
        stored = versions.get(version=version)
        assert (stored.receipt, stored.fingerprint) == (receipt, fingerprint)
    assert len({receipt for _version, receipt, _print in results}) == THREADS
    assert (
        AuditEntry.objects.filter(
            object_type="surveys.response", object_id=str(response.pk)
        ).count()
        == THREADS
    )


def test_twenty_delegations_submitting_at_once_each_get_their_own_first_response(ballot):
    codes = ["CHE", "SEN", "MEX", "THA", "FJI", "CIV", "TUR", "PER"]
    codes += [f"{a}{b}{c}" for a, b, c in itertools.product("QX", "QZ", "QXZ")][: THREADS - 8]
    members = [MemberFactory(code=code, name_en=code) for code in codes]
    delegates = [delegate_of(member) for member in members]
    (question,) = questions_of(ballot)
    first_three = option_ids(question)[:3]

    def submit(index):
        return services.response_submit(
            actor=delegates[index],
            survey=ballot,
            member=members[index],
            choices={question.pk: first_three},
            now=DURING,
        ).version

    results, errors = _run_at_once(submit)

    assert errors == []
    assert results == [1] * THREADS
    assert Response.objects.filter(survey=ballot).count() == THREADS
    assert ResponseVersion.objects.filter(survey=ballot).count() == THREADS
    assert Answer.objects.count() == 3 * THREADS


def test_the_database_is_emptied_between_committing_tests_despite_the_append_only_audit_trail():
    """The committing tests above leave nothing behind for the next one."""
    assert AuditEntry.objects.count() == 0
    assert Response.objects.count() == 0
