"""A refused response leaves nothing stored but one audit entry saying who was refused,
for which delegation and why, whether it came through the portal or the API."""

import json

import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.core.models import AuditEntry
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys.models import Response
from dialogue.surveys.tests.factories import (
    CLOSES,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    option_ids,
    questions_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(db):
    return PublishedSurveyFactory(questions=[choose_one("A", "B", "C")])


def _portal_answer(survey, based_on: int = 0) -> dict:
    (question,) = questions_of(survey)
    return {
        "based_on": str(based_on),
        f"question_{question.pk}": str(option_ids(question)[0]),
        "comment": "",
    }


def _refusals():
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED))


def test_a_portal_answer_after_the_close_is_refused_and_the_refusal_audited(client, at, survey):
    member = MemberFactory()
    delegate = delegate_of(member)
    at(CLOSES)
    client.force_login(delegate)

    page = client.post(f"/en/portal/surveys/{survey.pk}/", _portal_answer(survey))

    assert page.status_code in (200, 400, 409)
    assert not Response.objects.filter(survey=survey, member=member).exists()
    (entry,) = _refusals()
    assert (entry.actor, entry.object_type, entry.object_id) == (
        delegate,
        "surveys.survey",
        str(survey.pk),
    )
    assert entry.note.startswith(f"{member.code}: survey_not_open: ")
    assert entry.changes == {"delegation": [None, member.code]}


def test_a_stale_api_answer_is_refused_and_audited_and_the_newer_one_kept(client, at, survey):
    member = MemberFactory()
    first, second = delegate_of(member), delegate_of(member)
    (question,) = questions_of(survey)
    body = {"answers": {str(question.pk): [option_ids(question)[0]]}, "expected_version": 0}
    path = f"/api/v1/surveys/{survey.pk}/response"
    put = {"content_type": "application/json"}
    assert client.put(path, json.dumps(body), **put, **bearer(make_token(first))).status_code == 200

    answer = client.put(path, json.dumps(body), **put, **bearer(make_token(second)))

    assert answer.status_code == 409
    assert Response.objects.get(survey=survey, member=member).version == 1
    (entry,) = _refusals()
    assert entry.actor == second and ": stale: " in entry.note


def test_an_api_answer_after_the_close_is_refused_and_audited(client, at, survey):
    member = MemberFactory()
    delegate = delegate_of(member)
    (question,) = questions_of(survey)
    at(CLOSES)

    answer = client.put(
        f"/api/v1/surveys/{survey.pk}/response",
        json.dumps({"answers": {str(question.pk): [option_ids(question)[0]]}}),
        content_type="application/json",
        **bearer(make_token(delegate)),
    )

    assert answer.status_code == 422
    assert not Response.objects.filter(survey=survey).exists()
    (entry,) = _refusals()
    assert entry.actor == delegate and entry.note.startswith(f"{member.code}: survey_not_open")


def test_an_accepted_answer_writes_no_refusal(client, at, survey):
    client.force_login(delegate_of(MemberFactory()))
    assert (
        client.post(f"/en/portal/surveys/{survey.pk}/", _portal_answer(survey)).status_code == 302
    )
    assert _refusals() == []
