"""A close and a submission at the same moment: the submission's window check reads the
survey as committed, so a response is never stored after (or alongside) the close.

PostgreSQL only: these tests need two concurrent transactions and their row locks.
"""

import datetime
import threading

import pytest
from django.db import connection, transaction

from dialogue.core.errors import DomainError
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import services
from dialogue.surveys.models import Response, Survey
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

SECOND = datetime.timedelta(seconds=1)
WAIT = 0.5


@pytest.fixture
def ballot(staff_user):
    return PublishedSurveyFactory(actor=staff_user, questions=[choose_one("A", "B")])


def _in_thread(work):
    """Start `work` in a thread with its own connection; returns the thread and its outcome."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _submit(survey, member, delegate, now):
    (question,) = questions_of(survey)
    return services.response_submit(
        actor=delegate,
        survey=survey,
        member=member,
        choices={question.pk: [option_ids(question)[0]]},
        now=now,
    )


def test_a_submission_waits_for_a_close_in_progress_and_is_then_refused(ballot, staff_user):
    member = MemberFactory(code="CHE")
    delegate = delegate_of(member)
    closed = threading.Event()
    may_commit = threading.Event()

    def close():
        with transaction.atomic():
            services.survey_close(actor=staff_user, survey=ballot, now=DURING)
            closed.set()
            may_commit.wait(timeout=30)

    closing, _close_outcome = _in_thread(close)
    assert closed.wait(timeout=30)
    submitting, outcome = _in_thread(lambda: _submit(ballot, member, delegate, DURING + SECOND))
    submitting.join(timeout=WAIT)
    submission_waited = submitting.is_alive()
    may_commit.set()
    closing.join(timeout=30)
    submitting.join(timeout=30)

    assert submission_waited
    assert isinstance(outcome.get("error"), DomainError)
    assert outcome["error"].code == "survey_not_open"
    assert not Response.objects.filter(survey=ballot).exists()
    assert Survey.objects.get(pk=ballot.pk).status == Survey.Status.CLOSED


def test_a_close_waits_for_a_submission_under_way_so_the_response_is_in_before_it(
    ballot, staff_user, monkeypatch
):
    """Results computed right after a close must include every accepted response: the
    close cannot commit while a submission that passed the window check is still open."""
    member = MemberFactory(code="SEN")
    delegate = delegate_of(member)
    checked = threading.Event()
    may_finish = threading.Event()
    real_fingerprint = services.fingerprint

    def fingerprint_then_pause(**arguments):
        checked.set()
        may_finish.wait(timeout=30)
        return real_fingerprint(**arguments)

    monkeypatch.setattr(services, "fingerprint", fingerprint_then_pause)
    submitting, submit_outcome = _in_thread(lambda: _submit(ballot, member, delegate, DURING))
    assert checked.wait(timeout=30)
    closing, close_outcome = _in_thread(
        lambda: services.survey_close(actor=staff_user, survey=ballot, now=DURING + SECOND)
    )
    closing.join(timeout=WAIT)
    close_waited = closing.is_alive()
    may_finish.set()
    submitting.join(timeout=30)
    closing.join(timeout=30)

    assert close_waited
    assert "error" not in submit_outcome and "error" not in close_outcome
    assert Response.objects.filter(survey=ballot).count() == 1
    assert Survey.objects.get(pk=ballot.pk).status == Survey.Status.CLOSED
