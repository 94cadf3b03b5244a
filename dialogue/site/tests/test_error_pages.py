"""Error pages: in the site's layout and language, saying what happened and what to do."""

import pytest
from django.test import Client
from django.urls import path

from dialogue import urls as project_urls

pytestmark = pytest.mark.django_db


def _broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("broken/", _broken_view), *project_urls.urlpatterns]


def test_a_missing_page_is_a_404_in_the_site_layout_in_the_readers_language(client):
    english = client.get("/en/no-such-page/")
    french = client.get("/fr/no-such-page/")

    assert english.status_code == french.status_code == 404
    assert "<h1>Page not found</h1>" in english.content.decode()
    assert 'class="site-header"' in english.content.decode()
    assert '<html lang="fr">' in french.content.decode()
    assert "Page not found" not in french.content.decode()
    assert '<meta name="robots" content="noindex">' in english.content.decode()


def test_a_form_sent_without_its_csrf_token_explains_that_nothing_was_saved():
    page = Client(enforce_csrf_checks=True).post("/en/portal/login/", {"username": "x"})

    assert page.status_code == 403
    assert "nothing was saved" in page.content.decode()
    assert "CSRF verification failed" not in page.content.decode()


def test_a_body_over_the_limit_gets_a_413_page_saying_nothing_was_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    page = client.post("/en/portal/login/", {"username": "x" * 2048, "password": "y"})

    assert page.status_code == 413
    assert "<h1>What was sent is too large</h1>" in page.content.decode()
    assert "Nothing was read or saved" in page.content.decode()


def test_a_form_with_too_many_fields_gets_a_400_page_saying_nothing_was_saved(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    page = client.post("/en/portal/login/", {f"field{n}": "x" for n in range(20)})

    assert page.status_code == 400
    assert "<h1>The request could not be read</h1>" in page.content.decode()
    assert "Nothing was saved" in page.content.decode()


def test_a_request_for_another_host_gets_the_400_page(client):
    page = client.get("/en/", headers={"host": "evil.example"})

    assert page.status_code == 400
    assert "The request could not be read" in page.content.decode()
    assert "evil.example" not in page.content.decode()


@pytest.mark.urls(__name__)
def test_a_server_error_gets_a_page_without_details():
    page = Client(raise_request_exception=False).get("/broken/")

    assert page.status_code == 500
    assert "<h1>Something went wrong</h1>" in page.content.decode()
    assert "boom" not in page.content.decode()
    assert "Traceback" not in page.content.decode()
