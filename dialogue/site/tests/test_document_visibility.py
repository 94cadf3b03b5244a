"""Who sees which document, on every public page, in search and in the feeds."""

import itertools

import pytest

from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.models import Document
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.members.tests.factories import UserFactory
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db

VISIBILITIES = Document.Visibility.values
STATUSES = Document.Status.values
EVERYTHING = set(itertools.product(VISIBILITIES, STATUSES))
PUBLIC = {("public", "published")}
MEMBERS = PUBLIC | {("members", "published")}
EXPECTED = {
    "anonymous": PUBLIC,
    "account_without_delegation": PUBLIC,
    "delegate": MEMBERS,
    "observer_delegate": MEMBERS,
    "staff": EVERYTHING,
}


@pytest.fixture
def setting():
    cycle = CycleFactory(year=2007)
    event = EventFactory(cycle=cycle, status=Event.Status.HELD)
    documents = {
        (visibility, status): make_document(
            title_en=f"Zebrafish {visibility} {status}",
            visibility=visibility,
            status=status,
            cycle=cycle,
            event=event,
        )
        for visibility, status in EVERYTHING
    }
    return {"event": event, "documents": documents}


def _login(client, request, viewer):
    users = {
        "anonymous": lambda: None,
        "account_without_delegation": lambda: UserFactory(),
        "delegate": lambda: request.getfixturevalue("delegate").user,
        "observer_delegate": lambda: request.getfixturevalue("observer_delegate").user,
        "staff": lambda: request.getfixturevalue("staff_user"),
    }
    user = users[viewer]()
    if user is not None:
        client.force_login(user)


def _shown(page: str, documents) -> set[tuple[str, str]]:
    return {key for key, document in documents.items() if document.title_en in page}


@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_each_viewer_sees_exactly_the_documents_they_may_on_every_page(
    client, request, setting, viewer
):
    _login(client, request, viewer)
    documents, event = setting["documents"], setting["event"]
    expected = EXPECTED[viewer]
    pages = {
        "publications": "/en/publications/",
        "event": f"/en/events/{event.pk}/",
        "cycle": "/en/cycles/2007/",
        "search": "/en/search/?q=zebrafish",
    }
    for name, url in pages.items():
        assert _shown(client.get(url).content.decode(), documents) == expected, name
    home = _shown(client.get("/en/").content.decode(), documents)
    assert home == {key for key in expected if key[1] == "published"}
    for key, document in documents.items():
        status = client.get(f"/en/publications/{document.pk}/").status_code
        assert status == (200 if key in expected else 404), key
        version = document.versions.get()
        status = client.get(f"/en/publications/files/{version.pk}/").status_code
        assert status == (200 if key in expected else 404), key


@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_feeds_show_only_public_published_documents_whoever_asks(client, request, setting, viewer):
    _login(client, request, viewer)
    for url in ("/en/feeds/publications.atom", "/en/feeds/news.atom"):
        assert _shown(client.get(url).content.decode(), setting["documents"]) == PUBLIC


def test_drafts_shown_to_staff_are_marked(client, staff_user, setting):
    client.force_login(staff_user)
    page = client.get("/en/publications/").content.decode()
    assert '<span class="status-badge">Draft</span>' in page
    assert '<span class="status-badge">Withdrawn</span>' in page
    assert '<span class="badge">Members only</span>' in page
    assert '<span class="badge">Staff only</span>' in page
