"""Idempotent writes, on a write operation made for this test (the API's own write
operations come later and use the same decorator)."""

import json
import threading

import pytest
from django.db import connection
from django.urls import path
from ninja import NinjaAPI, Router, Schema
from ninja.responses import Status

from dialogue.api import errors, services
from dialogue.api.auth import SIGNED_IN
from dialogue.api.idempotency import idempotent
from dialogue.api.models import IdempotencyRecord
from dialogue.api.schemas import ErrorOut, Input
from dialogue.api.tests.factories import bearer, make_token
from dialogue.core.errors import DomainError
from dialogue.documents import services as document_services
from dialogue.documents.models import PublicationSeries

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class SeriesIn(Input):
    name_en: str


class SeriesOut(Schema):
    id: int
    name_en: str


router = Router(auth=SIGNED_IN)


@router.post("/series", response={201: SeriesOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
@idempotent
def create_series(request, payload: SeriesIn):
    series = document_services.series_create(actor=request.user, name_en=payload.name_en)
    return Status(201, {"id": series.pk, "name_en": series.name_en})


@router.post("/series-then-fail", response={201: SeriesOut, 401: ErrorOut, 422: ErrorOut})
@idempotent
def create_series_then_fail(request, payload: SeriesIn):
    document_services.series_create(actor=request.user, name_en=payload.name_en)
    raise RuntimeError("the server fails after the write")


@router.post("/series-then-refuse", response={201: SeriesOut, 401: ErrorOut, 422: ErrorOut})
@idempotent
def create_series_then_refuse(request, payload: SeriesIn):
    document_services.series_create(actor=request.user, name_en=payload.name_en)
    raise DomainError("Refused after the write.", field="name_en")


slow_write_started = threading.Event()
slow_write_may_finish = threading.Event()


@router.post("/slow-series", response={201: SeriesOut, 401: ErrorOut, 422: ErrorOut})
@idempotent
def create_series_slowly(request, payload: SeriesIn):
    series = document_services.series_create(actor=request.user, name_en=payload.name_en)
    slow_write_started.set()
    slow_write_may_finish.wait(timeout=30)
    return Status(201, {"id": series.pk, "name_en": series.name_en})


test_api = NinjaAPI(urls_namespace="idempotency-test", docs_url=None, openapi_url=None)
errors.install(test_api)
test_api.add_router("", router)
urlpatterns = [path("api/", test_api.urls)]


def _post(client, body, url="/api/series", **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def staff_headers(staff_user):
    return bearer(make_token(staff_user))


def test_a_retried_write_returns_the_first_answer_and_writes_once(client, staff_headers):
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "create-series-1"}
    first = _post(client, {"name_en": "IDM Series"}, **headers)
    again = _post(client, {"name_en": "IDM Series"}, **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert PublicationSeries.objects.count() == 1


def test_without_a_key_a_repeated_write_is_refused_by_the_domain(client, staff_headers):
    assert _post(client, {"name_en": "IDM Series"}, **staff_headers).status_code == 201
    again = _post(client, {"name_en": "IDM Series"}, **staff_headers)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "domain_error"
    assert again.json()["error"]["fields"][0]["field"] == "name_en"


def test_a_key_reused_with_another_body_is_refused_and_changes_nothing(client, staff_headers):
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}
    _post(client, {"name_en": "IDM Series"}, **headers)
    response = _post(client, {"name_en": "Other"}, **headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(PublicationSeries.objects.values_list("name_en", flat=True)) == ["IDM Series"]


def test_keys_belong_to_one_account(client, staff_headers, staff_user):
    from dialogue.members.tests.factories import StaffUserFactory

    other = bearer(make_token(StaffUserFactory()))
    _post(client, {"name_en": "IDM Series"}, **staff_headers, HTTP_IDEMPOTENCY_KEY="k")
    response = _post(client, {"name_en": "Second"}, **other, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_first_answer_is_replayed_too(client, delegate):
    headers = {**bearer(make_token(delegate.user)), "HTTP_IDEMPOTENCY_KEY": "k"}
    first = _post(client, {"name_en": "IDM Series"}, **headers)
    again = _post(client, {"name_en": "IDM Series"}, **headers)
    assert first.status_code == again.status_code == 403
    assert again["Idempotent-Replayed"] == "true"


def test_a_request_refused_before_the_write_stores_no_key(client, staff_headers):
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}
    assert _post(client, {"name_en": "IDM", "extra": 1}, **headers).status_code == 422
    assert not IdempotencyRecord.objects.exists()
    assert _post(client, {"name_en": "IDM"}, **headers).status_code == 201


def test_an_overlong_key_names_the_header(client, staff_headers):
    response = _post(client, {"name_en": "IDM"}, **staff_headers, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    assert not PublicationSeries.objects.exists()


def test_a_server_error_after_the_write_keeps_neither_the_write_nor_the_key(client, staff_headers):
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}
    for _attempt in range(2):
        response = _post(client, {"name_en": "IDM"}, url="/api/series-then-fail", **headers)
        assert response.status_code == 500
        assert not PublicationSeries.objects.exists()
        assert not IdempotencyRecord.objects.exists()


def test_a_refusal_after_a_write_undoes_the_write_and_is_replayed(client, staff_headers):
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}
    first = _post(client, {"name_en": "IDM"}, url="/api/series-then-refuse", **headers)
    again = _post(client, {"name_en": "IDM"}, url="/api/series-then-refuse", **headers)
    assert first.status_code == again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"
    assert not PublicationSeries.objects.exists()
    assert IdempotencyRecord.objects.get().status_code == 422


def test_a_crash_between_the_write_and_keeping_its_answer_keeps_neither(
    client, staff_headers, monkeypatch
):
    """The write and its idempotency record are one transaction: if keeping the answer
    fails, the write is undone too, and the retry writes exactly once."""
    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}

    def crash(**_arguments):
        raise RuntimeError("the process dies before the answer is kept")

    with monkeypatch.context() as patched:
        patched.setattr(services, "idempotency_answer", crash)
        with pytest.raises(RuntimeError):
            _post(client, {"name_en": "IDM"}, **headers)
    assert not PublicationSeries.objects.exists()
    assert not IdempotencyRecord.objects.exists()

    retried = _post(client, {"name_en": "IDM"}, **headers)
    assert retried.status_code == 201
    assert PublicationSeries.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_retry_sent_while_the_first_request_is_still_writing_waits_and_gets_its_answer(
    staff_headers,
):
    from django.test import Client

    headers = {**staff_headers, "HTTP_IDEMPOTENCY_KEY": "k"}
    answers = {}

    def send(name):
        try:
            answers[name] = _post(Client(), {"name_en": "IDM"}, url="/api/slow-series", **headers)
        finally:
            connection.close()

    slow_write_started.clear()
    slow_write_may_finish.clear()
    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert slow_write_started.wait(timeout=30)
    retry = threading.Thread(target=send, args=("retry",))
    retry.start()
    retry.join(timeout=0.5)
    retry_waited = retry.is_alive()
    slow_write_may_finish.set()
    first.join(timeout=30)
    retry.join(timeout=30)

    assert retry_waited
    assert answers["first"].status_code == answers["retry"].status_code == 201
    assert answers["retry"].json() == answers["first"].json()
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert PublicationSeries.objects.count() == 1
