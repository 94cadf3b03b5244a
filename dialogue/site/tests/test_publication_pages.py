import pytest

from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.models import Document, LanguageVersion
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.site.tests.document_factories import make_document, make_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    series = make_series("IDM Series", name_fr="Série DIM")
    cycle = CycleFactory(year=2007, name_en="IDM 2007")
    report = make_document(
        title_en="Migration and development",
        title_fr="Migration et développement",
        summary_en="Report of the workshop.",
        series=series,
        series_number=11,
        cycle=cycle,
        languages=("en", "fr"),
    )
    note = make_document(
        title_en="Discussion Note 2007", kind=Document.Kind.DISCUSSION_NOTE, cycle=cycle
    )
    return {"series": series, "cycle": cycle, "report": report, "note": note}


def test_the_publications_list_shows_visible_documents_with_series_numbers(client, library):
    make_document(title_en="Members' paper", visibility=Document.Visibility.MEMBERS)
    response = client.get("/en/publications/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Migration and development" in page and "Discussion Note 2007" in page
    assert "IDM Series No. 11" in page
    assert f'href="/en/publications/series/{library["series"].pk}/"' in page
    assert "Members&#x27; paper" not in page
    assert "2 documents." in page
    assert '<label for="id_kind">' in page


def test_the_publications_list_filters_by_series_kind_and_cycle(client, library):
    other = make_document(title_en="Unrelated paper")
    page = client.get("/en/publications/", {"series": library["series"].pk}).content.decode()
    assert "Migration and development" in page and "Discussion Note 2007" not in page
    page = client.get("/en/publications/", {"kind": "discussion_note"}).content.decode()
    assert "Discussion Note 2007" in page and "Migration and development" not in page
    page = client.get("/en/publications/", {"cycle": "2007"}).content.decode()
    assert "Discussion Note 2007" in page and other.title_en not in page


def test_bad_filter_values_are_ignored_with_a_notice(client, library):
    response = client.get(
        "/en/publications/",
        {"series": "<script>", "kind": "poem", "cycle": "1850", "page": "x"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The filter “Series” was not understood and is ignored." in page
    assert "The filter “Kind” was not understood and is ignored." in page
    assert "The filter “Cycle” was not understood and is ignored." in page
    assert "<script>" not in page
    assert "Discussion Note 2007" in page


def test_the_publications_list_is_paginated_keeping_the_filters(client, library):
    for number in range(23):
        make_document(title_en=f"Training handout {number}", kind=Document.Kind.TRAINING_MATERIAL)
    page = client.get("/en/publications/", {"kind": "training_material"}).content.decode()
    assert "Page 1 of 2" in page
    assert 'href="?kind=training_material&amp;page=2"' in page
    second = client.get(
        "/en/publications/", {"kind": "training_material", "page": "2"}
    ).content.decode()
    assert second.count("Training handout") == 3
    assert client.get("/en/publications/", {"page": "999"}).status_code == 200


def test_a_document_page_shows_what_it_is_and_its_files(client, library):
    report = library["report"]
    page = client.get(f"/fr/publications/{report.pk}/").content.decode()
    assert "Migration et développement" in page
    assert "Série DIM" in page and "n° 11" in page
    assert 'href="/fr/cycles/2007/"' in page
    for version in report.versions.all():
        assert f'href="/fr/publications/files/{version.pk}/"' in page
    assert "text/plain" in page
    assert "<title>Migration et développement · Publications · Dialogue</title>" in page
    assert '<span lang="en">Report of the workshop.</span>' not in page
    assert '<div lang="en"><p>Report of the workshop.</p></div>' in page


def test_a_document_published_elsewhere_says_where(client):
    document = make_document(
        title_en="World Migration Report", external_url="https://www.example.org/wmr", languages=()
    )
    page = client.get(f"/en/publications/{document.pk}/").content.decode()
    assert "Published elsewhere, at example.org" in page
    assert 'href="https://www.example.org/wmr" rel="noopener external"' in page


def test_a_document_the_viewer_may_not_see_is_not_found(client, delegate):
    members = make_document(visibility=Document.Visibility.MEMBERS)
    assert client.get(f"/en/publications/{members.pk}/").status_code == 404
    assert client.get("/en/publications/999999/").status_code == 404
    client.force_login(delegate.user)
    assert client.get(f"/en/publications/{members.pk}/").status_code == 200


def test_staff_see_drafts_marked_as_such(client, staff_user):
    draft = make_document(title_en="Draft report", status=Document.Status.DRAFT)
    client.force_login(staff_user)
    page = client.get(f"/en/publications/{draft.pk}/").content.decode()
    assert '<span class="status-badge">Draft</span>' in page
    assert "Draft report" in client.get("/en/publications/").content.decode()


def test_a_series_page_lists_its_documents_by_number(client, library):
    series = library["series"]
    make_document(title_en="Labour mobility", series=series, series_number=12)
    page = client.get(f"/en/publications/series/{series.pk}/").content.decode()
    assert page.index("Labour mobility") < page.index("Migration and development")
    assert "Discussion Note 2007" not in page
    assert "<h1>IDM Series</h1>" in page


def test_an_unknown_or_empty_series_is_not_found(client):
    empty = make_series("Empty series")
    assert client.get(f"/en/publications/series/{empty.pk}/").status_code == 404
    assert client.get("/en/publications/series/999999/").status_code == 404


def test_titles_are_escaped_and_unicode_kept(client):
    document = make_document(title_en="<script>alert(1)</script> Côte d'Ivoire")
    for url in ("/en/publications/", f"/en/publications/{document.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Côte d&#x27;Ivoire" in page


def test_a_download_is_an_attachment_with_a_safe_name_and_strict_headers(client):
    document = make_document(title_en='Côte d\'Ivoire: "report"/../<x>', text="Bonjour")
    version = document.versions.get()
    LanguageVersion.objects.filter(pk=version.pk).update(original_name="../../etc/passwd.TXT")

    response = client.get(f"/en/publications/files/{version.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Bonjour"
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="cote-divoire-reportx-en.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "public" in response["Cache-Control"]


def test_a_download_the_viewer_may_not_have_is_not_found(client, delegate):
    members = make_document(visibility=Document.Visibility.MEMBERS).versions.get()
    draft = make_document(version_status=LanguageVersion.Status.DRAFT).versions.get()
    for version in (members, draft):
        assert client.get(f"/en/publications/files/{version.pk}/").status_code == 404
    assert client.get("/en/publications/files/999999/").status_code == 404
    client.force_login(delegate.user)
    response = client.get(f"/en/publications/files/{members.pk}/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert client.get(f"/en/publications/files/{draft.pk}/").status_code == 404


def test_an_event_page_lists_its_materials_with_downloads_and_external_links(client):
    event = EventFactory(dated=True, status=Event.Status.HELD, title_en="Seminar")
    report = make_document(event=event, title_en="Seminar report", languages=("en", "es"))
    make_document(
        event=event,
        title_en="Keynote",
        kind=Document.Kind.PRESENTATION,
        external_url="https://slides.example.net/k",
        languages=(),
    )
    make_document(event=event, title_en="Members' briefing", visibility="members")

    page = client.get(f"/en/events/{event.pk}/").content.decode()

    assert "Materials and reports" in page
    assert "Seminar report" in page
    for version in report.versions.all():
        assert f'href="/en/publications/files/{version.pk}/"' in page
    assert "Download in Spanish" in page
    assert "Published elsewhere, at slides.example.net" in page
    assert "Members&#x27; briefing" not in page


def test_publication_pages_have_a_fixed_number_of_queries(
    client, library, django_assert_max_num_queries
):
    series = library["series"]
    event = EventFactory(status=Event.Status.CONFIRMED)
    for number in range(5):
        make_document(
            series=series,
            series_number=20 + number,
            event=event,
            cycle=library["cycle"],
            languages=("en", "fr", "es"),
        )
    with django_assert_max_num_queries(5):
        assert client.get("/en/publications/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(f"/en/publications/series/{series.pk}/").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(f"/en/publications/{library['report'].pk}/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/en/events/{event.pk}/").status_code == 200
