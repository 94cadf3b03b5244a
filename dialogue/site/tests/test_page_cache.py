import re

import pytest
from django.test import Client

from dialogue.documents.models import Document
from dialogue.site.cache import CACHED_HEADER
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db

PAGES = ("/en/", "/en/cycles/", "/en/events/", "/en/publications/", "/en/feeds/news.atom")


def _is_cached(response) -> bool:
    return response.get(CACHED_HEADER) == "hit"


def test_anonymous_visitors_get_a_shared_copy_for_a_short_time(client, page_cache):
    first = client.get("/en/publications/")
    assert not _is_cached(first)
    assert "public" in first["Cache-Control"] and "max-age=120" in first["Cache-Control"]
    make_document(title_en="Published a moment later")

    second = Client().get("/en/publications/")

    assert _is_cached(second)
    assert "public" in second["Cache-Control"]
    assert "Published a moment later" not in second.content.decode()


def test_every_public_page_is_cached_for_anonymous_visitors(client, page_cache):
    document = make_document()
    pages = (*PAGES, f"/en/publications/{document.pk}/", "/en/sitemap.xml")
    for url in pages:
        assert client.get(url).status_code == 200
    for url in pages:
        assert _is_cached(Client().get(url)), url


def test_the_cache_is_kept_per_language_and_query(client, page_cache):
    assert '<html lang="en">' in client.get("/en/").content.decode()
    assert '<html lang="fr">' in client.get("/fr/").content.decode()
    client.get("/en/publications/?kind=report")
    assert not _is_cached(client.get("/en/publications/?kind=other"))


def test_a_delegate_never_receives_the_anonymous_copy_and_never_leaves_one(
    client, delegate, page_cache
):
    make_document(title_en="Members' briefing", visibility=Document.Visibility.MEMBERS)
    for url in PAGES[:4]:
        Client().get(url)

    client.force_login(delegate.user)
    for url in PAGES[:4]:
        response = client.get(url)
        assert not _is_cached(response), url
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "Members&#x27; briefing" in client.get("/en/publications/").content.decode()
    assert "Members&#x27; briefing" in client.get("/en/").content.decode()

    anonymous = Client().get("/en/publications/")
    assert _is_cached(anonymous)
    assert "Members&#x27; briefing" not in anonymous.content.decode()


def test_a_delegates_page_is_not_stored_for_anonymous_visitors(client, delegate, page_cache):
    make_document(title_en="Members' briefing", visibility=Document.Visibility.MEMBERS)
    client.force_login(delegate.user)
    client.get("/en/publications/")
    anonymous = Client().get("/en/publications/")
    assert not _is_cached(anonymous)
    assert "Members&#x27; briefing" not in anonymous.content.decode()


def test_a_visitor_with_pending_messages_gets_a_fresh_page(client, page_cache):
    Client().get("/en/")
    client.cookies["messages"] = "anything"
    assert not _is_cached(client.get("/en/"))


def test_a_cached_page_carries_a_csrf_token_of_the_visitor_who_gets_it(page_cache):
    Client().get("/en/events/")
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.get("/en/events/")
    assert _is_cached(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert token and token.group(1) != "__csrf_token__"

    switched = visitor.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/en/events/", "csrfmiddlewaretoken": token.group(1)},
    )

    assert switched.status_code == 302


def test_anonymous_search_results_are_shared_but_errors_and_staff_results_are_not(
    client, page_cache, staff_user
):
    make_document(title_en="Remittances")
    client.get("/en/search/", {"q": "remittances"})
    assert _is_cached(Client().get("/en/search/", {"q": "remittances"}))
    assert not _is_cached(Client().get("/en/search/", {"q": "remittance"}))
    assert Client().get("/en/search/", {"q": "x", "kind": "poem"}).status_code == 400
    assert not _is_cached(Client().get("/en/search/", {"q": "x", "kind": "poem"}))
    staff = Client()
    staff.force_login(staff_user)
    assert not _is_cached(staff.get("/en/search/", {"q": "remittances"}))
