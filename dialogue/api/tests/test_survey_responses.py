"""A delegation's response through the API: GET and PUT of its own response, written
responses recorded by staff, and every refusal changing nothing."""

import base64
import json

import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.members.tests.factories import MemberFactory, StaffUserFactory
from dialogue.surveys.models import Response, Survey
from dialogue.surveys.tests.factories import (
    CLOSES,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    observer_state,
    option_ids,
    questions_of,
    ranking,
    row_counts,
    stored_answers,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def survey(db):
    return PublishedSurveyFactory(questions=[choose_one(), ranking(2)])


@pytest.fixture
def member(db):
    return MemberFactory()


@pytest.fixture
def headers(member):
    return bearer(make_token(delegate_of(member)))


def _body(survey, **extra):
    first, second = questions_of(survey)
    return {
        "answers": {str(first.pk): [option_ids(first)[1]], str(second.pk): option_ids(second)[:2]},
        "comment": "As discussed in the capital.",
        **extra,
    }


def _put(client, survey, body, headers, path=None):
    return client.put(
        path or f"/api/v1/surveys/{survey.pk}/response",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_delegate_answers_for_the_delegation_and_gets_the_receipt(
    client, at, survey, member, headers
):
    response = _put(client, survey, _body(survey), headers)
    assert response.status_code == 200
    data = response.json()
    stored = Response.objects.get(survey=survey, member=member)
    assert data["version"] == 1
    assert data["member"] == member.code
    assert data["channel"] == "portal"
    assert data["receipt"] == stored.receipt
    assert data["fingerprint"] == stored.fingerprint
    first, second = questions_of(survey)
    assert stored_answers(stored) == {
        first.pk: [option_ids(first)[1]],
        second.pk: option_ids(second)[:2],
    }
    assert data["answers"] == [
        {"question": first.pk, "options": [option_ids(first)[1]]},
        {"question": second.pk, "options": option_ids(second)[:2]},
    ]


def test_get_shows_the_delegations_current_response(client, at, survey, member, headers):
    _put(client, survey, _body(survey), headers)
    colleague = bearer(make_token(delegate_of(member)))
    response = client.get(f"/api/v1/surveys/{survey.pk}/response", **colleague)
    assert response.status_code == 200
    assert response.json()["fingerprint"] == Response.objects.get(member=member).fingerprint


def test_get_without_a_response_yet_is_not_found(client, at, survey, headers):
    response = client.get(f"/api/v1/surveys/{survey.pk}/response", **headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_retried_put_with_the_same_key_returns_the_first_answer_once(
    client, at, survey, member, headers
):
    keyed = {**headers, "HTTP_IDEMPOTENCY_KEY": "answer-1"}
    first = _put(client, survey, _body(survey, expected_version=0), keyed)
    again = _put(client, survey, _body(survey, expected_version=0), keyed)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Response.objects.get(member=member).version == 1


def test_a_reused_key_with_another_body_is_refused(client, at, survey, member, headers):
    keyed = {**headers, "HTTP_IDEMPOTENCY_KEY": "answer-2"}
    _put(client, survey, _body(survey), keyed)
    before = row_counts()
    response = _put(client, survey, _body(survey, comment="Changed."), keyed)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert row_counts() == before


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(
    client, at, survey, member, headers
):
    _put(client, survey, _body(survey, expected_version=0), headers)
    before = row_counts()
    response = _put(client, survey, _body(survey, comment="Mine.", expected_version=0), headers)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["fields"][0]["field"] == "expected_version"
    assert row_counts() == before


def test_the_current_expected_version_replaces_the_answer(client, at, survey, member, headers):
    _put(client, survey, _body(survey), headers)
    response = _put(client, survey, _body(survey, comment="Second.", expected_version=1), headers)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert Response.objects.get(member=member).comment == "Second."


def test_a_put_after_the_close_is_refused_and_changes_nothing(client, at, survey, headers):
    at(CLOSES)
    before = row_counts()
    response = _put(client, survey, _body(survey), headers)
    assert response.status_code == 422
    assert "closed" in response.json()["error"]["message"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": 5}, "comment"),
        ({"expected_version": "soon"}, "expected_version"),
        ({"answers": ["a"]}, "answers"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_wrong_types_and_unknown_fields_are_refused_naming_the_field(
    client, at, survey, headers, change, field
):
    before = row_counts()
    response = _put(client, survey, _body(survey, **change), headers)
    assert response.status_code == 422
    assert field in [f["field"].split(".")[0] for f in response.json()["error"]["fields"]]
    assert row_counts() == before


def test_an_option_of_another_question_is_refused_naming_the_question(client, at, survey, headers):
    first, second = questions_of(survey)
    body = _body(survey)
    body["answers"][str(first.pk)] = [option_ids(second)[0]]
    response = _put(client, survey, body, headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {
            "field": f"answers.{first.pk}",
            "message": response.json()["error"]["fields"][0]["message"],
        }
    ]
    assert not Response.objects.exists()


def test_another_delegations_response_cannot_be_reached(client, at, survey, member, headers):
    _put(client, survey, _body(survey), headers)
    other = bearer(make_token(delegate_of(MemberFactory())))
    response = client.get(f"/api/v1/surveys/{survey.pk}/response", **other)
    assert response.status_code == 404


def test_a_survey_outside_the_delegations_audience_is_not_found(client, at):
    survey = PublishedSurveyFactory(
        audience=Survey.Audience.MEMBER_STATES, questions=[choose_one(), ranking(2)]
    )
    observer = bearer(make_token(delegate_of(observer_state())))
    response = _put(client, survey, _body(survey), observer)
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_an_observer_answers_a_survey_open_to_observers(client, at, survey):
    observer = observer_state()
    response = _put(client, survey, _body(survey), bearer(make_token(delegate_of(observer))))
    assert response.status_code == 200
    assert Response.objects.get(member=observer).version == 1


def test_staff_without_a_delegation_cannot_answer_as_a_delegate(client, at, survey, staff_user):
    response = _put(client, survey, _body(survey), bearer(make_token(staff_user)))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_callers_must_authenticate(client, at, survey):
    assert client.get(f"/api/v1/surveys/{survey.pk}/response").status_code == 401
    assert _put(client, survey, _body(survey), {}).status_code == 401


def _letter_body(survey, content=PDF):
    return {
        **_body(survey),
        "letter": {"name": "scan.pdf", "content": base64.b64encode(content).decode()},
    }


def test_staff_record_a_written_response_on_behalf_of_a_delegation(client, at, survey, member):
    staff = bearer(make_token(StaffUserFactory()))
    path = f"/api/v1/surveys/{survey.pk}/responses/{member.code}"
    response = _put(client, survey, _letter_body(survey), staff, path=path)
    assert response.status_code == 200
    assert response.json()["channel"] == "written"
    stored = Response.objects.get(member=member)
    assert stored.channel == Response.Channel.WRITTEN
    assert stored.letter.name.endswith(".pdf")


def test_a_written_response_needs_a_pdf_or_image_letter(client, at, survey, member):
    staff = bearer(make_token(StaffUserFactory()))
    path = f"/api/v1/surveys/{survey.pk}/responses/{member.code}"
    response = _put(client, survey, _letter_body(survey, b"plain text"), staff, path=path)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "letter.content"
    assert not Response.objects.exists()


def test_a_delegate_cannot_record_a_response_on_behalf_of_a_delegation(
    client, at, survey, member, headers
):
    path = f"/api/v1/surveys/{survey.pk}/responses/{member.code}"
    response = _put(client, survey, _letter_body(survey), headers, path=path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Response.objects.exists()


def test_a_written_response_for_an_unknown_delegation_is_not_found(client, at, survey):
    staff = bearer(make_token(StaffUserFactory()))
    path = f"/api/v1/surveys/{survey.pk}/responses/NOPE"
    assert _put(client, survey, _letter_body(survey), staff, path=path).status_code == 404


def test_a_delegation_reads_its_own_response_by_code_but_another_one_is_not_found(
    client, at, survey, member, headers
):
    _put(client, survey, _body(survey), headers)
    own = client.get(f"/api/v1/surveys/{survey.pk}/responses/{member.code}", **headers)
    assert own.status_code == 200
    assert own.json()["member"] == member.code
    other = MemberFactory()
    other_headers = bearer(make_token(delegate_of(other)))
    _put(client, survey, _body(survey), other_headers)
    hidden = client.get(f"/api/v1/surveys/{survey.pk}/responses/{other.code}", **headers)
    missing = client.get(f"/api/v1/surveys/{survey.pk}/responses/ZZZ", **headers)
    # a response that exists and one that does not look the same
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_staff_read_any_delegations_response(client, at, survey, member, headers, staff_user):
    _put(client, survey, _body(survey), headers)
    staff = bearer(make_token(staff_user))
    response = client.get(f"/api/v1/surveys/{survey.pk}/responses/{member.code}", **staff)
    assert response.status_code == 200
    assert response.json()["receipt"] == Response.objects.get(member=member).receipt
