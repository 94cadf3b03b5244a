"""Rate limits on the API: per account, per address for anonymous callers, per delegation
and person for response submissions, per account for exports and uploads."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dialogue.api.tests.factories import bearer, make_token
from dialogue.core.models import AuditEntry, RateCounter
from dialogue.members.tests.factories import MemberFactory, StaffUserFactory
from dialogue.surveys.models import Response, ResponseVersion
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
    stored_answers,
)

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def limits(settings):
    def set_limits(**scopes):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **scopes}

    return set_limits


@pytest.fixture
def member(db):
    return MemberFactory()


@pytest.fixture
def survey(db):
    return PublishedSurveyFactory(questions=[choose_one("A", "B", "C")])


def _body(survey, index=0):
    (question,) = questions_of(survey)
    return {"answers": {str(question.pk): [option_ids(question)[index]]}}


def _put(client, survey, body, headers, **extra):
    return client.put(
        f"/api/v1/surveys/{survey.pk}/response",
        json.dumps(body),
        content_type="application/json",
        **headers,
        **extra,
    )


def _assert_rate_limited(response):
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert "try again in" in error["message"].lower()
    assert error["fields"] == []
    assert int(response["Retry-After"]) >= 1


def test_an_account_over_its_api_limit_gets_rate_limited_with_retry_after(
    client, at, member, limits
):
    limits(api=(3, 60))
    headers = bearer(make_token(delegate_of(member)))
    statuses = [client.get("/api/v1/members", **headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/api/v1/members", **headers)
    _assert_rate_limited(response)
    assert response["Retry-After"] == str(60 - DURING.second)


def test_the_limit_is_per_account_not_per_token(client, at, member, limits):
    limits(api=(2, 60))
    user = delegate_of(member)
    first, second = bearer(make_token(user, "one")), bearer(make_token(user, "two"))
    assert client.get("/api/v1/members", **first).status_code == 200
    assert client.get("/api/v1/members", **second).status_code == 200
    assert client.get("/api/v1/members", **first).status_code == 429
    assert client.get("/api/v1/members", **second).status_code == 429


def test_another_account_is_not_affected(client, at, member, limits):
    limits(api=(1, 60))
    one, other = bearer(make_token(delegate_of(member))), bearer(make_token(delegate_of(member)))
    client.get("/api/v1/members", **one)
    assert client.get("/api/v1/members", **one).status_code == 429
    assert client.get("/api/v1/members", **other).status_code == 200


def test_the_next_window_lets_the_account_in_again(client, at, member, limits):
    limits(api=(1, 60))
    headers = bearer(make_token(delegate_of(member)))
    client.get("/api/v1/members", **headers)
    assert client.get("/api/v1/members", **headers).status_code == 429
    at(DURING + MINUTE)
    assert client.get("/api/v1/members", **headers).status_code == 200


def test_anonymous_callers_are_limited_per_address(client, at, limits):
    limits(api_anonymous=(2, 60))
    here, there = {"REMOTE_ADDR": "192.0.2.10"}, {"REMOTE_ADDR": "198.51.100.7"}
    assert [client.get("/api/v1/members", **here).status_code for _ in range(2)] == [200, 200]
    _assert_rate_limited(client.get("/api/v1/members", **here))
    assert client.get("/api/v1/members", **there).status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RATE_LIMITED)
    assert (entry.actor_label, entry.ip_address, entry.object_id) == (
        "anonymous",
        "192.0.2.10",
        "ip:192.0.2.10",
    )


def test_refused_credentials_count_against_the_address(client, at, limits):
    limits(api_anonymous=(3, 60))
    wrong = {**bearer("not-a-token"), "REMOTE_ADDR": "192.0.2.10"}
    assert [client.get("/api/v1/surveys", **wrong).status_code for _ in range(3)] == [401] * 3
    _assert_rate_limited(client.get("/api/v1/surveys", **wrong))
    _assert_rate_limited(client.get("/api/v1/members", REMOTE_ADDR="192.0.2.10"))


def test_a_delegation_over_the_submission_limit_has_nothing_stored(
    client, at, survey, member, limits
):
    limits(submission_delegation=(2, 60), submission_person=(10, 60))
    first, second = (bearer(make_token(delegate_of(member))) for _ in range(2))
    assert _put(client, survey, _body(survey, 0), first).status_code == 200
    assert _put(client, survey, _body(survey, 1), second).status_code == 200
    stored = Response.objects.get(survey=survey, member=member)
    before = (stored.version, stored_answers(stored), ResponseVersion.objects.count())

    response = _put(client, survey, _body(survey, 2), first)

    _assert_rate_limited(response)
    assert "Your delegation's answer was sent too many times" in response.json()["error"]["message"]
    stored.refresh_from_db()
    assert (stored.version, stored_answers(stored), ResponseVersion.objects.count()) == before
    other = MemberFactory()
    other_headers = bearer(make_token(delegate_of(other)))
    assert _put(client, survey, _body(survey), other_headers).status_code == 200


def test_a_person_over_the_submission_limit_is_refused_before_the_delegation(
    client, at, survey, member, limits
):
    limits(submission_delegation=(10, 60), submission_person=(1, 60))
    first, second = (bearer(make_token(delegate_of(member))) for _ in range(2))
    assert _put(client, survey, _body(survey, 0), first).status_code == 200
    _assert_rate_limited(_put(client, survey, _body(survey, 1), first))
    assert _put(client, survey, _body(survey, 1), second).status_code == 200


def test_a_refused_submission_still_counts(client, at, survey, member, limits):
    limits(submission_delegation=(2, 60))
    headers = bearer(make_token(delegate_of(member)))
    (question,) = questions_of(survey)
    wrong = {"answers": {str(question.pk): [10**9]}}
    assert [_put(client, survey, wrong, headers).status_code for _ in range(2)] == [422, 422]
    _assert_rate_limited(_put(client, survey, _body(survey), headers))
    assert not Response.objects.exists()


def test_a_rate_limited_submission_is_not_remembered_for_its_idempotency_key(
    client, at, survey, member, limits
):
    limits(submission_delegation=(1, 60))
    headers = bearer(make_token(delegate_of(member)))
    assert _put(client, survey, _body(survey, 0), headers).status_code == 200
    retry = {**headers, "HTTP_IDEMPOTENCY_KEY": "ballot-2"}
    _assert_rate_limited(_put(client, survey, _body(survey, 1), retry))
    at(DURING + MINUTE)
    response = _put(client, survey, _body(survey, 1), retry)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_exports_count_against_the_export_limit(client, at, limits):
    limits(export=(2, 3600))
    headers = bearer(make_token(StaffUserFactory()))
    statuses = [client.get("/api/v1/exports/members.csv", **headers).status_code for _ in range(2)]
    assert statuses == [200, 200]
    response = client.get("/api/v1/exports/funding.xlsx", **headers)
    _assert_rate_limited(response)
    assert "downloaded too many exports" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 60
    assert client.get("/api/v1/members", **headers).status_code == 200


def test_written_responses_count_against_the_upload_limit(client, at, survey, member, limits):
    limits(upload=(0, 3600))
    headers = bearer(make_token(StaffUserFactory()))
    body = {
        **_body(survey),
        "letter": {"name": "letter.pdf", "content": "JVBERi0xLjQK"},
    }
    response = client.put(
        f"/api/v1/surveys/{survey.pk}/responses/{member.code}",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )
    _assert_rate_limited(response)
    assert "uploaded too many files" in response.json()["error"]["message"]
    assert not Response.objects.exists()


def test_every_operation_declares_the_rate_limited_answer(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"]["429"]
            assert "Retry-After" in answer["headers"], (method, path)
            schema = answer["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorOut"), (method, path)


def test_a_submission_is_counted_against_all_its_limits_in_one_statement(
    client, at, survey, member
):
    headers = bearer(make_token(delegate_of(member)))
    with CaptureQueriesContext(connection) as queries:
        assert _put(client, survey, _body(survey), headers).status_code == 200
    counting = [q["sql"] for q in queries.captured_queries if "core_ratecounter" in q["sql"]]
    assert len(counting) == 1
    assert set(RateCounter.objects.values_list("scope", flat=True)) == {
        "api",
        "submission_delegation",
        "submission_person",
    }
