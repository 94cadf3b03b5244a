"""Submissions around a survey's closing instant: accepted exactly in [opens_at, closes_at).

The time of a submission is given to `response_submit` as `now`; the window is checked
inside its transaction, after the delegation's row lock.
"""

import datetime
import threading
from collections import defaultdict

import pytest
from django.db import connection

from dialogue.core.errors import DomainError
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import services
from dialogue.surveys.models import Response, ResponseVersion
from dialogue.surveys.tests.factories import (
    CLOSES,
    OPENS,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
)

THREADS = 20
PER_THREAD = 50
MS = datetime.timedelta(milliseconds=1)
US = datetime.timedelta(microseconds=1)


@pytest.fixture
def ballot(staff_user):
    return PublishedSurveyFactory(actor=staff_user, questions=[choose_one("A", "B")])


def _submit(survey, member, delegate, now):
    (question,) = questions_of(survey)
    return services.response_submit(
        actor=delegate,
        survey=survey,
        member=member,
        choices={question.pk: [option_ids(question)[0]]},
        now=now,
    )


def _accepted(survey, member, delegate, now) -> bool:
    try:
        _submit(survey, member, delegate, now)
    except DomainError as error:
        assert error.code == "survey_not_open"
        return False
    return True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "accepted"),
    [
        (OPENS - MS, False),
        (OPENS - US, False),
        (OPENS, True),
        (CLOSES - MS, True),
        (CLOSES - US, True),
        (CLOSES, False),
        (CLOSES + US, False),
        (CLOSES + MS, False),
    ],
)
def test_a_submission_is_accepted_from_the_opening_instant_until_just_before_the_close(
    ballot, now, accepted
):
    member = MemberFactory(code="CHE")
    assert _accepted(ballot, member, delegate_of(member), now) is accepted
    assert Response.objects.filter(survey=ballot, member=member).exists() is accepted


def _instants(thread: int) -> list[datetime.datetime]:
    """Half before the close (from 1 µs to ~500 ms), half from the close on (to ~500 ms)."""
    instants = []
    for k in range(PER_THREAD // 2):
        offset = (k * THREADS + thread) * MS
        instants.append(CLOSES - offset - US)
        instants.append(CLOSES + offset)
    return instants


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_thousand_submissions_around_the_close_from_twenty_threads_follow_the_instant(ballot):
    members = [MemberFactory(code=f"Q{chr(65 + i)}Z") for i in range(THREADS)]
    delegates = [delegate_of(member) for member in members]
    barrier = threading.Barrier(THREADS)
    outcomes: dict[int, list[tuple[datetime.datetime, bool]]] = defaultdict(list)
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            for now in _instants(index):
                outcomes[index].append(
                    (now, _accepted(ballot, members[index], delegates[index], now))
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a submission never finished"
    assert not errors

    results = [outcome for index in outcomes for outcome in outcomes[index]]
    assert len(results) == THREADS * PER_THREAD == 1000
    assert [now for now, accepted in results if accepted and now >= CLOSES] == []
    assert [now for now, accepted in results if not accepted and now < CLOSES] == []
    for index, member in enumerate(members):
        stored = set(
            ResponseVersion.objects.filter(survey=ballot, member=member).values_list(
                "submitted_at", flat=True
            )
        )
        expected = {now for now, accepted in outcomes[index] if accepted}
        assert stored == expected
    assert Response.objects.filter(survey=ballot).count() == THREADS
