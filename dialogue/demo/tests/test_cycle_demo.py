"""The demo cycles: IDM 2005 to IDM 2008 as the 2007 Discussion Note reports them."""

import datetime
import re

from django.core.files.storage import default_storage

from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Consultation, Cycle, Decision, ExpressionOfInterest, Proposal
from dialogue.demo import cycle_loader
from dialogue.events.models import Event
from dialogue.members.models import Member
from dialogue.surveys import counting, selectors
from dialogue.surveys.models import Response, Survey

STAFF = "staff@dialogue.example.org"
MEXICO_DELEGATE = "delegate@mission-mex.example.org"
ICMPD_DELEGATE = "delegate@icmpd.example.org"
GENDER = "Mainstreaming Gender into Migration Management"
RETURN = "Return Migration: Challenges and Opportunities"
ENVIRONMENT = "Migration and the Environment"
LANGUAGES = ("en", "fr", "es")


def _geneva(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(cycle_loader.GENEVA)


def _survey(year: int) -> Survey:
    return Survey.objects.get(cycle__year=year)


def _current_decision(year: int, subject: str) -> Decision:
    return Decision.objects.get(cycle__year=year, subject=subject, superseded_by__isnull=True)


def _english_labels(result) -> dict[int, str]:
    """The English label of each option of a counted question, whatever language is active."""
    return dict(result.question.options.values_list("pk", "label_en"))


def test_cycles_2005_to_2008_with_names_in_three_languages(first_run, db):
    assert first_run["cycles"]["created"] == 4
    cycles = {cycle.year: cycle for cycle in Cycle.objects.all()}
    assert sorted(cycles) == [2005, 2006, 2007, 2008]
    statuses = {year: cycles[year].status for year in cycles}
    assert statuses == {2005: "closed", 2006: "closed", 2007: "current", 2008: "preparing"}
    for year, cycle in cycles.items():
        assert (cycle.name_en, cycle.name_fr, cycle.name_es) == (
            f"IDM {year}",
            f"DIM {year}",
            f"DIM {year}",
        )


def test_the_2008_themes_with_all_their_guiding_questions_in_three_languages(first_run, db):
    gender, return_ = Proposal.objects.filter(cycle__year=2008, kind="theme").order_by("position")
    assert (gender.title_en, return_.title_en) == (GENDER, RETURN)
    assert gender.title_es.startswith("Incorporación de la perspectiva de género")
    assert return_.title_fr == "La migration de retour : défis et possibilités"
    assert gender.questions.count() == 11
    assert return_.questions.count() == 9
    for theme in (gender, return_):
        assert theme.proposer is None  # proposed by the Administration
        for language in LANGUAGES:
            assert getattr(theme, f"title_{language}")
            assert len(getattr(theme, f"summary_{language}")) > 300
        questions = list(theme.questions.order_by("position"))
        assert [q.position for q in questions] == list(range(1, len(questions) + 1))
        for question in questions:
            assert question.text_en.endswith("?"), question.text_en
            assert question.text_fr.endswith(" ?"), question.text_fr
            assert question.text_es.endswith("?") and "¿" in question.text_es
            assert len({question.text_en, question.text_fr, question.text_es}) == 3
    gender_questions = list(gender.questions.order_by("position"))
    assert gender_questions[0].text_en.startswith("How do gender roles, relations and differences")
    assert "feminization of migration" in gender_questions[3].text_en
    assert "triple discrimination" in gender_questions[9].text_en
    assert gender_questions[10].text_en.startswith("As a result of their gender")
    return_questions = list(return_.questions.order_by("position"))
    assert return_questions[0].text_en.startswith("What investment, tax and other policies")
    assert "vicious circle" in return_questions[6].text_en
    assert "diasporas" in return_questions[7].text_en
    assert return_questions[8].text_en.startswith("Return when stay is not authorized")


def test_the_2007_theme_was_agreed_at_a_consultation_in_autumn_2006(first_run, db):
    cycle = Cycle.objects.get(year=2007)
    assert cycle.theme.title_en == "Migration Management in the Evolving Global Economy"
    assert cycle.theme.status == Proposal.Status.SELECTED
    for language in ("fr", "es"):
        assert getattr(cycle.theme, f"summary_{language}")
    assert "World Migration Report 2007" in cycle.theme.summary_en
    decision = _current_decision(2007, Decision.Subject.THEME)
    assert decision.basis == Decision.Basis.CONSENSUS
    consultation = decision.consultation
    # held in the autumn of 2006, on the business of IDM 2007
    assert consultation.cycle == cycle
    assert consultation.held_on.year == 2006 and consultation.held_on.month >= 10
    assert consultation.outcome == Consultation.Outcome.AGREEMENT
    assert consultation.agreed_proposal == cycle.theme
    assert decision.recorded_by.email == STAFF
    assert "illustrative" in decision.note


def test_the_2007_workshops_were_selected_by_survey_and_created_in_planning(first_run, db):
    decision = _current_decision(2007, Decision.Subject.WORKSHOP_TOPICS)
    assert decision.basis == Decision.Basis.SURVEY
    survey = decision.survey
    assert survey.status == Survey.Status.RESULTS_PUBLISHED
    opens, closes = _geneva(survey.opens_at), _geneva(survey.closes_at)
    assert (opens.year, opens.month, closes.year, closes.month) == (2006, 10, 2006, 11)
    assert survey.closed_at == survey.closes_at
    selected = {p.title_en for p in decision.proposals.all()}
    assert selected == {
        "Free Movement of Persons in Regional Integration Processes",
        "Making Global Labour Mobility a Catalyst for Development",
    }
    # the decision created one intersessional workshop in planning per selected topic
    # (the events step has since given them their dates and confirmed them)
    workshops = Event.objects.filter(topic__in=decision.proposals.all(), kind=Event.Kind.WORKSHOP)
    assert {w.title_en for w in workshops} == selected
    for workshop in workshops:
        created = AuditEntry.objects.get(
            object_type="events.event", object_id=str(workshop.pk), action="create"
        )
        assert created.changes["status"] == Event.Status.PLANNING
    assert all(w.topic.status == Proposal.Status.SELECTED for w in workshops)
    assert all(w.title_fr and w.title_es for w in workshops)
    environment = Proposal.objects.get(title_en=ENVIRONMENT)
    assert environment.status == Proposal.Status.NOT_SELECTED
    responses = survey.responses.select_related("member")
    assert responses.filter(member__kind=Member.Kind.MEMBER_STATE).count() == 60
    assert 3 <= responses.exclude(member__kind=Member.Kind.MEMBER_STATE).count() <= 6
    (result,) = selectors.survey_results(survey).questions
    top_two = counting.select_top(result.counted.weighted, 2)
    assert {_english_labels(result)[option] for option in top_two.chosen} == selected


def test_the_2008_theme_survey_followed_the_21_june_consultation(first_run, db):
    consultation = Consultation.objects.get(held_on=datetime.date(2007, 6, 21))
    assert consultation.cycle.year == 2008
    assert consultation.place == "Geneva"
    assert consultation.outcome == Consultation.Outcome.NO_AGREEMENT
    assert {p.title_en for p in consultation.proposals.all()} == {GENDER, RETURN}
    assert Consultation.objects.filter(held_on=datetime.date(2007, 3, 2), cycle__year=2007).exists()
    survey = _survey(2008)
    assert survey.consultation == consultation
    assert survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS
    assert not survey.observers_counted
    assert survey.status == Survey.Status.RESULTS_PUBLISHED
    opens = _geneva(survey.opens_at)
    assert opens.date() == datetime.date(2007, 6, 25)
    assert survey.closes_at - survey.opens_at == datetime.timedelta(days=14, hours=9)
    assert survey.results_published_at > survey.closed_at == survey.closes_at
    assert survey.title_fr == "DIM 2008 : Choix du thème général"
    for language in LANGUAGES:
        assert getattr(survey, f"introduction_{language}")


def test_the_2008_responses_are_realistic_and_inside_the_window(first_run, db, demo_media):
    survey = _survey(2008)
    responses = list(survey.responses.select_related("member", "submitted_by"))
    states = [r for r in responses if r.member.kind == Member.Kind.MEMBER_STATE]
    observers = [r for r in responses if r.member.kind != Member.Kind.MEMBER_STATE]
    member_states_then = Member.objects.filter(kind=Member.Kind.MEMBER_STATE).exclude(
        joined__gt=survey.closes_at.date()
    )
    assert len(states) > member_states_then.count() * 0.7  # most Member States
    assert len(observers) >= 5
    assert not any(r.member.code in ("BDI", "VNM") for r in responses)  # members since Nov 2007
    for response in responses:
        assert survey.opens_at <= response.submitted_at < survey.closes_at
        assert response.version == 1 and response.receipt and response.fingerprint
    mexico = next(r for r in responses if r.member.code == "MEX")
    assert (mexico.channel, mexico.submitted_by.email) == ("portal", MEXICO_DELEGATE)
    icmpd = next(r for r in responses if r.member.code == "ICMPD")
    assert (icmpd.channel, icmpd.submitted_by.email) == ("portal", ICMPD_DELEGATE)
    written = [r for r in responses if r.channel == Response.Channel.WRITTEN]
    assert len(written) == len(responses) - 2
    assert {r.submitted_by.email for r in written} == {STAFF}
    for response in written[:5]:
        with default_storage.open(response.letter.name, "rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert response.member.name_en.encode("cp1252") in content


def test_the_2008_decision_follows_the_survey_results(first_run, db):
    survey = _survey(2008)
    (result,) = selectors.survey_results(survey).questions
    labels = _english_labels(result)
    scores = {labels[o]: s for o, s in result.counted.weighted.scores.items()}
    states = survey.responses.filter(member__kind=Member.Kind.MEMBER_STATE).count()
    assert sum(scores.values()) == states  # observers recorded, not counted
    assert result.observers is not None and sum(result.observers.weighted.scores.values()) >= 5
    (winner,) = result.counted.weighted.winners
    assert 0.55 <= scores[labels[winner]] / states <= 0.75  # clear, not unanimous
    decision = _current_decision(2008, Decision.Subject.THEME)
    assert decision.basis == Decision.Basis.SURVEY and decision.survey == survey
    (theme,) = decision.proposals.all()
    assert theme.title_en == labels[winner] == RETURN
    assert Cycle.objects.get(year=2008).theme == theme
    assert Proposal.objects.get(title_en=GENDER).status == Proposal.Status.NOT_SELECTED
    assert decision.note.startswith("Illustrative")
    assert decision.decided_on == datetime.date(2007, 7, 13)


def test_who_asked_for_a_workshop_on_migration_and_the_environment_and_when(first_run, db):
    interests = list(
        ExpressionOfInterest.objects.filter(proposal__title_en=ENVIRONMENT)
        .select_related("member", "consultation__cycle", "survey__consultation")
        .order_by("expressed_on")
    )
    assert len(interests) == 2
    at_consultation, in_survey = interests
    # the membership as a whole, at the October 2005 informal consultations
    assert at_consultation.member is None and at_consultation.survey is None
    assert at_consultation.consultation.cycle.year == 2005
    assert at_consultation.consultation.held_on.strftime("%Y-%m") == "2005-10"
    # ... and in the survey that followed the October 2006 informal consultations
    assert in_survey.member is None and in_survey.consultation is None
    assert in_survey.survey.consultation.held_on.strftime("%Y-%m") == "2006-10"
    opens = _geneva(in_survey.survey.opens_at).date()
    assert opens <= in_survey.expressed_on <= _geneva(in_survey.survey.closes_at).date()
    # the figures in the note are those of the stored responses
    chose, of = map(int, re.search(r"(\d+) of the (\d+) Member States", in_survey.note).groups())
    states = in_survey.survey.responses.filter(member__kind=Member.Kind.MEMBER_STATE)
    assert of == states.count()
    assert chose == states.filter(answers__option__proposal__title_en=ENVIRONMENT).count()


def test_every_cycle_write_is_done_by_the_staff_login_or_a_delegate(first_run, db):
    entries = AuditEntry.objects.filter(
        object_type__in=[
            "cycles.cycle",
            "cycles.proposal",
            "cycles.consultation",
            "cycles.decision",
            "cycles.expressionofinterest",
            "surveys.survey",
            "events.event",
        ]
    )
    assert entries.count() > 20
    assert set(entries.values_list("actor__email", flat=True)) == {STAFF}
    responses = AuditEntry.objects.filter(object_type="surveys.response")
    assert responses.count() == Response.objects.count()
    assert set(responses.values_list("actor__email", flat=True)) == {
        STAFF,
        MEXICO_DELEGATE,
        ICMPD_DELEGATE,
    }


def test_letters_are_well_formed_pdfs():
    pdf = cycle_loader.letter_pdf(["Côte d'Ivoire", "Response (1): «oui»", "back\\slash"])
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[xref:].startswith(b"xref\n0 6\n")
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n")[3:8]]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert "Côte d'Ivoire".encode("cp1252") in pdf
    assert rb"Response \(1\)" in pdf


def test_a_changed_decision_is_superseded_not_rewritten(first_run, db):
    decision = _current_decision(2008, Decision.Subject.THEME)
    Decision.objects.filter(pk=decision.pk).update(note="Something else.")
    counts = cycle_loader.load_cycles()
    assert counts["decisions"] == {"created": 1, "updated": 0, "unchanged": 2}
    current = _current_decision(2008, Decision.Subject.THEME)
    assert current.supersedes_id == decision.pk
    assert current.note.startswith("Illustrative")


def test_a_consultation_filed_under_another_cycle_is_put_back(first_run, db):
    consultation = Consultation.objects.get(held_on=datetime.date(2006, 10, 17))
    Consultation.objects.filter(pk=consultation.pk).update(cycle=Cycle.objects.get(year=2006))
    entries = AuditEntry.objects.count()
    counts = cycle_loader.load_cycles()
    assert counts["consultations"] == {"created": 0, "updated": 1, "unchanged": 3}
    assert Consultation.objects.filter(held_on=datetime.date(2006, 10, 17)).count() == 1
    consultation.refresh_from_db()
    assert consultation.cycle.year == 2007
    assert AuditEntry.objects.count() == entries + 1
