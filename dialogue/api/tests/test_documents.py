import pytest

from dialogue.api.tests.factories import bearer, make_token
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.models import Document, LanguageVersion
from dialogue.events.tests.factories import EventFactory
from dialogue.site.tests.document_factories import make_document, make_series

pytestmark = pytest.mark.django_db

MEMBERS = Document.Visibility.MEMBERS


def _ids(response) -> list[int]:
    return [d["id"] for d in response.json()["items"]]


def test_documents_are_listed_latest_first_as_the_site_shows_them(client, delegate):
    older, newer = make_document(), make_document()
    members_only = make_document(visibility=MEMBERS)
    make_document(status=Document.Status.DRAFT)
    make_document(visibility=Document.Visibility.STAFF)
    assert _ids(client.get("/api/v1/documents")) == [newer.pk, older.pk]
    as_delegate = client.get("/api/v1/documents", **bearer(make_token(delegate.user)))
    assert _ids(as_delegate) == [members_only.pk, newer.pk, older.pk]


def test_staff_also_list_drafts(client, staff_user):
    draft = make_document(status=Document.Status.DRAFT)
    published = make_document()
    response = client.get("/api/v1/documents", **bearer(make_token(staff_user)))
    assert set(_ids(response)) == {draft.pk, published.pk}


def test_documents_are_filtered_by_kind_cycle_event_and_series(client):
    cycle, event, series = CycleFactory(year=2007), EventFactory(), make_series()
    note = make_document(kind=Document.Kind.DISCUSSION_NOTE, cycle=cycle)
    material = make_document(event=event)
    numbered = make_document(series=series, series_number=1)
    assert _ids(client.get("/api/v1/documents?kind=discussion_note")) == [note.pk]
    assert _ids(client.get("/api/v1/documents?cycle=2007")) == [note.pk]
    assert _ids(client.get(f"/api/v1/documents?event={event.pk}")) == [material.pk]
    assert _ids(client.get(f"/api/v1/documents?series={series.pk}")) == [numbered.pk]
    assert _ids(client.get("/api/v1/documents?cycle=2010")) == []


def test_document_pages_cover_every_document_once_in_order(client):
    documents = [make_document() for _ in range(5)]
    seen, url = [], "/api/v1/documents?limit=2"
    while url:
        body = client.get(url).json()
        seen += _ids_of(body)
        url = body["next_cursor"] and f"/api/v1/documents?limit=2&cursor={body['next_cursor']}"
    assert seen == [d.pk for d in reversed(documents)]


def _ids_of(body) -> list[int]:
    return [d["id"] for d in body["items"]]


def test_a_document_shows_its_metadata_and_downloadable_versions(client):
    document = make_document(title_en="Labour mobility", languages=("en", "fr"))
    make_document()
    body = client.get(f"/api/v1/documents/{document.pk}").json()
    assert body["title"] == "Labour mobility"
    assert [v["language"] for v in body["versions"]] == ["en", "fr"]
    assert body["versions"][1]["download_url"] == (
        f"/api/v1/documents/{document.pk}/versions/fr/download"
    )


def test_a_members_only_document_is_not_found_for_the_public(client, delegate):
    members_only = make_document(visibility=MEMBERS)
    assert client.get(f"/api/v1/documents/{members_only.pk}").status_code == 404
    headers = bearer(make_token(delegate.user))
    assert client.get(f"/api/v1/documents/{members_only.pk}", **headers).status_code == 200


def test_a_version_downloads_as_a_sandboxed_attachment(client):
    document = make_document(title_en="Labour mobility", text="Words of the report.")
    response = client.get(f"/api/v1/documents/{document.pk}/versions/en/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Words of the report."
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_download_not_allowed_is_not_found(client, delegate):
    members_only = make_document(visibility=MEMBERS)
    draft_version = make_document(version_status=LanguageVersion.Status.DRAFT)
    url = f"/api/v1/documents/{members_only.pk}/versions/en/download"
    assert client.get(url).status_code == 404
    assert client.get(url, **bearer(make_token(delegate.user))).status_code == 200
    assert (
        client.get(f"/api/v1/documents/{draft_version.pk}/versions/en/download").status_code == 404
    )
    missing_language = f"/api/v1/documents/{members_only.pk}/versions/es/download"
    assert client.get(missing_language, **bearer(make_token(delegate.user))).status_code == 404


def test_search_finds_visible_documents_with_a_snippet(client, delegate):
    public = make_document(title_en="Labour mobility", text="Circular migration of workers.")
    members_only = make_document(visibility=MEMBERS, text="Circular schemes for members.")
    make_document(text="Nothing relevant.")
    anonymous = client.get("/api/v1/documents/search?q=circular").json()
    assert anonymous["total"] == 1
    assert anonymous["items"][0]["document"]["id"] == public.pk
    assert {"text": "Circular", "match": True} in anonymous["items"][0]["snippet"]
    as_delegate = client.get(
        "/api/v1/documents/search?q=circular", **bearer(make_token(delegate.user))
    ).json()
    assert {h["document"]["id"] for h in as_delegate["items"]} == {public.pk, members_only.pk}


def test_search_pages_with_a_cursor(client):
    documents = [make_document(text="Diaspora engagement.") for _ in range(3)]
    first = client.get("/api/v1/documents/search?q=diaspora&limit=2").json()
    assert first["total"] == 3 and len(first["items"]) == 2
    rest = client.get(
        f"/api/v1/documents/search?q=diaspora&limit=2&cursor={first['next_cursor']}"
    ).json()
    assert rest["next_cursor"] is None
    found = [h["document"]["id"] for h in first["items"] + rest["items"]]
    assert sorted(found) == sorted(d.pk for d in documents)


def test_search_by_body_gives_the_same_results(client):
    document = make_document(text="Remittances and development.")
    response = client.post(
        "/api/v1/documents/search",
        {"q": "remittances", "language": "en"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [h["document"]["id"] for h in response.json()["items"]] == [document.pk]


def test_an_unknown_document_is_not_found(client):
    response = client.get("/api/v1/documents/999999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Nothing was found here.", "fields": []}
    }
