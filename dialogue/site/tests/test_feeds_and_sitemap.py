import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from dialogue.core import audit
from dialogue.core.actors import SYSTEM
from dialogue.cycles.models import Decision
from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory, ThemeFactory
from dialogue.documents.models import Document
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory
from dialogue.site.tests.document_factories import make_document, make_series

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return feed, [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}updated")),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def every_kind_of_document():
    documents = {}
    for visibility in Document.Visibility.values:
        for status in Document.Status.values:
            documents[(visibility, status)] = make_document(
                title_en=f"Paper {visibility} {status}", visibility=visibility, status=status
            )
    return documents


def test_the_publications_feed_holds_only_published_public_documents_latest_first(
    client, every_kind_of_document, delegate, staff_user
):
    older = make_document(title_en="Older report", summary_en="<script>x</script>")
    for user in (None, delegate.user, staff_user):
        if user is not None:
            client.force_login(user)
        feed, entries = _entries(client, "/en/feeds/publications.atom")
        titles = [entry["title"] for entry in entries]
        assert titles == ["Older report", "Paper public published"]
    assert feed.findtext(f"{ATOM}title") == "International Dialogue on Migration: publications"
    newest = every_kind_of_document[("public", "published")]
    assert entries[1]["link"] == f"http://testserver/en/publications/{newest.pk}/"
    assert entries[0]["summary"] == "&lt;script&gt;x&lt;/script&gt;"
    assert entries[0]["updated"] == older.published_at


def test_the_publications_feed_keeps_at_most_twenty_entries_in_the_page_language(client):
    for number in range(22):
        make_document(title_en=f"Report {number}", title_fr=f"Rapport {number}")
    feed, entries = _entries(client, "/fr/feeds/publications.atom")
    assert len(entries) == 20
    assert entries[0]["title"] == "Rapport 21"
    assert entries[0]["link"].startswith("http://testserver/fr/publications/")
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def test_the_news_feed_merges_decisions_events_and_publications_by_date(client):
    cycle = CycleFactory(year=2008, name_en="IDM 2008")
    theme = ThemeFactory(cycle=cycle, title_en="Migration and the environment")
    decision = Decision.objects.create(
        cycle=cycle,
        subject=Decision.Subject.THEME,
        basis=Decision.Basis.CONSENSUS,
        consultation=ConsultationFactory(cycle=cycle, held_on=datetime.date(2007, 10, 15)),
        decided_on=datetime.date(2007, 10, 15),
        recorded_at=datetime.datetime(2007, 10, 16, 10, tzinfo=datetime.UTC),
    )
    decision.proposals.set([theme])
    held = EventFactory(cycle=cycle, title_en="Seminar held", status=Event.Status.HELD)
    audit.record(
        actor=SYSTEM,
        action="update",
        obj=held,
        changes={"status": ["confirmed", "held"]},
    )
    cancelled = EventFactory(
        cycle=cycle,
        title_en="Seminar called off",
        status=Event.Status.CANCELLED,
        cancellation_reason="insufficient_funding",
        precision=Event.Precision.DAY,
        start_date=datetime.date(2007, 9, 1),
    )
    EventFactory(cycle=cycle, title_en="Hidden meeting", status="held", is_public=False)
    EventFactory(cycle=cycle, title_en="Only planned", status=Event.Status.PLANNING)
    make_document(
        title_en="Report published",
        published_at=datetime.datetime(2007, 12, 1, tzinfo=datetime.UTC),
    )
    make_document(title_en="Members only report", visibility=Document.Visibility.MEMBERS)

    _feed, entries = _entries(client, "/en/feeds/news.atom")

    titles = [entry["title"] for entry in entries]
    assert titles == [
        "Event held: Seminar held",
        "Published: Report published",
        "IDM 2008: overarching theme chosen: Migration and the environment",
        "Event cancelled: Seminar called off",
    ]
    updated = [entry["updated"] for entry in entries]
    assert updated == sorted(updated, reverse=True)
    assert entries[2]["link"] == "http://testserver/en/cycles/2008/"
    assert entries[3]["link"] == f"http://testserver/en/events/{cancelled.pk}/"
    assert timezone.now() - entries[0]["updated"] < datetime.timedelta(hours=1)


def test_pages_link_the_feeds_from_their_head(client):
    page = client.get("/en/").content.decode()
    head = page[: page.index("</head>")]
    assert 'type="application/atom+xml" href="/en/feeds/news.atom"' in head
    assert 'type="application/atom+xml" href="/en/feeds/publications.atom"' in head


def test_the_sitemap_lists_public_pages_in_every_language_with_alternates(
    client, every_kind_of_document
):
    MemberFactory(code="CIV")
    MemberFactory(code="GBR", name_en="United Kingdom", status=Member.Status.LEFT)
    CycleFactory(year=2007)
    event = EventFactory(status="confirmed")
    hidden = EventFactory(status="confirmed", is_public=False)
    series = make_series()
    make_document(series=series, series_number=1)

    response = client.get("/en/sitemap.xml")

    assert response.status_code == 200
    root = ET.fromstring(response.content)
    locations = {url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")}
    public = every_kind_of_document[("public", "published")]
    for language in ("en", "fr", "es"):
        for path in (
            "",
            "members/",
            "members/CIV/",
            "cycles/",
            "cycles/2007/",
            "events/",
            f"events/{event.pk}/",
            "publications/",
            f"publications/{public.pk}/",
            f"publications/series/{series.pk}/",
        ):
            assert f"http://testserver/{language}/{path}" in locations
    hidden_paths = [f"events/{hidden.pk}/", "members/GBR/"] + [
        f"publications/{document.pk}/"
        for key, document in every_kind_of_document.items()
        if key != ("public", "published")
    ]
    for path in hidden_paths:
        assert not any(location.endswith(f"/{path}") for location in locations)
    first = root.find(f"{SITEMAP}url")
    alternates = {link.get("hreflang"): link.get("href") for link in first.findall(f"{XHTML}link")}
    assert set(alternates) >= {"en", "fr", "es", "x-default"}


def test_feeds_and_sitemap_have_a_fixed_number_of_queries(
    client, every_kind_of_document, django_assert_max_num_queries
):
    cycle = CycleFactory()
    for number in range(4):
        theme = ThemeFactory(cycle=cycle)
        decision = Decision.objects.create(
            cycle=cycle,
            subject=Decision.Subject.THEME,
            basis=Decision.Basis.CONSENSUS,
            consultation=ConsultationFactory(cycle=cycle),
            decided_on=datetime.date(2007, 1, 1),
            recorded_at=timezone.now(),
        )
        decision.proposals.set([theme])
        EventFactory(cycle=cycle, status="held", dated=True)
        make_document(series=make_series(f"Series {number}"), series_number=1)
        MemberFactory()
    with django_assert_max_num_queries(2):
        client.get("/en/feeds/publications.atom")
    with django_assert_max_num_queries(6):
        client.get("/en/feeds/news.atom")
    with django_assert_max_num_queries(8):
        client.get("/en/sitemap.xml")


def test_the_sitemap_at_the_root_leads_to_the_default_language(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 302
    assert response["Location"] == "/en/sitemap.xml"
