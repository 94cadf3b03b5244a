"""Each process keeps the public pages it has read from the shared cache, never longer
than the shared copy lasts."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from dialogue.site import cache as page_cache_module
from dialogue.site.cache import CACHED_HEADER
from dialogue.site.tests.document_factories import make_document


def _is_cached(response) -> bool:
    return response.get(CACHED_HEADER) == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_page_read_once_from_the_shared_cache_is_served_again_without_a_query(
    page_cache, django_assert_num_queries
):
    Client().get("/en/publications/")
    assert _is_cached(Client().get("/en/publications/"))

    with django_assert_num_queries(0):
        again = Client().get("/en/publications/")

    assert _is_cached(again)


@pytest.mark.django_db(transaction=True)
def test_a_kept_copy_is_not_served_once_the_shared_copy_has_expired(page_cache):
    Client().get("/en/publications/")
    Client().get("/en/publications/")
    make_document(title_en="Published a moment later")
    cache.clear()
    assert _is_cached(Client().get("/en/publications/"))

    for stored in page_cache_module._local_pages().values():
        stored["expires"] = 0
    fresh = Client().get("/en/publications/")

    assert not _is_cached(fresh)
    assert "Published a moment later" in fresh.content.decode()


@pytest.mark.django_db
def test_a_copy_read_inside_a_transaction_is_not_kept(page_cache, django_assert_num_queries):
    Client().get("/en/publications/")
    Client().get("/en/publications/")

    with django_assert_num_queries(1):
        again = Client().get("/en/publications/")

    assert _is_cached(again)
    assert not page_cache_module._local_pages()


@pytest.mark.django_db(transaction=True)
def test_each_visitor_still_gets_their_own_csrf_token_from_a_kept_copy(page_cache):
    Client().get("/en/events/")
    Client().get("/en/events/")

    first = Client().get("/en/events/")
    second = Client().get("/en/events/")

    assert _is_cached(first) and _is_cached(second)
    assert first.cookies[settings.CSRF_COOKIE_NAME].value
    assert first.content != second.content
