"""The Discussion Note's text format and its first draft written from the data."""

import datetime
import decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dialogue.core.errors import DomainError
from dialogue.cycles.models import Decision, ExpressionOfInterest, GuidingQuestion
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.documents import notes
from dialogue.documents.models import Document, PublicationSeries
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory, TrainingFactory
from dialogue.funding.tests.factories import DonorFactory, InterpretationLineFactory, PledgeFactory
from dialogue.members.tests.factories import MemberFactory, OrganizationFactory
from dialogue.surveys.tests.factories import SurveyFactory


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def note_world() -> SimpleNamespace:
    """A 2007 cycle with every kind of activity the note reports, and 2008 with two themes."""
    cycle = CycleFactory(year=2007, name_en="IDM 2007", status="current")
    theme = ThemeFactory(
        cycle=cycle,
        title_en="Migration Management in the Evolving Global Economy",
        title_fr="Gestion des migrations",
        summary_en="The theme is consistent with the World Migration Report.",
    )
    cycle.theme = theme
    cycle.save()
    next_cycle = CycleFactory(year=2008, name_en="IDM 2008", name_fr="DIM 2008")
    gender = ThemeFactory(
        cycle=next_cycle,
        position=1,
        title_en="Mainstreaming Gender into Migration Management",
        title_fr="",
        summary_en="Female migrants constitute nearly half of all migrants.\n\nA second part.",
        summary_fr="Les femmes migrantes représentent près de la moitié des migrants.",
    )
    for position, text in enumerate(("How do gender roles matter?", "What about law?"), 1):
        GuidingQuestion.objects.create(proposal=gender, position=position, text_en=text)
    ret = ThemeFactory(
        cycle=next_cycle,
        position=2,
        title_en="Return Migration: Challenges and Opportunities",
        summary_en="Return has long been on international agendas.",
    )
    GuidingQuestion.objects.create(proposal=ret, position=1, text_en="How to ensure dignity?")
    march = ConsultationFactory(cycle=cycle, held_on=datetime.date(2007, 3, 2))
    june = ConsultationFactory(
        cycle=next_cycle, held_on=datetime.date(2007, 6, 21), proposals=[gender, ret]
    )
    october_2005 = ConsultationFactory(
        cycle=CycleFactory(year=2005), held_on=datetime.date(2005, 10, 20)
    )
    october_2006 = ConsultationFactory(cycle=cycle, held_on=datetime.date(2006, 10, 17))
    survey = SurveyFactory(
        cycle=cycle,
        consultation=october_2006,
        opens_at=_aware(datetime.date(2006, 10, 23)),
        closes_at=_aware(datetime.date(2006, 11, 6)),
    )
    environment = WorkshopTopicFactory(
        cycle=cycle, theme=theme, title_en="Migration and the Environment"
    )
    free_movement = WorkshopTopicFactory(
        cycle=cycle, theme=theme, title_en="Free Movement of Persons"
    )
    labour = WorkshopTopicFactory(cycle=cycle, theme=theme, title_en="Labour Mobility")
    decision = Decision.objects.create(
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        basis=Decision.Basis.SURVEY,
        survey=survey,
        decided_on=datetime.date(2006, 11, 10),
        recorded_at=_aware(datetime.date(2006, 11, 10)),
    )
    decision.proposals.set([free_movement, labour])
    ExpressionOfInterest.objects.create(
        proposal=environment, consultation=october_2005, expressed_on=october_2005.held_on
    )
    ExpressionOfInterest.objects.create(
        proposal=environment, survey=survey, expressed_on=datetime.date(2006, 11, 6)
    )
    seminar = EventFactory(
        cycle=cycle,
        topic=environment,
        title_en="Migration and the Environment",
        status=Event.Status.HELD,
        precision=Event.Precision.DAY,
        start_date=datetime.date(2007, 2, 22),
        end_date=datetime.date(2007, 2, 23),
        city="Bangkok",
        description_en="A small expert seminar at the academic and technical levels.",
        outcome_summary_en="The experts explored the links between the two fields.",
        expected_participants=25,
    )
    cancelled = EventFactory(
        cycle=cycle,
        kind=Event.Kind.WORKSHOP,
        topic=environment,
        title_en="Migration and the Environment",
        status=Event.Status.CANCELLED,
        cancellation_reason=Event.CancellationReason.INSUFFICIENT_FUNDING,
        contingent_on_funding=True,
    )
    workshop = EventFactory(
        cycle=cycle,
        kind=Event.Kind.WORKSHOP,
        topic=free_movement,
        title_en="Free Movement of Persons",
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        start_date=datetime.date(2007, 6, 18),
        end_date=datetime.date(2007, 6, 19),
        city="Geneva",
    )
    undated = EventFactory(
        cycle=cycle,
        kind=Event.Kind.WORKSHOP,
        title_en="Workshop on Labour Mobility",
        status=Event.Status.PLANNING,
    )
    hei = OrganizationFactory(name_en="Graduate Institute of International Studies", acronym="HEI")
    earlier = TrainingFactory(
        cycle=CycleFactory(year=2006),
        title_en="International Migration Law",
        status=Event.Status.HELD,
        precision=Event.Precision.MONTH,
        year=2006,
        month=3,
        outcome_summary_en="It was only available in English, for lack of funds.",
    )
    training = TrainingFactory(
        cycle=cycle,
        title_en="International Migration Law",
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        start_date=datetime.date(2007, 7, 6),
        city="Geneva",
        place="IOM Headquarters",
        previous_session=earlier,
        interpretation_languages=["en", "fr", "es"],
    )
    training.partners.set([hei])
    donor = DonorFactory(member=MemberFactory(code="CHE"), organization=None)
    for language in ("en", "fr", "es"):
        line = InterpretationLineFactory(
            event=training, language=language, amount=decimal.Decimal("3900"), currency="USD"
        )
        PledgeFactory(
            donor=donor,
            event=training,
            budget_line=line,
            amount=decimal.Decimal("3900"),
            currency="USD",
            pledged_on=datetime.date(2007, 4, 16),
        )
    seasonal = TrainingFactory(
        cycle=cycle,
        title_en="Labour Migration",
        status=Event.Status.PLANNING,
        precision=Event.Precision.SEASON,
        year=2007,
        seasons=["summer", "autumn"],
    )
    return SimpleNamespace(**locals())


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the text format -----------------------------------------------------------------


def test_headings_paragraphs_and_bullets_are_parsed_in_order():
    note = notes.parse("# Title\n\n## Sub\n\n### (a) Minor\n\nFirst paragraph.\n\n- one\n- two\n")
    kinds = [(block.kind, getattr(block, "level", None)) for block in note.blocks]
    assert kinds == [
        ("heading", 1),
        ("heading", 2),
        ("heading", 3),
        ("paragraph", None),
        ("bullets", None),
    ]
    assert [notes.plain(item.parts) for item in note.blocks[-1].items] == ["one", "two"]


def test_paragraphs_are_numbered_and_a_plus_continues_without_a_number():
    note = notes.parse("One\nstill one.\n\nTwo.\n\n+ Under two.\n\n# H\n\nThree.")
    paragraphs = [b for b in note.blocks if b.kind == "paragraph"]
    assert [(p.number, notes.plain(p.parts)) for p in paragraphs] == [
        (1, "One still one."),
        (2, "Two."),
        (None, "Under two."),
        (3, "Three."),
    ]


def test_links_become_footnotes_numbered_in_order():
    note = notes.parse("See [the site](https://a.example/x) and [b](http://b.example).")
    assert [(f.number, f.label, f.url) for f in note.footnotes] == [
        (1, "the site", "https://a.example/x"),
        (2, "b", "http://b.example"),
    ]
    parts = note.blocks[0].parts
    assert [p.is_link for p in parts] == [False, True, False, True, False]


def test_sub_bullets_and_indented_lines_belong_to_their_bullet():
    note = notes.parse("- first\n  continued\n  - sub one\n  - sub two\n- second")
    first, second = note.blocks[0].items
    assert notes.plain(first.parts) == "first continued"
    assert [notes.plain(child) for child in first.children] == ["sub one", "sub two"]
    assert notes.plain(second.parts) == "second"


def test_escaped_markers_and_brackets_stay_text():
    note = notes.parse("\\# not a heading\n\n\\- not a bullet \\[1\\]")
    assert [b.kind for b in note.blocks] == ["paragraph", "paragraph"]
    assert notes.plain(note.blocks[1].parts) == "- not a bullet [1]"


def test_markup_in_the_text_is_kept_as_text():
    note = notes.parse("<script>alert(1)</script>")
    assert notes.plain(note.blocks[0].parts) == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Fine.\n\nA [link](javascript:alert(1)).", 3),
        ("A [link](ftp://x.example/file).", 1),
        ("#Heading without a space", 1),
        ("Fine.\n\n#### Too deep", 3),
        ("- item\n   - three spaces", 2),
        ("  - a sub-bullet with no bullet", 1),
        ("+ continues nothing", 1),
        ("A [bracket without a link", 1),
        ("-", 1),
        ("Fine.\nA bell \x07 here", 2),
    ],
)
def test_unparseable_lines_are_refused_naming_the_line(text, line):
    with pytest.raises(DomainError) as caught:
        notes.parse(text)
    assert caught.value.field == "text"
    assert caught.value.message.startswith(f"Line {line}:")


def test_empty_text_is_refused():
    with pytest.raises(DomainError) as caught:
        notes.parse(" \n\n")
    assert caught.value.code == "empty"


@pytest.mark.parametrize(
    "value",
    ["# not a heading", "- not a bullet", "+ plus", "[x](javascript:alert(1))", "a \\ b ] c"],
)
def test_escaped_content_reads_back_as_the_same_words(value):
    note = notes.parse(notes.escape_text(value))
    assert notes.plain(note.blocks[0].parts) == value
    assert note.footnotes == []


# --- drafting ----------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return note_world()


def test_opening_names_the_previous_consultation_and_the_number_of_themes(world):
    text = notes.draft_text(world.june, "en")
    first = notes.parse(text).blocks[0]
    assert first.number == 1
    assert "activities in 2007 since the last informal consultations on 2 March 2007" in (
        notes.plain(first.parts)
    )
    assert "proposes two possible overarching themes to guide IDM 2008" in notes.plain(first.parts)


def test_cycle_heading_names_its_theme_and_sections_follow_the_kinds(world):
    note = notes.parse(notes.draft_text(world.june, "en"))
    headings = [(b.level, notes.plain(b.parts)) for b in note.blocks if b.kind == "heading"]
    assert headings[:5] == [
        (1, "IDM 2007: Migration Management in the Evolving Global Economy"),
        (2, "Migration and the Environment: Expert Seminar"),
        (2, "Intersessional Workshops"),
        (2, "Training Sessions"),
        (1, "IDM 2008"),
    ]


def test_held_event_reports_place_dates_participants_and_outcome(world):
    text = flat(notes.draft_text(world.june, "en"))
    assert "“Migration and the Environment” was held in Bangkok on 22–23 February 2007." in text
    assert "A small expert seminar at the academic and technical levels." in text
    assert "It brought together 25 participants." in text
    assert "The experts explored the links between the two fields." in text


def test_planned_event_gives_its_dates_venue_and_the_survey_that_selected_its_topic(world):
    text = flat(notes.draft_text(world.june, "en"))
    assert "“Free Movement of Persons” will be held in Geneva on 18–19 June 2007." in text
    assert (
        "“Free Movement of Persons” is one of two topics selected by the membership through "
        "a survey in October/November 2006." in text
    )


def test_event_without_a_date_is_to_be_determined(world):
    text = flat(notes.draft_text(world.june, "en"))
    assert "“Workshop on Labour Mobility” will be held at a date still to be determined." in text
    assert "“Labour Migration” will be held in summer or autumn 2007." in text


def test_cancelled_activity_gives_its_reason_and_the_interest_expressed(world):
    note = notes.parse(notes.draft_text(world.june, "en"))
    blocks = note.blocks
    seminar = next(
        i for i, b in enumerate(blocks) if b.kind == "heading" and "Expert Seminar" in plain(b)
    )
    workshops = next(i for i, b in enumerate(blocks) if plain(b) == "Intersessional Workshops")
    under_seminar = " ".join(plain(b) for b in blocks[seminar:workshops])
    assert (
        "The membership expressed interest in “Migration and the Environment” during the "
        "informal consultations of October 2005 and in a survey conducted after the informal "
        "consultations of October 2006." in under_seminar
    )
    assert "could not be organized due to insufficient funding" in under_seminar


def plain(block) -> str:
    return notes.plain(block.parts) if hasattr(block, "parts") else ""


def test_training_reports_partner_donor_interpretation_and_the_session_it_repeats(world):
    text = flat(notes.draft_text(world.june, "en"))
    assert (
        "“International Migration Law” will be held at IOM Headquarters, Geneva on 6 July 2007, "
        "in partnership with Graduate Institute of International Studies (HEI)." in text
    )
    assert "It repeats the session on the same topic held in March 2006." in text
    assert "It was only available in English, for lack of funds." in text
    assert (
        "The Government of Switzerland contributes the funds for interpretation into English, "
        "French and Spanish." in text
    )
    # the donor's sentence already names the languages: they are not repeated
    assert "Simultaneous interpretation is offered" not in text
    assert text.index("Labour Migration") > text.index("International Migration Law")


def test_funding_already_told_by_the_description_is_not_repeated(world):
    training = world.training
    training.description_en = (
        "Simultaneous interpretation in English, French and Spanish is provided thanks to "
        "the generous contribution of the Government of Switzerland."
    )
    training.save(update_fields=["description_en"])
    text = flat(notes.draft_text(world.june, "en"))
    assert text.count("Government of Switzerland") == 1
    assert "contributes the funds for interpretation" not in text


def test_next_cycle_lists_its_themes_lettered_with_questions_as_bullets(world):
    note = notes.parse(notes.draft_text(world.june, "en"))
    blocks = note.blocks
    lettered = [i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == 3]
    assert [plain(blocks[i]) for i in lettered] == [
        "(a) Mainstreaming Gender into Migration Management",
        "(b) Return Migration: Challenges and Opportunities",
    ]
    summary = blocks[lettered[0] + 1]
    assert summary.kind == "paragraph" and summary.number is None
    bullets = next(b for b in blocks[lettered[0] :] if b.kind == "bullets")
    assert [notes.plain(i.parts) for i in bullets.items] == [
        "How do gender roles matter?",
        "What about law?",
    ]


def test_fallback_paragraph_gives_the_survey_window_and_the_audience(world):
    last = notes.parse(notes.draft_text(world.june, "en")).blocks[-1]
    text = notes.plain(last.parts)
    assert last.number is not None
    assert "send a survey to all Member States and all observer States and organizations" in text
    assert "The membership would have two weeks within which to complete" in text
    assert "would be based on the survey results" in text


def test_french_note_uses_french_sentences_and_falls_back_to_english_content(world):
    text = flat(notes.draft_text(world.june, "fr"))
    assert "Mainstreaming Gender into Migration Management" in text
    assert "Les femmes migrantes représentent près de la moitié des migrants." in text
    assert "DIM 2008" in text
    assert "22-23 février 2007" in text or "22–23 février 2007" in text


def test_materials_and_a_numbered_report_become_links(world, settings):
    Document.objects.create(
        kind=Document.Kind.PRESENTATION,
        title_en="Materials of the seminar",
        event=world.seminar,
        status=Document.Status.PUBLISHED,
        published_at=timezone.now(),
        external_url="https://www.iom.int/seminar",
    )
    series = PublicationSeries.objects.create(name_en="IDM Series")
    Document.objects.create(
        kind=Document.Kind.REPORT,
        title_en="Report of the seminar",
        event=world.seminar,
        status=Document.Status.PUBLISHED,
        published_at=timezone.now(),
        series=series,
        series_number=11,
        external_url="https://www.iom.int/report",
    )
    agenda = Document.objects.create(
        kind=Document.Kind.OTHER,
        title_en="Agenda of the seminar",
        event=world.seminar,
        status=Document.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    Document.objects.create(
        kind=Document.Kind.OTHER,
        title_en="Staff memo",
        event=world.seminar,
        visibility=Document.Visibility.STAFF,
        status=Document.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    note = notes.parse(notes.draft_text(world.june, "en"))
    text = " ".join(plain(b) for b in note.blocks)
    assert [f.url for f in note.footnotes] == [
        "https://www.iom.int/seminar",
        f"{settings.SITE_URL.rstrip('/')}/en/publications/{agenda.pk}/",
        "https://www.iom.int/report",
    ]
    assert "is published as IDM Series No. 11." in text
    assert "Staff memo" not in text


def test_decisions_taken_after_the_consultation_are_not_reported(world):
    late = Decision.objects.create(
        cycle=world.cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        basis=Decision.Basis.CONSENSUS,
        consultation=world.june,
        decided_on=datetime.date(2007, 9, 1),
        recorded_at=_aware(datetime.date(2007, 9, 1)),
    )
    late.proposals.set([world.environment])
    text = flat(notes.draft_text(world.june, "en"))
    assert "“Migration and the Environment” is the topic selected" not in text


def test_a_consultation_with_nothing_to_report_is_refused(db):
    lonely = ConsultationFactory(cycle=CycleFactory(year=2030), held_on=datetime.date(2030, 5, 5))
    with pytest.raises(DomainError) as caught:
        notes.draft_text(lonely, "en")
    assert caught.value.code == "nothing_to_report"


def test_an_unknown_language_is_refused(world):
    with pytest.raises(DomainError) as caught:
        notes.draft_text(world.june, "de")
    assert caught.value.field == "language"


def test_header_names_the_organization_the_dialogue_and_the_date_of_issue(world, settings):
    settings.ORGANIZATION_NAME = "International Organization for Migration"
    meta = notes.note_meta(world.june, "en", datetime.date(2007, 6, 1))
    assert meta.organization == "International Organization for Migration"
    assert meta.title == "International Dialogue on Migration 2007"
    assert meta.issued_on_text == "1 June 2007"
    assert "21 June 2007" in meta.subtitle
