import datetime

import pytest
from django.utils import timezone

from dialogue.core import clock
from dialogue.cycles.models import Consultation, Cycle, Decision, GuidingQuestion
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.documents.models import Document
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.site.tests.document_factories import make_document
from dialogue.surveys.models import Survey

pytestmark = pytest.mark.django_db


def _decision(cycle, proposals, *, subject=Decision.Subject.THEME, **fields) -> Decision:
    decision = Decision.objects.create(
        cycle=cycle, subject=subject, recorded_at=timezone.now(), **fields
    )
    decision.proposals.set(proposals)
    return decision


def _survey(cycle, **fields) -> Survey:
    fields.setdefault("status", Survey.Status.CLOSED)
    fields.setdefault("title_en", "Choice of the theme for 2008")
    fields.setdefault("opens_at", datetime.datetime(2007, 11, 1, 9, tzinfo=datetime.UTC))
    fields.setdefault("closes_at", datetime.datetime(2007, 11, 15, 17, tzinfo=datetime.UTC))
    return Survey.objects.create(cycle=cycle, **fields)


@pytest.fixture
def year_2007():
    """A cycle whose theme was chosen by consensus, then confirmed again by survey."""
    cycle = CycleFactory(year=2007, status=Cycle.Status.CURRENT, name_en="IDM 2007")
    theme = ThemeFactory(
        cycle=cycle,
        title_en="Migration management in the evolving global economy",
        summary_en="Labour mobility and the global economy.",
    )
    other = ThemeFactory(cycle=cycle, title_en="Migration and the environment", title_fr="")
    GuidingQuestion.objects.create(proposal=theme, position=1, text_en="What is labour mobility?")
    topic = WorkshopTopicFactory(cycle=cycle, theme=theme, title_en="Free movement of persons")
    consultation = ConsultationFactory(
        cycle=cycle,
        held_on=datetime.date(2006, 10, 12),
        title_en="Informal consultation on the 2007 theme",
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=theme,
        proposals=[theme, other],
    )
    first = _decision(
        cycle,
        [theme],
        basis=Decision.Basis.CONSENSUS,
        consultation=consultation,
        decided_on=datetime.date(2006, 10, 12),
    )
    survey = _survey(
        cycle,
        status=Survey.Status.RESULTS_PUBLISHED,
        results_published_at=datetime.datetime(2007, 11, 20, tzinfo=datetime.UTC),
    )
    second = _decision(
        cycle,
        [theme],
        basis=Decision.Basis.SURVEY,
        survey=survey,
        decided_on=datetime.date(2007, 11, 16),
        supersedes=first,
    )
    Cycle.objects.filter(pk=cycle.pk).update(theme=theme)
    topics = _decision(
        cycle,
        [topic],
        subject=Decision.Subject.WORKSHOP_TOPICS,
        basis=Decision.Basis.SURVEY,
        survey=survey,
        decided_on=datetime.date(2007, 11, 16),
    )
    event = EventFactory(
        cycle=cycle, title_en="Workshop on free movement", topic=topic, status="confirmed"
    )
    return {
        "cycle": cycle,
        "theme": theme,
        "first": first,
        "second": second,
        "topics": topics,
        "event": event,
    }


def test_the_archive_lists_every_cycle_latest_first_with_how_its_theme_was_chosen(
    client, year_2007
):
    CycleFactory(year=2006, name_en="IDM 2006", status=Cycle.Status.CLOSED)
    pending = CycleFactory(year=2008, name_en="IDM 2008")
    ConsultationFactory(cycle=pending, held_on=datetime.date(2008, 3, 4))

    page = client.get("/en/cycles/").content.decode()

    assert page.index("IDM 2008") < page.index("IDM 2007") < page.index("IDM 2006")
    assert "Migration management in the evolving global economy" in page
    assert "Chosen by survey (“Choice of the theme for 2008”, open from 1 November 2007" in page
    assert "Its results were published to the membership on 20 November 2007." in page
    assert "to be chosen" in page
    assert "on the agenda of the informal consultation of 4 March 2008" in page
    assert "<title>Cycles · Dialogue</title>" in page


def test_published_survey_results_are_linked_for_delegates_and_staff_only(
    client, year_2007, delegate, staff_user
):
    survey = year_2007["second"].survey
    portal = f'href="/en/portal/surveys/{survey.pk}/results/"'
    staff = f'href="/en/staff/surveys/{survey.pk}/results/"'
    page = client.get("/en/cycles/2007/").content.decode()
    assert portal not in page and staff not in page
    client.force_login(delegate.user)
    assert portal in client.get("/en/cycles/2007/").content.decode()
    client.force_login(staff_user)
    assert staff in client.get("/en/cycles/").content.decode()


def test_a_theme_chosen_by_consensus_names_the_consultation(client):
    cycle = CycleFactory(year=2005, name_en="IDM 2005")
    theme = ThemeFactory(cycle=cycle)
    consultation = ConsultationFactory(cycle=cycle, held_on=datetime.date(2004, 10, 20))
    _decision(
        cycle,
        [theme],
        basis=Decision.Basis.CONSENSUS,
        consultation=consultation,
        decided_on=datetime.date(2004, 10, 20),
    )
    Cycle.objects.filter(pk=cycle.pk).update(theme=theme)
    page = client.get("/en/cycles/").content.decode()
    assert "Chosen by consensus at the informal consultation of 20 October 2004." in page


def test_a_cycle_page_shows_proposals_consultations_decisions_events_and_documents(
    client, year_2007
):
    make_document(cycle=year_2007["cycle"], title_en="Discussion Note 2007")
    make_document(cycle=year_2007["cycle"], title_en="Members' note", visibility="members")

    response = client.get("/en/cycles/2007/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "<title>IDM 2007 · Cycles · Dialogue</title>" in page
    assert "Migration and the environment" in page
    assert "What is labour mobility?" in page
    assert "Free movement of persons" in page
    assert "Informal consultation on the 2007 theme" in page
    assert '<th scope="col">' in page
    assert "In force" in page
    assert "Superseded on 16 November 2007" in page
    assert "Workshop on free movement" in page
    assert "Discussion Note 2007" in page
    assert "Members&#x27; note" not in page and "Members' note" not in page


def test_a_cycle_page_shows_french_names_and_marks_english_fallback(client, year_2007):
    page = client.get("/fr/cycles/2007/").content.decode()
    assert '<html lang="fr">' in page
    assert '<span lang="en">Migration and the environment</span>' in page


def test_an_unknown_cycle_is_not_found(client):
    assert client.get("/en/cycles/2099/").status_code == 404
    assert client.get("/en/cycles/abc/").status_code == 404


def test_names_and_titles_are_escaped(client):
    cycle = CycleFactory(year=2010, name_en="<script>alert(1)</script>", name_fr="")
    ThemeFactory(cycle=cycle, title_en="<b>Côte d'Ivoire</b>", title_fr="")
    for url in ("/en/cycles/", "/en/cycles/2010/", "/fr/cycles/2010/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        "&lt;b&gt;Côte d&#x27;Ivoire&lt;/b&gt;" in client.get("/en/cycles/2010/").content.decode()
    )


def test_home_shows_the_current_cycle_next_events_and_latest_publications(
    client, year_2007, settings
):
    settings.SITE_URL = "https://dialogue.example.org/"
    today = clock.today()
    for offset in range(7):
        EventFactory(
            cycle=year_2007["cycle"],
            title_en=f"Upcoming seminar {offset}",
            status=Event.Status.CONFIRMED,
            precision=Event.Precision.DAY,
            start_date=today + datetime.timedelta(days=10 + offset),
        )
    for number in range(7):
        make_document(title_en=f"Publication {number}")
    make_document(title_en="Members' paper", visibility=Document.Visibility.MEMBERS)

    page = client.get("/en/").content.decode()

    assert 'href="/en/cycles/2007/"' in page
    assert "Migration management in the evolving global economy" in page
    assert "Upcoming seminar 4" in page and "Upcoming seminar 5" not in page
    assert "Publication 6" in page and "Publication 2" in page and "Publication 1" not in page
    assert "Members&#x27; paper" not in page
    assert '<meta name="description"' in page
    assert 'rel="canonical" href="https://dialogue.example.org/en/"' in page


def test_home_says_how_a_theme_still_to_be_chosen_will_be_chosen(client):
    cycle = CycleFactory(year=2008, status=Cycle.Status.CURRENT)
    ConsultationFactory(cycle=cycle, held_on=datetime.date(2008, 3, 4), place="Geneva")
    page = client.get("/en/").content.decode()
    assert "to be chosen" in page
    assert "on the agenda of the informal consultation of 4 March 2008 (Geneva)" in page

    _survey(
        cycle,
        title_en="Theme survey 2008",
        status=Survey.Status.OPEN,
        closes_at=datetime.datetime(2008, 3, 20, 17, tzinfo=datetime.UTC),
    )
    page = client.get("/en/").content.decode()
    assert "by survey (“Theme survey 2008”), open until 20 March 2008" in page


def test_home_without_a_current_cycle_says_so(client):
    CycleFactory(year=2006, status=Cycle.Status.CLOSED)
    assert "No cycle is under way at the moment." in client.get("/en/").content.decode()


def test_a_closed_cycle_without_a_theme_is_not_said_to_be_choosing_one(client):
    CycleFactory(year=2005, status=Cycle.Status.CLOSED)
    page = client.get("/en/cycles/").content.decode()
    assert "none was recorded for this cycle" in page and "to be chosen" not in page


def test_cycle_pages_have_a_fixed_number_of_queries(
    client, year_2007, django_assert_max_num_queries
):
    for year in (2004, 2005, 2006):
        cycle = CycleFactory(year=year)
        theme = ThemeFactory(cycle=cycle)
        ConsultationFactory(cycle=cycle)
        _decision(
            cycle,
            [theme],
            basis=Decision.Basis.SURVEY,
            survey=_survey(cycle),
            decided_on=datetime.date(year, 1, 1),
        )
        Cycle.objects.filter(pk=cycle.pk).update(theme=theme)
    cycle = year_2007["cycle"]
    for number in range(3):
        theme = ThemeFactory(cycle=cycle)
        WorkshopTopicFactory(cycle=cycle, theme=theme)
        GuidingQuestion.objects.create(proposal=theme, position=1, text_en=f"Question {number}")
        EventFactory(cycle=cycle, status="confirmed")
        make_document(cycle=cycle, languages=("en", "fr"))

    with django_assert_max_num_queries(4):
        assert client.get("/en/cycles/").status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get("/en/cycles/2007/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/en/").status_code == 200


def test_the_canonical_link_never_comes_from_the_host_header(client, settings):
    settings.SITE_URL = "https://dialogue.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    page = client.get("/en/cycles/", HTTP_HOST="evil.example").content.decode()
    assert 'rel="canonical" href="https://dialogue.example.org/en/cycles/"' in page
    assert "evil.example" not in page
