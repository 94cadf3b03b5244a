"""Surveys through the API: lists and details as the portal shows them, results and
receipts once published, and the staff operations (draft, edit, publish, extend, close,
decisions)."""

import datetime
import json

import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.core import clock
from dialogue.cycles.models import Cycle, Decision
from dialogue.cycles.tests.factories import CycleFactory, ThemeFactory
from dialogue.members.tests.factories import MemberFactory, StaffUserFactory, UserFactory
from dialogue.surveys import services
from dialogue.surveys.models import Survey
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    delegate_of,
    observer_state,
    option_ids,
    questions_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffUserFactory()


@pytest.fixture
def staff_headers(staff):
    return bearer(make_token(staff))


@pytest.fixture
def member():
    return MemberFactory()


@pytest.fixture
def headers(member):
    return bearer(make_token(delegate_of(member)))


def _send(client, method, path, body, headers):
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", **headers
    )


def _closed_survey(staff, member, *, publish_results=False, **kwargs):
    """A survey answered by `member` for its first option, then closed."""
    survey = PublishedSurveyFactory(actor=staff, **kwargs)
    (question,) = questions_of(survey)
    services.response_submit(
        actor=delegate_of(member),
        survey=survey,
        member=member,
        choices={question.pk: [option_ids(question)[0]]},
        now=DURING,
    )
    survey = services.survey_close(actor=staff, survey=survey, now=CLOSES)
    if publish_results:
        survey = services.survey_publish_results(actor=staff, survey=survey)
    return survey


# --- list and detail -------------------------------------------------------------------


def test_a_delegate_lists_the_published_surveys_of_the_delegations_audience(client, headers, staff):
    published = PublishedSurveyFactory(actor=staff)
    DraftSurveyFactory(actor=staff)
    response = client.get("/api/v1/surveys", **headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [published.pk]


def test_an_observer_does_not_see_a_survey_of_member_states_only(client, staff):
    open_to_all = PublishedSurveyFactory(actor=staff)
    PublishedSurveyFactory(actor=staff, audience=Survey.Audience.MEMBER_STATES)
    observer = bearer(make_token(delegate_of(observer_state())))
    items = client.get("/api/v1/surveys", **observer).json()["items"]
    assert [item["id"] for item in items] == [open_to_all.pk]


def test_staff_list_every_survey_and_filter_by_status_and_cycle(client, staff_headers, staff):
    draft = DraftSurveyFactory(actor=staff, cycle=CycleFactory(year=2009))
    published = PublishedSurveyFactory(actor=staff, cycle=CycleFactory(year=2008))
    every = client.get("/api/v1/surveys", **staff_headers).json()["items"]
    assert {item["id"] for item in every} == {draft.pk, published.pk}
    drafts = client.get("/api/v1/surveys?status=draft", **staff_headers).json()["items"]
    assert [item["id"] for item in drafts] == [draft.pk]
    of_2008 = client.get("/api/v1/surveys?cycle=2008", **staff_headers).json()["items"]
    assert [item["id"] for item in of_2008] == [published.pk]


def test_the_survey_list_is_paginated_with_a_cursor(client, staff_headers, staff):
    surveys = [DraftSurveyFactory(actor=staff) for _ in range(3)]
    first = client.get("/api/v1/surveys?limit=2", **staff_headers).json()
    second = client.get(
        f"/api/v1/surveys?limit=2&cursor={first['next_cursor']}", **staff_headers
    ).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted((s.pk for s in surveys), reverse=True)
    assert second["next_cursor"] is None


def test_a_made_up_cursor_is_refused(client, staff_headers):
    response = client.get("/api/v1/surveys?cursor=abc", **staff_headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_listing_surveys_needs_credentials_and_a_delegation(client):
    assert client.get("/api/v1/surveys").status_code == 401
    nobody = UserFactory()
    response = client.get("/api/v1/surveys", **bearer(make_token(nobody)))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_detail_shows_questions_options_window_and_counting(client, headers, staff):
    survey = PublishedSurveyFactory(actor=staff)
    data = client.get(f"/api/v1/surveys/{survey.pk}", **headers).json()
    (question,) = questions_of(survey)
    assert data["status"] == "open"
    assert data["closes_at"].startswith("2008-03-17")
    assert data["audience"] == "members_and_observers"
    assert data["questions"][0]["method"] == "plurality"
    assert [o["id"] for o in data["questions"][0]["options"]] == option_ids(question)


def test_a_draft_is_not_found_by_a_delegate(client, headers, staff):
    draft = DraftSurveyFactory(actor=staff)
    assert client.get(f"/api/v1/surveys/{draft.pk}", **headers).status_code == 404


# --- results and receipts --------------------------------------------------------------


def test_results_are_not_found_before_they_are_published(client, headers, staff, member):
    survey = _closed_survey(staff, member)
    assert client.get(f"/api/v1/surveys/{survey.pk}/results", **headers).status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.pk}/receipts", **headers).status_code == 404


def test_staff_see_results_at_any_time(client, staff_headers, staff, member):
    survey = _closed_survey(staff, member)
    response = client.get(f"/api/v1/surveys/{survey.pk}/results", **staff_headers)
    assert response.status_code == 200
    question = response.json()["questions"][0]
    assert question["counted"]["winners"] == [option_ids(questions_of(survey)[0])[0]]


def test_published_results_count_the_delegations_answer(client, headers, staff, member):
    survey = _closed_survey(staff, member, publish_results=True)
    data = client.get(f"/api/v1/surveys/{survey.pk}/results", **headers).json()
    assert data["turnout"]["responded"] == 1
    first_option = option_ids(questions_of(survey)[0])[0]
    assert data["questions"][0]["counted"]["ballots"] == 1
    assert {"option": first_option, "score": 1.0} in data["questions"][0]["counted"]["scores"]


def test_published_receipts_list_the_delegations_fingerprint(client, headers, staff, member):
    survey = _closed_survey(staff, member, publish_results=True)
    data = client.get(f"/api/v1/surveys/{survey.pk}/receipts", **headers).json()
    assert data["fingerprints"] == [survey.responses.get(member=member).fingerprint]


# --- staff operations ------------------------------------------------------------------


def _draft_body(**extra):
    return {
        "cycle": 2008,
        "title_en": "Choice of the theme",
        "audience": "member_states",
        "questions": [
            {
                "text_en": "Which theme?",
                "kind": "choose_one",
                "method": "plurality",
                "options": [{"label_en": "Labour mobility"}, {"label_en": "Diasporas"}],
            }
        ],
        **extra,
    }


def test_staff_create_a_draft_with_its_questions(client, staff_headers):
    CycleFactory(year=2008)
    response = _send(client, "post", "/api/v1/surveys", _draft_body(), staff_headers)
    assert response.status_code == 200
    survey = Survey.objects.get(pk=response.json()["id"])
    assert survey.status == Survey.Status.DRAFT
    assert survey.audience == Survey.Audience.MEMBER_STATES
    assert [o.label_en for o in questions_of(survey)[0].options.all()] == [
        "Labour mobility",
        "Diasporas",
    ]


def test_a_retried_create_with_the_same_key_makes_one_survey(client, staff_headers):
    CycleFactory(year=2008)
    keyed = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "draft-1"}
    first = _send(client, "post", "/api/v1/surveys", _draft_body(), keyed)
    again = _send(client, "post", "/api/v1/surveys", _draft_body(), keyed)
    assert again.json() == first.json()
    assert Survey.objects.count() == 1


def test_a_bad_question_is_refused_naming_it_and_creates_nothing(client, staff_headers):
    CycleFactory(year=2008)
    body = _draft_body()
    body["questions"][0]["method"] = "borda"
    response = _send(client, "post", "/api/v1/surveys", body, staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "questions.0.method"
    assert not Survey.objects.exists()


def test_a_draft_in_an_unknown_cycle_is_refused_naming_the_cycle(client, staff_headers):
    response = _send(client, "post", "/api/v1/surveys", _draft_body(cycle=1999), staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "cycle"


def test_delegates_may_not_use_staff_operations(client, headers, staff):
    CycleFactory(year=2008)
    survey = PublishedSurveyFactory(actor=staff)
    for method, path, body in [
        ("post", "/api/v1/surveys", _draft_body()),
        ("patch", f"/api/v1/surveys/{survey.pk}", {"title_en": "Mine"}),
        ("post", f"/api/v1/surveys/{survey.pk}/close", {}),
    ]:
        response = _send(client, method, path, body, headers)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "permission_denied"
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.OPEN
    assert client.post(f"/api/v1/surveys/{survey.pk}/close").status_code == 401


def test_staff_edit_a_draft_and_unknown_fields_are_refused(client, staff_headers, staff):
    draft = DraftSurveyFactory(actor=staff)
    path = f"/api/v1/surveys/{draft.pk}"
    response = _send(client, "patch", path, {"title_en": "New title"}, staff_headers)
    assert response.status_code == 200
    assert Survey.objects.get(pk=draft.pk).title_en == "New title"
    response = _send(client, "patch", path, {"status": "open"}, staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "status"
    assert Survey.objects.get(pk=draft.pk).status == Survey.Status.DRAFT


def test_the_audience_of_a_published_survey_cannot_change(client, staff_headers, staff):
    survey = PublishedSurveyFactory(actor=staff)
    response = _send(
        client,
        "patch",
        f"/api/v1/surveys/{survey.pk}",
        {"audience": "member_states"},
        staff_headers,
    )
    assert response.status_code == 422
    assert Survey.objects.get(pk=survey.pk).audience == Survey.Audience.MEMBERS_AND_OBSERVERS


def test_staff_publish_extend_and_close_a_survey(client, staff_headers, staff, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: DURING)
    draft = DraftSurveyFactory(actor=staff)
    base = f"/api/v1/surveys/{draft.pk}"
    published = _send(client, "post", f"{base}/publish", {}, staff_headers)
    assert published.status_code == 200
    assert published.json()["status"] == "open"
    later = (DURING + datetime.timedelta(days=20)).isoformat()
    extended = _send(client, "post", f"{base}/extend", {"closes_at": later}, staff_headers)
    assert extended.status_code == 200
    assert Survey.objects.get(pk=draft.pk).closes_at == DURING + datetime.timedelta(days=20)
    monkeypatch.setattr(clock, "now", lambda: DURING + datetime.timedelta(days=1))
    closed = _send(client, "post", f"{base}/close", {}, staff_headers)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    delegate_headers = {"HTTP_AUTHORIZATION": "Bearer nothing"}
    assert _send(client, "post", f"{base}/publish-results", {}, delegate_headers).status_code == 401
    results = _send(client, "post", f"{base}/publish-results", {}, staff_headers)
    assert results.status_code == 200
    assert Survey.objects.get(pk=draft.pk).status == Survey.Status.RESULTS_PUBLISHED


def test_an_extension_to_an_earlier_time_is_refused_naming_the_field(
    client, staff_headers, staff, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: DURING)
    survey = PublishedSurveyFactory(actor=staff)
    response = _send(
        client,
        "post",
        f"/api/v1/surveys/{survey.pk}/extend",
        {"closes_at": (CLOSES - datetime.timedelta(days=1)).isoformat()},
        staff_headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "closes_at"
    assert Survey.objects.get(pk=survey.pk).closes_at == CLOSES


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2030-07-01T09:00:00", "offset from UTC"),
        ("0001-01-01T00:10:00+01:00", "out of the range"),
        ("9999-12-31T23:59:00-05:00", "out of the range"),
    ],
)
def test_a_time_without_offset_or_utc_equivalent_is_refused_naming_the_field(
    client, staff_headers, staff, monkeypatch, when, message
):
    monkeypatch.setattr(clock, "now", lambda: DURING)
    draft = DraftSurveyFactory(actor=staff)
    for field in ("opens_at", "closes_at"):
        response = _send(
            client, "post", f"/api/v1/surveys/{draft.pk}/publish", {field: when}, staff_headers
        )
        assert response.status_code == 422
        error = response.json()["error"]["fields"][0]
        assert error["field"] == field
        assert message in error["message"]
    assert Survey.objects.get(pk=draft.pk).status == Survey.Status.DRAFT
    survey = PublishedSurveyFactory(actor=staff)
    response = _send(
        client, "post", f"/api/v1/surveys/{survey.pk}/extend", {"closes_at": when}, staff_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "closes_at"
    assert Survey.objects.get(pk=survey.pk).closes_at == CLOSES


def test_a_time_with_an_offset_is_stored_as_the_same_moment(
    client, staff_headers, staff, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: DURING)
    survey = PublishedSurveyFactory(actor=staff)
    later = (CLOSES + datetime.timedelta(days=3)).astimezone(
        datetime.timezone(datetime.timedelta(hours=-5))
    )
    response = _send(
        client,
        "post",
        f"/api/v1/surveys/{survey.pk}/extend",
        {"closes_at": later.isoformat()},
        staff_headers,
    )
    assert response.status_code == 200
    assert Survey.objects.get(pk=survey.pk).closes_at == CLOSES + datetime.timedelta(days=3)


def test_staff_record_a_decision_resting_on_a_closed_survey(client, staff_headers, staff, member):
    cycle = CycleFactory(year=2008)
    survey = _closed_survey(staff, member, cycle=cycle, questions=[choose_one()])
    theme = ThemeFactory(cycle=cycle)
    body = {
        "subject": "theme",
        "survey": survey.pk,
        "proposals": [theme.pk],
        "decided_on": "2008-03-20",
        "note": "By survey.",
    }
    response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, staff_headers)
    assert response.status_code == 200
    assert response.json()["basis"] == "survey"
    assert Decision.objects.get().proposals.get() == theme
    assert Cycle.objects.get(pk=cycle.pk).theme == theme


def test_a_decision_on_an_open_survey_is_refused_and_changes_nothing(client, staff_headers, staff):
    cycle = CycleFactory(year=2008)
    survey = PublishedSurveyFactory(actor=staff, cycle=cycle)
    body = {
        "subject": "theme",
        "survey": survey.pk,
        "proposals": [ThemeFactory(cycle=cycle).pk],
        "decided_on": "2008-03-20",
    }
    response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "survey"
    assert not Decision.objects.exists()


def test_a_decision_naming_an_unknown_proposal_is_refused(client, staff_headers):
    CycleFactory(year=2008)
    body = {"subject": "theme", "proposals": [999999], "decided_on": "2008-03-20"}
    response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "proposals"


def test_a_delegate_cannot_record_a_decision(client, headers):
    CycleFactory(year=2008)
    body = {"subject": "theme", "proposals": [1], "decided_on": "2008-03-20"}
    response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, headers)
    assert response.status_code == 403


def test_a_decision_by_survey_must_name_the_survey(client, staff_headers):
    cycle = CycleFactory(year=2008)
    body = {
        "subject": "theme",
        "basis": "survey",
        "proposals": [ThemeFactory(cycle=cycle).pk],
        "decided_on": "2008-03-20",
    }
    response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, staff_headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "survey"
    assert not Decision.objects.exists()


def test_a_decision_with_a_wrong_type_or_unknown_field_is_refused_naming_it(client, staff_headers):
    CycleFactory(year=2008)
    for body, field in [
        ({"subject": "theme", "proposals": [1], "decided_on": "soon"}, "decided_on"),
        ({"subject": "theme", "proposals": [1], "decided_on": "2008-03-20", "x": 1}, "x"),
    ]:
        response = _send(client, "post", "/api/v1/cycles/2008/decisions", body, staff_headers)
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["error"]["fields"]] == [field]
    assert not Decision.objects.exists()
