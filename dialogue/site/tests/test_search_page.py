import re

import pytest

from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.models import Document
from dialogue.events.tests.factories import EventFactory
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db


def test_an_empty_query_shows_the_form_only(client):
    response = client.get("/en/search/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="search"' in page
    for name in ("q", "cycle", "event", "kind", "language"):
        assert f'<label for="id_{name}">' in page
    assert "Results" not in page


def test_results_show_escaped_snippets_with_marked_words_and_the_total(client):
    document = make_document(
        title_en="Labour <mobility> report",
        summary_en="Circular migration & <b>labour</b> mobility in Côte d'Ivoire.",
    )
    response = client.get("/en/search/", {"q": "mobility"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 document found for “mobility”." in page
    assert f'href="/en/publications/{document.pk}/"' in page
    assert "Labour &lt;mobility&gt; report" in page
    assert "<mark>mobility</mark>" in page
    assert "<b>labour</b>" not in page
    assert "Côte d&#x27;Ivoire" in page


def test_filters_narrow_the_results_and_are_kept_in_the_form(client):
    cycle = CycleFactory(year=2007)
    event = EventFactory(cycle=cycle, status="confirmed")
    inside = make_document(title_en="Remittances in 2007", cycle=cycle, event=event)
    make_document(title_en="Remittances elsewhere", kind=Document.Kind.BACKGROUND_PAPER)
    page = client.get(
        "/en/search/",
        {"q": "remittances", "cycle": cycle.pk, "event": event.pk, "kind": "report"},
    ).content.decode()
    assert inside.title_en in page and "Remittances elsewhere" not in page
    assert f'<option value="{cycle.pk}" selected>' in page
    assert f'<option value="{event.pk}" selected>' in page
    assert '<option value="report" selected>' in page


def test_bad_input_shows_the_message_with_status_400(client):
    make_document(title_en="Remittances")
    for params, field in (
        ({"q": "remittances", "kind": "poem"}, "kind"),
        ({"q": "remittances", "cycle": "<script>"}, "cycle"),
        ({"q": "remittances", "language": "de"}, "language"),
        ({"q": "x" * 500}, "q"),
    ):
        response = client.get("/en/search/", params)
        page = response.content.decode()
        assert response.status_code == 400, params
        assert 'role="alert"' in page
        assert re.search(rf'id="id_{field}" name="{field}"[^>]*aria-invalid="true"', page)
        assert page.count("aria-invalid") == 1
        assert "<script>" not in page


def test_results_are_paginated_keeping_the_query_and_filters(client):
    for number in range(23):
        make_document(title_en=f"Remittances paper {number}")
    page = client.get("/en/search/", {"q": "remittances", "kind": "report"}).content.decode()
    assert "23 documents found" in page
    assert "Page 1 of 2" in page
    assert 'href="?q=remittances&amp;kind=report&amp;page=2"' in page
    second = client.get(
        "/en/search/", {"q": "remittances", "kind": "report", "page": "2"}
    ).content.decode()
    assert second.count("Remittances paper") == 3
    assert 'start="21"' in second
    assert client.get("/en/search/", {"q": "remittances", "page": "zz"}).status_code == 200


def test_members_only_documents_are_found_by_delegates_only(client, delegate, observer_delegate):
    make_document(title_en="Remittances briefing", visibility=Document.Visibility.MEMBERS)
    make_document(title_en="Remittances memo", visibility=Document.Visibility.STAFF)
    assert (
        "Remittances briefing"
        not in client.get("/en/search/", {"q": "remittances"}).content.decode()
    )
    for person in (delegate, observer_delegate):
        client.force_login(person.user)
        page = client.get("/en/search/", {"q": "remittances"}).content.decode()
        assert "Remittances briefing" in page and "Remittances memo" not in page


def test_search_page_has_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    cycle = CycleFactory()
    for number in range(5):
        make_document(
            title_en=f"Remittances {number}", cycle=cycle, event=EventFactory(cycle=cycle)
        )
    with django_assert_max_num_queries(6):
        assert client.get("/en/search/", {"q": "remittances"}).status_code == 200
