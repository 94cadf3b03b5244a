"""What a response submission through the API costs in queries, and that the reply built
from the objects the service stored is the response as it is read back."""

import json

import pytest
from django.db import connection

from dialogue.api.tests.factories import bearer, make_token
from dialogue.core import clock
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys.models import Response, ResponseVersion
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
    ranking,
)

pytestmark = pytest.mark.django_db

# Queries of one submission, counted inside the test's transaction (so the request's
# transaction is a savepoint): the token with its account, person and delegation; the rate
# limits' one statement; the request's savepoint; the service's savepoint; the survey and
# delegation read under their locks; the questions with their options and the current
# response; the writes; the two savepoints released. The writes (the response, its
# answers, its version and its audit entry) are one statement on PostgreSQL and one per
# table on SQLite. A first submission also records the token's first use; a replacement
# deletes the old answers instead (within the one statement on PostgreSQL).
BUDGET = {"postgresql": 10, "sqlite": 13}


def _budget() -> int:
    return BUDGET[connection.vendor]


@pytest.fixture(autouse=True)
def _during_the_survey(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: DURING)


@pytest.fixture
def survey(db):
    return PublishedSurveyFactory(questions=[choose_one(), ranking(3)])


@pytest.fixture
def member(db):
    return MemberFactory()


@pytest.fixture
def headers(member):
    return bearer(make_token(delegate_of(member)))


def _body(survey, pick: int = 0) -> dict:
    first, second = questions_of(survey)
    return {
        "answers": {
            str(first.pk): [option_ids(first)[pick]],
            str(second.pk): option_ids(second)[pick : pick + 2],
        },
        "comment": "Côte d'Ivoire and Türkiye agree.",
    }


def _put(client, survey, body, headers):
    return client.put(
        f"/api/v1/surveys/{survey.pk}/response",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_first_submission_stays_within_its_query_budget(
    client, survey, headers, django_assert_max_num_queries
):
    body = _body(survey)
    with django_assert_max_num_queries(_budget()):
        response = _put(client, survey, body, headers)
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_a_replacing_submission_stays_within_its_query_budget(
    client, survey, member, headers, django_assert_max_num_queries
):
    assert _put(client, survey, _body(survey), headers).status_code == 200
    body = _body(survey, pick=1)
    with django_assert_max_num_queries(_budget()):
        response = _put(client, survey, body, headers)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert ResponseVersion.objects.filter(survey=survey, member=member).count() == 2


def test_the_reply_to_a_submission_is_the_response_as_read_back(client, survey, member, headers):
    _put(client, survey, _body(survey), headers)
    body = {**_body(survey, pick=1), "option_comments": {}}
    replied = _put(client, survey, body, headers).json()

    read_back = client.get(f"/api/v1/surveys/{survey.pk}/response", **headers).json()

    assert replied == read_back
    assert replied["member"] == member.code
    stored = Response.objects.get(survey=survey, member=member)
    assert replied["fingerprint"] == stored.fingerprint
    assert replied["answers"][1]["options"] == option_ids(questions_of(survey)[1])[1:3]


def test_a_refused_submission_without_a_key_leaves_nothing_behind(client, survey, member, headers):
    body = _body(survey)
    body["answers"][str(questions_of(survey)[0].pk)] = [999_999]

    response = _put(client, survey, body, headers)

    assert response.status_code == 422
    assert not Response.objects.filter(survey=survey).exists()
    assert not ResponseVersion.objects.filter(survey=survey).exists()
