import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from dialogue.api.tests.factories import make_token
from dialogue.cycles.tests.factories import CycleFactory, ThemeFactory
from dialogue.documents.models import Document
from dialogue.members.tests.factories import PersonFactory
from dialogue.site.tests.document_factories import make_document

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def test_the_openapi_schema_is_served_and_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    schemathesis.openapi.from_dict(document).validate()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/documents/{document_id}/versions/{language}/download" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_every_operation_declares_its_error_responses(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"200", "401"} <= declared, (method, path)
            for status in declared - {"200"}:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/ErrorOut"), (method, path, status)


def test_the_interactive_documentation_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
    # served from the platform's own static files, so it works without reaching a CDN
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content
    assert b"cdn" not in response.content.lower()


@pytest.fixture
def _keep_the_test_connection():
    """Requests go to the WSGI application itself, which closes the database connection
    after each request; as Django's test client does, the test's connection is kept open."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def delegate_headers(db, delegate, _keep_the_test_connection):
    """A delegate's token, with some data for the API to show."""
    PersonFactory(delegation=delegate.delegation)
    ThemeFactory(cycle=CycleFactory(year=2008))
    make_document(text="Labour mobility and circular migration.")
    make_document(visibility=Document.Visibility.MEMBERS, languages=("en", "fr"))
    return {"Authorization": f"Bearer {make_token(delegate.user)}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_never_fails_and_always_answers_as_its_schema_says(case, delegate_headers):
    """Every check but two that do not fit: a cursor is an opaque token only the API makes,
    so a made-up one is rightly refused (positive data acceptance); and the valid token sent
    with every case rightly wins over a made-up session cookie (ignored auth; refused
    tokens are tested in test_auth). A body over the size limit is refused with 413, a
    rejection the negative-data check does not list, so it is checked here instead."""
    response = case.call(headers=delegate_headers)
    if response.status_code == 413:
        assert response.json()["error"]["code"] == "payload_too_large"
        return
    case.validate_response(response, excluded_checks=[positive_data_acceptance, ignored_auth])
