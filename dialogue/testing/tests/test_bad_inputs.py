"""Bad inputs of RELIABILITY §3 not tested elsewhere: each gets a clear 4xx (or the form
again with its message), nothing half-written, and never a server error.

Already covered elsewhere (not repeated here): a closed survey through the portal and the
API (portal/tests/test_survey_pages.py, api/tests/test_survey_responses.py), a NUL byte in
a survey comment and in API text (same files, api/tests/test_errors.py), another
delegation's person and registration (portal/tests/test_portal_views.py,
test_event_pages.py), `next=//evil.example` and the reset link under an allowed foreign
Host (test_portal_views.py), formula cells in exports (members/tests/test_export_members.py,
surveys/tests/test_exports.py), an oversized API body (api/tests/test_errors.py), and
`javascript:` links in notes and document addresses (documents/tests).
"""

import csv
import io
import json
import re

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from dialogue.core import clock
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.models import Document
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, PersonFactory
from dialogue.portal.tests.test_survey_pages import _answer, _survey, _url
from dialogue.surveys.models import Response, ResponseVersion
from dialogue.testing.tests.test_stored_xss import PAYLOAD, assert_html_safe

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SQLISH = ["' OR 1=1--", "1;SELECT pg_sleep(5)", '"; DROP TABLE members_member; --', "%' --"]


def _people() -> int:
    return Person.objects.count()


# Oversized bodies and too many fields (§3 E 37)


def test_a_portal_form_over_the_body_limit_is_refused_with_400(client, focal_point):
    client.force_login(focal_point.user)
    before = _people()
    oversized = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/en/portal/delegation/add/",
        f"given_name={oversized}&family_name=B&email=b@mission.example.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 413)
    assert _people() == before


def test_a_form_with_1001_fields_is_refused_with_400(client, focal_point):
    client.force_login(focal_point.user)
    before = _people()
    fields = {f"field{n}": "x" for n in range(1001)}
    response = client.post(
        "/en/portal/delegation/add/",
        {**fields, "given_name": "A", "family_name": "B", "email": "b@mission.example.org"},
    )
    assert response.status_code == 400
    assert _people() == before


def test_a_staff_upload_of_101_files_is_refused_with_400(client, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dialogue.documents import services

    document = services.document_save(
        actor=staff_user, data={"kind": Document.Kind.REPORT, "title_en": "Report"}
    )
    client.force_login(staff_user)
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(101)]
    response = client.post(
        f"/en/staff/documents/{document.pk}/upload/", {"language": "en", "file": files}
    )
    assert response.status_code == 400
    assert not document.versions.exists()


# HTML and script in the text fields of the portal and staff forms (§3 C 21-25)


def test_markup_in_a_survey_comment_is_stored_as_typed_and_shown_escaped(
    client, staff_user, delegate
):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    response = client.post(_url("", survey), _answer(survey, comment=PAYLOAD))
    assert response.status_code == 302
    assert Response.objects.get().comment == PAYLOAD
    assert_html_safe("receipt", client.get(_url("receipt", survey)).content.decode())


def test_markup_in_every_field_of_the_delegate_form_is_stored_as_typed(client, focal_point):
    client.force_login(focal_point.user)
    typed = {
        "honorific": PAYLOAD[:40],
        "given_name": PAYLOAD[:100],
        "family_name": '"><img src=x onerror=alert(1)>',
        "job_title": PAYLOAD[:200],
    }
    response = client.post(
        "/en/portal/delegation/add/",
        {
            **typed,
            "email": "typed@mission.example.org",
            "gender": "female",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(email="typed@mission.example.org")
    assert {name: getattr(person, name) for name in typed} == typed
    assert_html_safe("delegation", client.get("/en/portal/delegation/").content.decode())


def test_markup_in_the_staff_document_form_is_stored_as_typed_and_shown_escaped(client, staff_user):
    client.force_login(staff_user)
    typed = {
        "title_en": PAYLOAD,
        "title_fr": PAYLOAD,
        "title_es": PAYLOAD,
        "summary_en": PAYLOAD,
        "summary_fr": PAYLOAD,
        "summary_es": PAYLOAD,
    }
    response = client.post(
        "/en/staff/documents/add/", {**typed, "kind": "report", "visibility": "public"}
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert {name: getattr(document, name) for name in typed} == typed
    page = client.get(f"/en/staff/documents/{document.pk}/").content.decode()
    assert_html_safe("staff document", page)


def test_markup_in_the_staff_proposal_form_and_its_questions_is_stored_as_typed(client, staff_user):
    cycle = CycleFactory()
    client.force_login(staff_user)
    response = client.post(
        f"/en/staff/cycles/{cycle.pk}/proposals/add/",
        {
            "kind": "theme",
            "position": "1",
            "title_en": PAYLOAD,
            "summary_en": PAYLOAD,
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "questions-0-en": PAYLOAD,
            "questions-0-ORDER": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal = cycle.proposals.get()
    assert (proposal.title_en, proposal.summary_en) == (PAYLOAD, PAYLOAD)
    assert proposal.questions.get().text_en == PAYLOAD
    page = client.get(f"/en/staff/cycles/{cycle.pk}/").content.decode()
    assert_html_safe("staff cycle", page)
    assert_html_safe("public cycle", client.get(f"/en/cycles/{cycle.year}/").content.decode())


# Unicode names (issue 7: "Côte d'Ivoire", "Türkiye")


@pytest.mark.parametrize(("code", "name"), [("CIV", "Côte d'Ivoire"), ("TUR", "Türkiye")])
def test_unicode_names_round_trip_through_pages_exports_and_the_api(client, staff_user, code, name):
    MemberFactory(code=code)
    page = client.get(f"/en/members/{code}/").content.decode()
    assert name in page.replace("&#x27;", "'").replace("&#39;", "'")
    client.force_login(staff_user)
    exported = client.get("/en/staff/members/export.csv").content.decode("utf-8-sig")
    assert name in [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get("/en/staff/members/export.xlsx").content)
    )
    assert name in [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert client.get(f"/api/v1/members/{code}").json()["name"] == name


# Forged CSRF on the survey submission (§3 D 31)


def test_a_survey_answer_with_another_sessions_csrf_token_is_refused(staff_user, delegate):
    survey = _survey(staff_user)
    other = Client(enforce_csrf_checks=True)
    other.get("/en/portal/login/")
    foreign_token = other.cookies[django_settings.CSRF_COOKIE_NAME].value
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(delegate.user)
    page = browser.get(_url("", survey))
    assert page.status_code == 200
    forged = {**_answer(survey), "csrfmiddlewaretoken": foreign_token}
    assert browser.post(_url("", survey), forged).status_code == 403
    assert browser.post(_url("", survey), _answer(survey)).status_code == 403
    assert not Response.objects.exists() and not ResponseVersion.objects.exists()


# A cancelled or unknown event (§3 "a deleted event")


def test_registering_for_a_cancelled_event_is_refused_with_a_message(client, delegate):
    event = EventFactory(
        status=Event.Status.CANCELLED,
        cancellation_reason=Event.CancellationReason.choices[0][0],
        is_public=True,
    )
    client.force_login(delegate.user)
    response = client.post(f"/en/portal/events/{event.pk}/register/", follow=True)
    assert response.status_code in (200, 403, 404)
    assert not Registration.objects.exists()
    if response.status_code == 200:
        assert response.context["messages"], "refused without saying why"


def test_an_unknown_event_is_not_found(client, delegate):
    client.force_login(delegate.user)
    assert client.get("/en/portal/events/999999/").status_code == 404
    assert client.post("/en/portal/events/999999/register/").status_code == 404
    assert client.get("/en/events/999999/").status_code == 404


# Redirects after login (§3 C 26)


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "//evil.example",
        "https:evil.example",
        "https://evil.example/",
        "\\\\evil.example",
        "/\\evil.example",
        " //evil.example",
    ],
)
def test_login_never_redirects_off_site(client, delegate, target):
    page = client.get("/en/portal/login/", {"next": target})
    assert_html_safe("login page", page.content.decode(), shows_payload=False)
    response = client.post(
        "/en/portal/login/?" + f"next={target}",
        {"username": delegate.user.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil.example" not in location and "javascript" not in location


# Host header poisoning (§3 D 32)


def test_a_foreign_host_header_is_refused_with_400(client, delegate):
    response = client.post(
        "/en/portal/password/reset/", {"email": delegate.email}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert not mail.outbox


def test_links_in_mails_use_the_site_address_whatever_the_forwarded_host(
    client, focal_point, settings, staff_user, django_capture_on_commit_callbacks
):
    from dialogue.events import registration

    settings.SITE_URL = "https://dialogue.example.org"
    forwarded = {"HTTP_X_FORWARDED_HOST": "evil.example"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/portal/password/reset/", {"email": focal_point.email}, **forwarded)
        client.force_login(focal_point.user)
        client.post(
            "/en/portal/delegation/add/",
            {
                "given_name": "Awa",
                "family_name": "Diop",
                "email": "awa@mission.example.org",
                "gender": "female",
                "preferred_language": "fr",
            },
            **forwarded,
        )
        start = clock.today().replace(year=clock.today().year + 1)
        event = EventFactory(
            status=Event.Status.CONFIRMED,
            precision=Event.Precision.DAY,
            year=start.year,
            start_date=start,
            end_date=start,
        )
        expert = PersonFactory(delegation=None, role=Person.Role.EXPERT)
        registration.invite_persons(actor=staff_user, event=event, persons=[expert])
    subjects = [message.subject for message in mail.outbox]
    assert len(mail.outbox) == 3, subjects
    for message in mail.outbox:
        links = re.findall(r"https?://[^\s>]+", message.body)
        assert links, message.subject
        assert all(link.startswith("https://dialogue.example.org/") for link in links), links


# Injection in search, filter and sort parameters (§3 C 28)


@pytest.mark.parametrize("value", SQLISH)
def test_sql_like_text_in_search_filter_and_sort_parameters_is_never_a_server_error(
    client, staff_user, value
):
    public = [
        ("/en/search/", {"q": value}),
        ("/en/search/", {"q": "migration", "kind": value, "language": value, "sort": value}),
        ("/en/events/", {"kind": value, "year": value, "sort": value}),
        ("/en/publications/", {"kind": value, "q": value, "sort": value, "page": value}),
        ("/en/members/", {"kind": value, "region": value, "sort": value}),
    ]
    for url, query in public:
        response = client.get(url, query)
        assert response.status_code in (200, 400), (url, query, response.status_code)
    client.force_login(staff_user)
    staff = [
        ("/en/staff/documents/", {"q": value, "kind": value, "page": value}),
        ("/en/staff/events/", {"q": value, "status": value, "sort": value}),
        ("/en/staff/audit/", {"actor": value, "object_type": value, "since": value}),
        ("/en/staff/cycles/interest/", {"q": value, "member": value}),
    ]
    for url, query in staff:
        response = client.get(url, query)
        assert response.status_code in (200, 400), (url, query, response.status_code)
    api = [
        ("/api/v1/documents", {"kind": value, "q": value}),
        ("/api/v1/documents/search", {"q": value}),
        ("/api/v1/events", {"kind": value, "status": value}),
        ("/api/v1/members", {"kind": value, "cursor": value}),
    ]
    for url, query in api:
        response = client.get(url, query)
        assert response.status_code in (200, 400, 422), (url, query, response.status_code)
        if response.status_code != 200:
            assert set(response.json()["error"]) >= {"code", "message"}


# Numbers out of range and deeply nested JSON in API payloads (§3 A 10, 12)


@pytest.fixture
def answering(staff_user, monkeypatch):
    """A delegate's token and an open survey the API accepts answers to."""
    from dialogue.api.tests.factories import bearer, make_token
    from dialogue.surveys.tests.factories import DURING, PublishedSurveyFactory, delegate_of

    monkeypatch.setattr(clock, "now", lambda: DURING)
    survey = PublishedSurveyFactory(actor=staff_user)
    headers = bearer(make_token(delegate_of(MemberFactory())))
    return survey, headers


def _put(client, survey, body, headers):
    return client.put(
        f"/api/v1/surveys/{survey.pk}/response",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        **headers,
    )


@pytest.mark.parametrize(
    "number",
    ["-1", "0", str(2**31), str(2**63), "1e309", "NaN", "Infinity", '"{option}"', "true", "[]"],
)
def test_numbers_out_of_range_in_an_answer_are_refused_with_the_error_shape(
    client, answering, number
):
    survey, headers = answering
    (question,) = survey.questions.all()
    chosen = number.format(option=question.options.first().pk)
    body = f'{{"answers": {{"{question.pk}": [{chosen}]}}, "comment": ""}}'
    response = _put(client, survey, body, headers)
    assert 400 <= response.status_code < 500, (number, response.status_code)
    assert set(response.json()["error"]) >= {"code", "message"}
    assert not Response.objects.exists()


@pytest.mark.parametrize("number", ["-1", str(2**63), "1e309", "NaN"])
def test_a_question_id_out_of_range_is_refused(client, answering, number):
    survey, headers = answering
    body = f'{{"answers": {{"{number}": [1]}}, "comment": ""}}'
    response = _put(client, survey, body, headers)
    assert 400 <= response.status_code < 500, response.status_code
    assert not Response.objects.exists()


@pytest.mark.parametrize("number", ["-1", str(2**63), "1e309", "NaN", '"1"', "true", "1.5"])
def test_an_expected_version_out_of_range_or_of_the_wrong_type_is_refused(
    client, answering, number
):
    survey, headers = answering
    (question,) = survey.questions.all()
    answers = f'{{"{question.pk}": [{question.options.first().pk}]}}'
    body = f'{{"answers": {answers}, "comment": "", "expected_version": {number}}}'
    response = _put(client, survey, body, headers)
    assert 400 <= response.status_code < 500, response.status_code
    assert not Response.objects.exists()


def test_json_nested_10000_levels_deep_is_a_clear_400(client, answering):
    survey, headers = answering
    nested = "[" * 10_000 + "]" * 10_000
    for body in (nested, f'{{"answers": {nested}, "comment": ""}}'):
        response = _put(client, survey, body, headers)
        assert response.status_code == 400, response.status_code
        assert set(response.json()["error"]) >= {"code", "message"}
    assert not Response.objects.exists()


# A NUL byte in every free-text portal field (§3 A 13); this suite also runs on PostgreSQL.


@pytest.mark.parametrize("field", ["honorific", "given_name", "family_name", "job_title"])
def test_a_nul_byte_in_a_delegate_field_is_refused_with_a_message(client, focal_point, field):
    client.force_login(focal_point.user)
    before = _people()
    data = {
        "given_name": "Awa",
        "family_name": "Diop",
        "email": "awa@mission.example.org",
        "gender": "female",
        "preferred_language": "fr",
    }
    response = client.post("/en/portal/delegation/add/", {**data, field: "Awa\x00Diop"})
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.content.decode()
    assert _people() == before


def test_a_nul_byte_in_an_option_comment_is_refused(client, staff_user, delegate):
    survey = _survey(staff_user)
    first = survey.questions.order_by("position").first()
    first.option_comments = True
    first.save(update_fields=["option_comments"])
    option = first.options.order_by("position").first()
    client.force_login(delegate.user)
    response = client.post(
        _url("", survey), _answer(survey, **{f"option_{option.pk}_comment": "Oui\x00"})
    )
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.content.decode()
    assert not Response.objects.exists()


def test_a_nul_byte_in_an_api_token_name_is_refused(client, delegate):
    client.force_login(delegate.user)
    response = client.post("/en/portal/tokens/", {"name": "script\x00"})
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.content.decode()
    assert not delegate.user.api_tokens.exists()


# Header injection through names used in e-mails (§3 C 29)


def test_a_line_break_in_a_title_never_reaches_an_e_mail_header(
    staff_user, django_capture_on_commit_callbacks
):
    from dialogue.events import registration

    start = clock.today().replace(year=clock.today().year + 1)
    event = EventFactory(
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        year=start.year,
        start_date=start,
        end_date=start,
        title_en="Seminar\r\nBcc: victim@example.org",
    )
    person = PersonFactory(given_name="Awa\r\nBcc: victim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        registration.invite_persons(actor=staff_user, event=event, persons=[person])
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.recipients() == [person.email]
    assert "victim@example.org" not in str(message.message()["Bcc"] or "")
