"""The delegates' portal, the staff pages and the public site from end to end, in a real browser.

Each scenario logs in with the demo's accounts, does what a person would do, checks what
the last page shows against what is stored, and keeps a picture of that page under
build/screenshots/.
"""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from dialogue.core import clock
from dialogue.cycles.models import Cycle
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents.downloads import download_name
from dialogue.documents.models import Document, LanguageVersion
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Person
from dialogue.portal.tests.browser_steps import (
    DELEGATE,
    FOCAL_POINT,
    STAFF,
    load_demo,
    log_in,
    mexico,
    open_theme_survey,
    user,
)
from dialogue.surveys import services as surveys
from dialogue.surveys.models import Response, Survey
from dialogue.testing.browser import save_screenshot

WORKSHOP = "Intersessional workshop on migration and the environment"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """The demo data, with its uploaded files in a temporary directory."""
    load_demo(settings, tmp_path / "media")


def _fact(page, term: str) -> str:
    """The text of the definition that follows the term in a list of facts."""
    return page.locator(f"dl.facts dt:text-is('{term}') + dd").inner_text().strip()


def _ranked(page) -> list[str]:
    """The options of the ranking as the receipt lists them, first choice first."""
    return [text.strip() for text in page.locator("section ol > li").all_inner_texts()]


def _rank(page, labels: list[str]) -> None:
    for rank, label in enumerate(labels, start=1):
        page.get_by_label(f"Choice {rank}", exact=True).select_option(label=label)


@pytest.mark.browser
def test_a_focal_point_ranks_the_themes_then_changes_the_ranking_and_sees_the_new_receipt(
    demo, live_server, page
):
    data = open_theme_survey()
    first, second, third = (theme.title_en for theme in data.themes)
    origin = live_server.url
    log_in(page, origin, FOCAL_POINT)

    page.get_by_role("link", name=data.survey.title_en).click()
    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/")
    _rank(page, [second, first, third])
    page.get_by_label("Comment", exact=True).fill("Mexico favours a theme on return.")
    page.get_by_role("button", name="Submit your delegation's answer").click()

    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/receipt/")
    response = Response.objects.get(survey=data.survey, member=mexico())
    assert "has been recorded (version 1)" in page.locator(".messages").inner_text()
    assert _fact(page, "Receipt code") == response.receipt
    assert _fact(page, "Fingerprint (SHA-256)") == response.fingerprint
    assert _ranked(page) == [second, first, third]
    assert "Mexico favours a theme on return." in page.locator("main").inner_text()
    first_receipt = response.receipt

    page.get_by_role("link", name="Back to the survey").click()
    choice_1 = page.get_by_label("Choice 1", exact=True)
    assert choice_1.locator("option:checked").inner_text() == second
    _rank(page, [third, second, first])
    page.get_by_role("button", name="Replace your delegation's answer").click()

    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/receipt/")
    response.refresh_from_db()
    assert response.version == 2
    assert response.receipt != first_receipt
    assert response.comment == "Mexico favours a theme on return."
    assert "has been recorded (version 2)" in page.locator(".messages").inner_text()
    assert _fact(page, "Receipt code") == response.receipt
    assert _fact(page, "Version") == "2"
    assert _fact(page, "Fingerprint (SHA-256)") == response.fingerprint
    assert _ranked(page) == [third, second, first]
    assert [a.option.proposal_id for a in response.answers.order_by("rank")] == [
        data.themes[2].pk,
        data.themes[1].pk,
        data.themes[0].pk,
    ]
    save_screenshot(page, "scenario-1-new-receipt")


@pytest.mark.browser
def test_an_answer_sent_after_the_close_is_refused_and_results_show_only_once_published(
    demo, live_server, page, monkeypatch
):
    data = open_theme_survey(open_for=datetime.timedelta(minutes=5))
    first, second, third = (theme.title_en for theme in data.themes)
    origin = live_server.url
    survey_page = f"{origin}/en/portal/surveys/{data.survey.pk}/"
    results_page = f"{survey_page}results/"
    log_in(page, origin, FOCAL_POINT)
    page.goto(survey_page)
    _rank(page, [first, second, third])

    after_close = data.survey.closes_at + datetime.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: after_close)
    with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
        page.get_by_role("button", name="Submit your delegation's answer").click()

    assert sent.value.status == 400
    assert "no response can be accepted" in page.locator("main").inner_text()
    assert not Response.objects.filter(survey=data.survey).exists()
    assert page.goto(results_page).status == 404

    staff = user(STAFF)
    surveys.survey_close(actor=staff, survey=data.survey, now=after_close)
    surveys.survey_publish_results(actor=staff, survey=data.survey, now=after_close)
    shown = page.goto(results_page)

    assert shown.status == 200
    text = page.locator("main").inner_text()
    assert all(title in text for title in (first, second, third))
    save_screenshot(page, "scenario-refused-after-the-close-then-results")


@pytest.mark.browser
def test_staff_close_the_survey_see_turnout_and_results_and_the_decision_sets_the_home_theme(
    demo, live_server, page
):
    data = open_theme_survey()
    second = data.themes[1]
    surveys.response_submit(
        actor=user(FOCAL_POINT),
        survey=data.survey,
        member=mexico(),
        choices={data.question.pk: [data.options[1], data.options[0], data.options[2]]},
        comment="",
    )
    origin = live_server.url
    page.goto(f"{origin}/en/")
    this_year = page.locator("section[aria-labelledby='cycle-heading']")
    assert data.cycle.name_en in this_year.inner_text()
    assert this_year.locator(".theme").inner_text() == "Overarching theme: to be chosen"
    log_in(page, origin, STAFF)

    page.goto(f"{origin}/en/staff/")
    page.get_by_role("link", name="Surveys: preparation, turnout and results").click()
    page.get_by_role("link", name=data.survey.title_en).click()
    page.get_by_role("link", name="Close the survey now…").click()
    page.get_by_role("button", name="Close the survey now").click()
    page.wait_for_url(f"{origin}/en/staff/surveys/{data.survey.pk}/")
    assert "The survey is closed" in page.locator(".messages").inner_text()
    data.survey.refresh_from_db()
    assert data.survey.status == Survey.Status.CLOSED

    page.get_by_role("link", name="Turnout", exact=True).click()
    main = page.locator("main").inner_text()
    assert re.search(r"\b1 of \d+ delegations responded", main)
    assert "1 delegation responded" in main
    assert "Mexico" in page.locator("#turnout-responded + table").inner_text()

    page.get_by_role("link", name="Results", exact=True).click()
    assert f"Winner: {second.title_en}" in page.locator(".result-winner").first.inner_text()

    page.goto(f"{origin}/en/staff/cycles/{data.cycle.pk}/")
    page.get_by_role("link", name="Record the decision on the theme").click()
    page.get_by_label("Basis").select_option(value="survey")
    page.get_by_label("Survey", exact=True).select_option(value=str(data.survey.pk))
    page.get_by_label(second.title_en).check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"{origin}/en/staff/cycles/{data.cycle.pk}/")
    assert "The decision was recorded." in page.locator(".messages").inner_text()

    page.goto(f"{origin}/en/")
    this_year = page.locator("section[aria-labelledby='cycle-heading']")
    assert data.cycle.name_en in this_year.inner_text()
    assert this_year.locator(".theme").inner_text() == f"Overarching theme: {second.title_en}"
    assert Cycle.objects.get(pk=data.cycle.pk).theme_id == second.pk
    save_screenshot(page, "scenario-2-home-with-the-new-theme")


def _upcoming_workshop(cycle: Cycle | None = None) -> Event:
    """A confirmed workshop in two months, open to every delegation, of the latest cycle."""
    start = clock.today() + datetime.timedelta(days=60)
    return EventFactory(
        kind=Event.Kind.WORKSHOP,
        title_en=WORKSHOP,
        title_fr="Atelier intersessions sur la migration et l'environnement",
        title_es="Taller entre reuniones sobre la migración y el medio ambiente",
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        year=start.year,
        start_date=start,
        end_date=start + datetime.timedelta(days=1),
        place="Palais des Nations",
        city="Geneva",
        cycle=cycle or Cycle.objects.order_by("-year").first(),
    )


def _events_named(body: bytes, title: str) -> list:
    return [
        component
        for component in Calendar.from_ical(body).walk("VEVENT")
        if str(component.get("SUMMARY")) == title
    ]


@pytest.mark.browser
def test_a_delegate_registers_for_a_workshop_gets_its_calendar_and_cancels(
    demo, live_server, page, settings
):
    settings.SITE_URL = live_server.url
    workshop = _upcoming_workshop()
    delegate = Person.objects.get(email=DELEGATE)
    origin = live_server.url
    log_in(page, origin, DELEGATE)

    page.get_by_role("link", name="Your delegation's events and registrations").click()
    page.get_by_role("link", name=WORKSHOP).click()
    page.wait_for_url(f"{origin}/en/portal/events/{workshop.pk}/")
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_url(f"{origin}/en/portal/events/{workshop.pk}/")
    assert f"{delegate.full_name} is registered." in page.locator(".messages").inner_text()
    assert "You are registered." in page.locator("#own-registration + *").inner_text()
    registration = Registration.objects.get(event=workshop, person=delegate)
    assert registration.status == Registration.Status.REGISTERED

    page.goto(f"{origin}{reverse('portal:calendar')}")
    assert WORKSHOP in page.locator("main").inner_text()
    feed_url = page.get_by_label("Or copy this address into your calendar program:").input_value()
    assert feed_url.startswith(f"{origin}/en/portal/events/feed/")
    feed = page.request.get(feed_url)
    assert feed.ok
    assert feed.headers["content-type"].startswith("text/calendar")
    (entry,) = _events_named(feed.body(), WORKSHOP)
    assert entry.decoded("DTSTART") == workshop.start_date

    page.goto(f"{origin}/en/portal/events/{workshop.pk}/")
    page.get_by_role("link", name="Cancel your registration").click()
    page.get_by_role("button", name="Cancel the registration").click()
    page.wait_for_url(f"{origin}/en/portal/events/{workshop.pk}/")
    assert "has been cancelled" in page.locator(".messages").inner_text()
    assert page.get_by_role("button", name="Register", exact=True).is_visible()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    save_screenshot(page, "scenario-3-registration-cancelled")


def test_a_delegate_who_registers_is_sent_the_workshops_calendar_by_e_mail(
    client, delegate, django_capture_on_commit_callbacks
):
    workshop = _upcoming_workshop(CycleFactory())
    client.force_login(delegate.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:event_register", args=[workshop.pk]))
    assert Registration.objects.filter(event=workshop, person=delegate).exists()
    (message,) = [m for m in mail.outbox if m.to == [delegate.email]]
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    assert len(_events_named(attachment[1], workshop.title_en)) == 1


@pytest.mark.browser
def test_a_visitor_reads_in_french_and_spanish_searches_the_publications_and_downloads_a_report(
    demo, live_server, page
):
    origin = live_server.url
    page.goto(f"{origin}/en/")
    names = {"en": page.locator("h1").inner_text()}

    for language in ("fr", "es"):
        page.locator(f".language-switcher button[value='{language}']").click()
        page.wait_for_url(f"{origin}/{language}/")
        assert page.evaluate("document.documentElement.lang") == language
        assert page.locator(f".language-switcher button[value='{language}']").get_attribute(
            "aria-current"
        )
        names[language] = page.locator("h1").inner_text()
    assert len(set(names.values())) == 3, names

    page.locator("nav.main-nav a[href='/es/search/']").click()
    page.locator("#id_q").fill("health")
    page.locator("#id_kind").select_option(value=Document.Kind.REPORT)
    page.locator("#id_q").press("Enter")
    page.wait_for_url(re.compile(r"/es/search/\?"))
    hits = page.locator(".search-results > li h3 a")
    assert hits.count() >= 1
    title = hits.first.inner_text()
    hits.first.click()
    page.wait_for_url(re.compile(r"/es/publications/\d+/$"))
    assert page.locator("h1").inner_text() == title
    document = Document.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert document.kind == Document.Kind.REPORT

    link = page.locator("a[download][href*='/files/']").first
    version = LanguageVersion.objects.get(pk=int(link.get_attribute("href").split("/")[-2]))
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), "rb") as file:
        downloaded = file.read()
    with version.file.open("rb") as stored:
        assert downloaded == stored.read()
    assert downloaded.startswith(b"%PDF-")
    assert download.suggested_filename == download_name(version)
    assert download.suggested_filename.endswith(f"-{version.language}.pdf")
    assert version.document_id == document.pk
    assert page.evaluate("document.documentElement.lang") == "es"
    save_screenshot(page, "scenario-4-report-downloaded")


def _focused(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; return {tag: e.tagName, id: e.id, "
        "text: (e.innerText || '').trim(), type: e.type || ''}; }"
    )


def _tab_until(page, matches, key: str = "Tab", limit: int = 60) -> dict:
    """Press Tab (or another key) until the focused element matches; fail after `limit`."""
    for _ in range(limit):
        page.keyboard.press(key)
        focused = _focused(page)
        if matches(focused):
            return focused
    raise AssertionError(f"Nothing matching was reached with {key} in {limit} presses.")


def _choose_with_arrows(page, label: str) -> None:
    """On the focused select, move with the arrow keys until the option is chosen."""
    labels, chosen = page.evaluate(
        "() => { const e = document.activeElement; "
        "return [[...e.options].map(o => o.textContent.trim()), e.selectedIndex]; }"
    )
    assert label in labels, f"{label} is not among the options {labels}."
    target = labels.index(label)
    key = "ArrowDown" if target > chosen else "ArrowUp"
    for _ in range(abs(target - chosen)):
        page.keyboard.press(key)
    assert page.evaluate("document.activeElement.selectedIndex") == target


@pytest.mark.browser
def test_the_survey_is_answered_and_submitted_with_the_keyboard_alone(demo, live_server, page):
    data = open_theme_survey()
    first, second, third = (theme.title_en for theme in data.themes)
    rank = {n: f"id_question_{data.question.pk}_rank_{n}" for n in (1, 2, 3)}
    origin = live_server.url
    log_in(page, origin, FOCAL_POINT)

    _tab_until(page, lambda f: f["tag"] == "A" and f["text"] == data.survey.title_en)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/")

    _tab_until(page, lambda f: f["id"] == rank[1])
    _choose_with_arrows(page, third)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == rank[2]
    _choose_with_arrows(page, second)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == rank[3]
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["id"] == rank[2]
    _choose_with_arrows(page, first)
    page.keyboard.press("Tab")
    _choose_with_arrows(page, second)
    _tab_until(page, lambda f: f["id"] == "id_comment")
    page.keyboard.type("Answered without a mouse.")
    _tab_until(page, lambda f: f["tag"] == "BUTTON" and f["type"] == "submit")
    page.keyboard.press("Space")

    page.wait_for_url(f"{origin}/en/portal/surveys/{data.survey.pk}/receipt/")
    response = Response.objects.get(survey=data.survey, member=mexico())
    assert [a.option.proposal_id for a in response.answers.order_by("rank")] == [
        data.themes[2].pk,
        data.themes[0].pk,
        data.themes[1].pk,
    ]
    assert response.comment == "Answered without a mouse."
    assert _fact(page, "Receipt code") == response.receipt
    assert _ranked(page) == [third, first, second]
    save_screenshot(page, "scenario-5-answered-with-the-keyboard")
