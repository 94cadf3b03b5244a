"""The staff pages of the yearly cycle: cycles, proposals, consultations, interest, decisions."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles import services
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)
from dialogue.events.models import Event
from dialogue.members.tests.factories import MemberFactory
from dialogue.staff import cycle_urls
from dialogue.surveys import services as survey_services
from dialogue.surveys.models import Survey

pytestmark = pytest.mark.django_db

# Every page, and the object whose id its URL takes.
PAGES = {
    "cycle_list": None,
    "cycle_add": None,
    "cycle_detail": "cycle",
    "cycle_edit": "cycle",
    "proposal_add": "cycle",
    "consultation_add": "cycle",
    "decision_add": "cycle",
    "proposal_edit": "gender",
    "proposal_withdraw": "gender",
    "proposal_interest": "gender",
    "interest_add": "gender",
    "interest_search": None,
    "consultation_edit": "consultation",
    "consultation_outcome": "consultation",
    "consultation_follow_up_survey": "consultation",
}
POST_ONLY = {"consultation_follow_up_survey"}


def url(name: str, obj=None) -> str:
    return reverse(f"staff:{name}", args=[obj.pk] if obj is not None else [])


def page_url(name: str, world) -> str:
    attribute = PAGES[name]
    return url(name, getattr(world, attribute) if attribute else None)


def _theme(cycle, title, fr="", position=1, questions=()):
    return services.proposal_save(
        actor=SYSTEM,
        data={
            "cycle": cycle,
            "kind": Proposal.Kind.THEME,
            "position": position,
            "title_en": title,
            "title_fr": fr,
        },
        questions=[{"en": q} for q in questions],
    )


def _topic(theme, title, fr="", proposer=None):
    return services.proposal_save(
        actor=SYSTEM,
        data={
            "cycle": theme.cycle,
            "kind": Proposal.Kind.WORKSHOP_TOPIC,
            "theme": theme,
            "title_en": title,
            "title_fr": fr,
            "proposer": proposer,
        },
    )


def _consultation(cycle, proposals, held_on=datetime.date(2007, 10, 15), title=None):
    return services.consultation_save(
        actor=SYSTEM,
        data={
            "cycle": cycle,
            "held_on": held_on,
            "title_en": title or f"Informal consultations of {held_on:%B %Y}",
        },
        proposals=proposals,
    )


def _closed_survey(consultation):
    survey = survey_services.survey_from_consultation(actor=SYSTEM, consultation=consultation)
    survey_services.survey_publish(actor=SYSTEM, survey=survey)
    return survey_services.survey_close(actor=SYSTEM, survey=survey)


def _agree(world, proposal) -> None:
    world.consultation = services.consultation_record_outcome(
        actor=SYSTEM,
        consultation=world.consultation,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=proposal,
    )


def _disagree(world) -> None:
    world.consultation = services.consultation_record_outcome(
        actor=SYSTEM, consultation=world.consultation, outcome=Consultation.Outcome.NO_AGREEMENT
    )


def _survey_page(survey) -> str:
    try:
        return reverse("staff:survey_detail", args=[survey.pk])
    except NoReverseMatch:
        return reverse("admin:surveys_survey_change", args=[survey.pk])


@pytest.fixture(autouse=True)
def _english():
    """Pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world():
    """IDM 2008 as the 2007 discussion note proposes it: two themes, one consultation."""
    cycle = services.cycle_save(actor=SYSTEM, data={"year": 2008})
    gender = _theme(
        cycle,
        "Mainstreaming Gender into Migration Management",
        questions=["How do gender roles influence who migrates?"],
    )
    return_ = _theme(cycle, "Return Migration: Challenges and Opportunities", position=2)
    consultation = _consultation(cycle, [gender, return_])
    return SimpleNamespace(cycle=cycle, gender=gender, return_=return_, consultation=consultation)


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


# --- access ---------------------------------------------------------------------------


def test_every_page_of_the_cycle_urls_is_covered_here():
    assert {p.name for p in cycle_urls.urlpatterns} == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name):
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_delegate_has_no_access(client, delegate, world, name):
    client.force_login(delegate.user)
    before = _writes()

    for response in (client.get(page_url(name, world)), client.post(page_url(name, world))):
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert _writes() == before


@pytest.mark.parametrize("name", sorted(set(PAGES) - POST_ONLY))
def test_staff_can_open_every_page(staff_client, world, name):
    assert staff_client.get(page_url(name, world)).status_code == 200


def test_follow_up_survey_is_prepared_by_post_only(staff_client, world):
    response = staff_client.get(url("consultation_follow_up_survey", world.consultation))

    assert response.status_code == 405
    assert not Survey.objects.exists()


@pytest.mark.parametrize("name", [n for n, attribute in PAGES.items() if attribute])
def test_unknown_ids_are_not_found(staff_client, world, name):
    assert staff_client.get(reverse(f"staff:{name}", args=[9999])).status_code in (404, 405)
    assert staff_client.post(reverse(f"staff:{name}", args=[9999])).status_code in (404, 405)


def test_staff_start_page_links_to_the_cycles(staff_client):
    page = staff_client.get(reverse("staff:home")).content.decode()

    assert url("cycle_list") in page
    assert url("interest_search") in page


# --- cycles ---------------------------------------------------------------------------


def test_cycle_list_shows_year_name_status_and_theme(staff_client, world):
    _agree(world, world.return_)
    decision_consultation = world.consultation
    services.decision_record(
        actor=SYSTEM,
        cycle=world.cycle,
        subject=Decision.Subject.THEME,
        proposals=[world.return_],
        decided_on=datetime.date(2007, 10, 15),
        consultation=decision_consultation,
    )
    services.cycle_save(actor=SYSTEM, data={"year": 2009})

    page = staff_client.get(url("cycle_list")).content.decode()

    assert "IDM 2008" in page
    assert "IDM 2009" in page
    assert "In preparation" in page
    assert "Return Migration: Challenges and Opportunities" in page
    assert "Not decided yet" in page
    assert page.index("IDM 2009") < page.index("IDM 2008")


def test_opening_a_cycle_names_it_after_its_year(staff_client, staff_user):
    response = staff_client.post(url("cycle_add"), {"year": "2009", "status": "preparing"})

    cycle = Cycle.objects.get(year=2009)
    assert response.status_code == 302
    assert response["Location"] == url("cycle_detail", cycle)
    assert cycle.name_en == "IDM 2009"
    assert AuditEntry.objects.get(object_type="cycles.cycle", action="create").actor == staff_user


def test_a_second_cycle_for_the_same_year_is_refused_on_the_form(staff_client, world):
    before = _writes()

    response = staff_client.post(
        url("cycle_add"), {"year": "2008", "name_en": "Again", "status": "preparing"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["year"] == ["A cycle for 2008 already exists."]
    assert "A cycle for 2008 already exists." in response.content.decode()
    assert Cycle.objects.count() == 1
    assert _writes() == before


def test_editing_a_cycle_changes_its_names_and_status(staff_client, world):
    response = staff_client.get(url("cycle_edit", world.cycle))
    assert 'value="2008"' in response.content.decode()

    staff_client.post(
        url("cycle_edit", world.cycle),
        {"year": "2008", "name_en": "IDM 2008", "name_fr": "DIM 2008", "status": "current"},
    )

    world.cycle.refresh_from_db()
    assert world.cycle.status == Cycle.Status.CURRENT
    assert world.cycle.name_fr == "DIM 2008"


def test_cycle_page_shows_how_the_theme_was_chosen_and_what_followed(staff_client, world):
    _disagree(world)
    survey = _closed_survey(world.consultation)
    first = services.decision_record(
        actor=SYSTEM,
        cycle=world.cycle,
        subject=Decision.Subject.THEME,
        proposals=[world.gender],
        decided_on=datetime.date(2007, 11, 5),
        survey=survey,
    )
    services.decision_record(
        actor=SYSTEM,
        cycle=world.cycle,
        subject=Decision.Subject.THEME,
        proposals=[world.return_],
        decided_on=datetime.date(2007, 11, 20),
        survey=survey,
        note="The first count left out late written responses.",
        supersedes=first,
    )
    topic = _topic(
        world.return_, "Return migration and development", proposer=MemberFactory(code="CHE")
    )
    topics_meeting = _consultation(world.cycle, [topic], datetime.date(2007, 12, 3), "December")
    topics_meeting = services.consultation_record_outcome(
        actor=SYSTEM,
        consultation=topics_meeting,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=topic,
    )
    services.decision_record(
        actor=SYSTEM,
        cycle=world.cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=[topic],
        decided_on=datetime.date(2007, 12, 3),
        consultation=topics_meeting,
    )

    response = staff_client.get(url("cycle_detail", world.cycle))

    page = response.content.decode()
    overview = response.context["overview"]
    assert overview.cycle.theme == world.return_
    assert "Decided on the result of the survey" in page
    assert _survey_page(survey) in page
    assert "The first count left out late written responses." in page
    assert "Superseded by the decision of" in page
    assert "Supersedes the decision of" in page
    assert page.count('<span class="badge">current</span>') == 2
    assert "Return migration and development" in page
    assert "Switzerland" in page  # the topic's proposer
    assert "The Administration" in page
    assert "No agreement" in page
    assert "Follow-up survey:" in page
    assert [e.title for e in overview.events] == ["Return migration and development"]
    assert Event.objects.get().status == Event.Status.PLANNING
    assert reverse("staff:event_detail", args=[Event.objects.get().pk]) in page


def test_cycle_page_reads_a_fixed_number_of_queries(
    staff_client, world, django_assert_max_num_queries
):
    for n in range(5):
        _topic(world.gender, f"Topic {n}")
    with django_assert_max_num_queries(20):
        staff_client.get(url("cycle_detail", world.cycle))


# --- proposals ------------------------------------------------------------------------


def _proposal_form(**overrides):
    data = {
        "kind": "theme",
        "theme": "",
        "position": "3",
        "title_en": "Migration and the Environment",
        "title_fr": "Migration et environnement",
        "title_es": "",
        "summary_en": "",
        "summary_fr": "",
        "summary_es": "",
        "proposer": "",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    for i in range(3):
        data.update({f"questions-{i}-{k}": "" for k in ("en", "fr", "es", "ORDER")})
    data.update(overrides)
    return data


def test_proposing_a_theme_keeps_its_questions_in_the_order_given(staff_client, world):
    response = staff_client.post(
        url("proposal_add", world.cycle),
        _proposal_form(
            **{
                "questions-0-en": "Second question?",
                "questions-0-fr": "Deuxième question ?",
                "questions-0-ORDER": "2",
                "questions-1-en": "First question?",
                "questions-1-es": "¿Primera pregunta?",
                "questions-1-ORDER": "1",
            }
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == url("cycle_detail", world.cycle)
    proposal = Proposal.objects.get(title_en="Migration and the Environment")
    assert proposal.proposer is None
    assert [(q.position, q.text_en, q.text_fr, q.text_es) for q in proposal.questions.all()] == [
        (1, "First question?", "", "¿Primera pregunta?"),
        (2, "Second question?", "Deuxième question ?", ""),
    ]


def test_proposal_form_offers_the_cycle_themes_and_empty_question_rows(staff_client, world):
    page = staff_client.get(url("proposal_add", world.cycle)).content.decode()

    assert "Mainstreaming Gender into Migration Management" in page
    assert 'name="questions-2-en"' in page
    assert 'name="questions-0-ORDER"' in page
    assert 'name="questions-0-DELETE"' in page


def test_a_workshop_topic_without_a_theme_is_refused_on_the_form(staff_client, world):
    before = Proposal.objects.count()

    response = staff_client.post(
        url("proposal_add", world.cycle), _proposal_form(kind="workshop_topic")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["theme"] == [
        "A workshop topic belongs to an overarching theme."
    ]
    assert Proposal.objects.count() == before


def test_a_question_without_english_is_refused_and_nothing_is_stored(staff_client, world):
    before = _writes()

    response = staff_client.post(
        url("proposal_add", world.cycle),
        _proposal_form(**{"questions-0-fr": "Seulement en français ?"}),
    )

    assert response.status_code == 400
    assert "Guiding question 1 has no English text." in response.content.decode()
    assert not Proposal.objects.filter(title_en="Migration and the Environment").exists()
    assert _writes() == before


def test_a_workshop_topic_is_proposed_under_a_theme_by_a_member(staff_client, world):
    member = MemberFactory(code="SEN")

    staff_client.post(
        url("proposal_add", world.cycle),
        _proposal_form(kind="workshop_topic", theme=str(world.gender.pk), proposer=str(member.pk)),
    )

    topic = Proposal.objects.get(title_en="Migration and the Environment")
    assert topic.theme == world.gender
    assert topic.proposer == member


def test_editing_a_proposal_removes_and_reorders_its_questions(staff_client, world):
    services.proposal_save(
        actor=SYSTEM,
        proposal=world.gender,
        data={},
        questions=[{"en": "A?"}, {"en": "B?"}, {"en": "C?"}],
    )
    page = staff_client.get(url("proposal_edit", world.gender)).content.decode()
    assert "B?" in page

    data = _proposal_form(
        title_en=world.gender.title_en,
        position="1",
        **{
            "questions-TOTAL_FORMS": "4",
            "questions-INITIAL_FORMS": "3",
            "questions-0-en": "A?",
            "questions-0-ORDER": "3",
            "questions-1-en": "B?",
            "questions-1-ORDER": "2",
            "questions-1-DELETE": "on",
            "questions-2-en": "C?",
            "questions-2-ORDER": "1",
            "questions-3-en": "D?",
            "questions-3-fr": "",
            "questions-3-es": "",
            "questions-3-ORDER": "",
        },
    )
    response = staff_client.post(url("proposal_edit", world.gender), data)

    assert response.status_code == 302
    assert list(world.gender.questions.values_list("text_en", flat=True)) == ["C?", "A?", "D?"]
    assert GuidingQuestion.objects.filter(text_en="B?").count() == 0


def test_withdrawing_a_proposal_is_confirmed_first(staff_client, world):
    page = staff_client.get(url("proposal_withdraw", world.gender)).content.decode()
    assert "Withdraw “Mainstreaming Gender into Migration Management”" in page
    world.gender.refresh_from_db()
    assert world.gender.status == Proposal.Status.PROPOSED

    response = staff_client.post(url("proposal_withdraw", world.gender), follow=True)

    world.gender.refresh_from_db()
    assert world.gender.status == Proposal.Status.WITHDRAWN
    assert response.redirect_chain == [(url("cycle_detail", world.cycle), 302)]
    assert "was withdrawn" in response.content.decode()


def test_a_proposal_already_decided_on_cannot_be_withdrawn(staff_client, world):
    _agree(world, world.gender)
    services.decision_record(
        actor=SYSTEM,
        cycle=world.cycle,
        subject=Decision.Subject.THEME,
        proposals=[world.gender],
        decided_on=datetime.date(2007, 10, 15),
        consultation=world.consultation,
    )

    response = staff_client.post(url("proposal_withdraw", world.gender), follow=True)

    assert "Only a proposal still under consideration can be withdrawn." in (
        response.content.decode()
    )
    world.gender.refresh_from_db()
    assert world.gender.status == Proposal.Status.SELECTED


# --- consultations --------------------------------------------------------------------


def _consultation_form(**overrides):
    data = {
        "held_on": "2007-10-15",
        "place": "Geneva",
        "title_en": "Informal consultations on IDM 2008",
        "title_fr": "",
        "title_es": "",
    }
    data.update(overrides)
    return data


def test_scheduling_a_consultation_records_the_proposals_discussed(staff_client, world):
    response = staff_client.post(
        url("consultation_add", world.cycle),
        {**_consultation_form(), "proposals": [world.gender.pk, world.return_.pk]},
    )

    assert response.status_code == 302
    consultation = Consultation.objects.get(title_en="Informal consultations on IDM 2008")
    assert consultation.cycle == world.cycle
    assert set(consultation.proposals.all()) == {world.gender, world.return_}


def test_a_consultation_without_a_date_is_refused_and_nothing_is_stored(staff_client, world):
    response = staff_client.post(
        url("consultation_add", world.cycle), _consultation_form(held_on="")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["held_on"]
    assert Consultation.objects.count() == 1


def test_editing_a_consultation_changes_what_it_discussed(staff_client, world):
    page = staff_client.get(url("consultation_edit", world.consultation)).content.decode()
    assert 'value="2007-10-15"' in page

    staff_client.post(
        url("consultation_edit", world.consultation),
        {**_consultation_form(place="Bangkok"), "proposals": [world.gender.pk]},
    )

    world.consultation.refresh_from_db()
    assert world.consultation.place == "Bangkok"
    assert list(world.consultation.proposals.all()) == [world.gender]


def test_agreement_without_the_agreed_proposal_is_refused_on_the_form(staff_client, world):
    before = _writes()

    response = staff_client.post(
        url("consultation_outcome", world.consultation), {"outcome": "agreement"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["agreed_proposal"] == [
        "Name the proposal the consultation agreed on."
    ]
    world.consultation.refresh_from_db()
    assert world.consultation.outcome == Consultation.Outcome.PENDING
    assert _writes() == before


def test_recording_no_agreement_offers_the_follow_up_survey(staff_client, world):
    response = staff_client.post(
        url("consultation_outcome", world.consultation),
        {"outcome": "no_agreement", "notes": "Delegations were divided."},
        follow=True,
    )

    world.consultation.refresh_from_db()
    assert world.consultation.outcome == Consultation.Outcome.NO_AGREEMENT
    assert world.consultation.outcome_notes == "Delegations were divided."
    page = response.content.decode()
    assert "Prepare the follow-up survey" in page
    assert url("consultation_follow_up_survey", world.consultation) in page
    outcome_page = staff_client.get(url("consultation_outcome", world.consultation))
    assert "Prepare the follow-up survey" in outcome_page.content.decode()


def test_recording_agreement_names_the_proposal(staff_client, world):
    staff_client.post(
        url("consultation_outcome", world.consultation),
        {"outcome": "agreement", "agreed_proposal": world.return_.pk},
    )

    world.consultation.refresh_from_db()
    assert world.consultation.agreed_proposal == world.return_


def test_the_follow_up_survey_button_prepares_the_survey_and_opens_it(staff_client, world):
    _disagree(world)

    response = staff_client.post(url("consultation_follow_up_survey", world.consultation))

    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _survey_page(survey)
    assert survey.consultation == world.consultation
    assert survey.status == Survey.Status.DRAFT
    assert survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS
    assert [o.proposal for o in survey.questions.get().options.all()] == [
        world.gender,
        world.return_,
    ]


def test_no_follow_up_survey_after_a_consultation_that_agreed(staff_client, world):
    _agree(world, world.gender)

    response = staff_client.post(
        url("consultation_follow_up_survey", world.consultation), follow=True
    )

    assert "A survey follows only a consultation that reached no agreement." in (
        response.content.decode()
    )
    assert not Survey.objects.exists()


# --- expressions of interest ----------------------------------------------------------


@pytest.fixture
def environment(world):
    """A workshop topic the membership asked for in October 2005 and in October 2006."""
    older = services.cycle_save(actor=SYSTEM, data={"year": 2006})
    oldest = services.cycle_save(actor=SYSTEM, data={"year": 2005})
    topic = _topic(world.gender, "Migration and the Environment", fr="Migration et environnement")
    october_2005 = _consultation(
        oldest, [], datetime.date(2005, 10, 12), "Informal consultations, October 2005"
    )
    survey_2006 = survey_services.survey_create(
        actor=SYSTEM, cycle=older, data={"title_en": "Workshop topics for IDM 2007"}
    )
    services.interest_record(
        actor=SYSTEM,
        proposal=topic,
        expressed_on=datetime.date(2005, 10, 12),
        consultation=october_2005,
    )
    services.interest_record(
        actor=SYSTEM,
        proposal=topic,
        expressed_on=datetime.date(2006, 10, 20),
        survey=survey_2006,
        member=MemberFactory(code="MEX"),
    )
    other = _topic(world.gender, "Migrant women's associations")
    services.interest_record(
        actor=SYSTEM,
        proposal=other,
        expressed_on=datetime.date(2006, 10, 20),
        survey=survey_2006,
    )
    return SimpleNamespace(topic=topic, consultation=october_2005, survey=survey_2006, other=other)


def test_typing_environment_answers_who_asked_for_the_workshop_and_when(staff_client, environment):
    response = staff_client.get(url("interest_search"), {"q": "environment"})

    page = response.content.decode()
    interests = list(response.context["interests"])
    assert [(i.member, i.expressed_on) for i in interests] == [
        (None, datetime.date(2005, 10, 12)),
        (interests[1].member, datetime.date(2006, 10, 20)),
    ]
    assert "Migration and the Environment" in page
    assert "The membership" in page
    assert "Informal consultations, October 2005" in page
    assert "Mexico" in page
    assert "Survey “Workshop topics for IDM 2007”" in page
    assert "Migrant women" not in page


def test_interest_search_matches_titles_in_any_language(staff_client, environment):
    response = staff_client.get(url("interest_search"), {"q": "environnement"})

    assert len(response.context["interests"]) == 2


def test_interest_search_without_words_lists_nothing(staff_client, environment):
    response = staff_client.get(url("interest_search"))

    assert not response.context["interests"]
    assert 'type="search"' in response.content.decode()


def test_proposal_interest_page_lists_who_asked_and_when(staff_client, environment):
    page = staff_client.get(url("proposal_interest", environment.topic)).content.decode()

    assert "Who asked for this, and when" in page
    assert "Informal consultations, October 2005" in page
    assert "Mexico" in page
    assert page.index("Informal consultations, October 2005") < page.index("Mexico")
    assert url("interest_add", environment.topic) in page


def test_recording_interest_of_a_delegation_in_a_survey(staff_client, environment):
    member = MemberFactory(code="THA")

    response = staff_client.post(
        url("interest_add", environment.topic),
        {
            "member": member.pk,
            "survey": environment.survey.pk,
            "expressed_on": "2006-10-21",
            "note": "In its written answer.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("proposal_interest", environment.topic)
    interest = ExpressionOfInterest.objects.get(member=member)
    assert interest.survey == environment.survey
    assert interest.note == "In its written answer."


def test_interest_without_an_occasion_is_refused_and_nothing_is_stored(staff_client, environment):
    before = ExpressionOfInterest.objects.count()

    response = staff_client.post(
        url("interest_add", environment.topic), {"expressed_on": "2006-10-21"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["consultation"] == [
        "Say at which consultation or in which survey."
    ]
    assert ExpressionOfInterest.objects.count() == before


# --- decisions ------------------------------------------------------------------------


def _decision_form(**overrides):
    data = {
        "subject": "theme",
        "basis": "consensus",
        "consultation": "",
        "survey": "",
        "decided_on": "2007-10-15",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_decision_by_consensus_sets_the_theme_and_shows_the_cycle(staff_client, world):
    _agree(world, world.gender)

    response = staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(consultation=world.consultation.pk, proposals=[world.gender.pk]),
        follow=True,
    )

    assert response.redirect_chain == [(url("cycle_detail", world.cycle), 302)]
    decision = Decision.objects.get()
    assert decision.basis == Decision.Basis.CONSENSUS
    assert decision.consultation == world.consultation
    world.cycle.refresh_from_db()
    assert world.cycle.theme == world.gender
    assert "by consensus at the informal consultation" in response.content.decode()


def test_a_decision_on_an_open_survey_is_refused_on_the_form(staff_client, world):
    _disagree(world)
    survey = survey_services.survey_from_consultation(actor=SYSTEM, consultation=world.consultation)
    survey_services.survey_publish(actor=SYSTEM, survey=survey)
    before = _writes()

    response = staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(basis="survey", survey=survey.pk, proposals=[world.gender.pk]),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["survey"] == [
        "A decision cannot rest on a survey that is still open."
    ]
    assert "A decision cannot rest on a survey that is still open." in response.content.decode()
    assert not Decision.objects.exists()
    world.cycle.refresh_from_db()
    assert world.cycle.theme is None
    assert _writes() == before


def test_a_decision_selecting_the_wrong_kind_of_proposal_is_refused(staff_client, world):
    _agree(world, world.gender)

    response = staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(
            subject="workshop_topics",
            consultation=world.consultation.pk,
            proposals=[world.gender.pk],
        ),
    )

    assert response.context["form"].errors["proposals"] == [
        "Mainstreaming Gender into Migration Management cannot be selected by this decision."
    ]
    assert not Decision.objects.exists()


def test_a_decision_on_a_closed_survey_then_a_superseding_one(staff_client, world):
    _disagree(world)
    survey = _closed_survey(world.consultation)
    page = staff_client.get(url("decision_add", world.cycle)).content.decode()
    assert 'name="supersede"' not in page

    staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(basis="survey", survey=survey.pk, proposals=[world.gender.pk]),
    )
    first = Decision.objects.get()

    page = staff_client.get(url("decision_add", world.cycle)).content.decode()
    assert 'name="supersede"' in page
    assert "supersedes the current decision" in page
    refused = staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(basis="survey", survey=survey.pk, proposals=[world.return_.pk]),
    )
    assert refused.context["form"].errors["supersede"] == [
        "A decision on this already exists; record the new one as superseding it."
    ]
    assert Decision.objects.count() == 1

    staff_client.post(
        url("decision_add", world.cycle),
        _decision_form(
            basis="survey",
            survey=survey.pk,
            proposals=[world.return_.pk],
            supersede="on",
            decided_on="2007-11-20",
        ),
    )

    second = Decision.objects.exclude(pk=first.pk).get()
    assert second.supersedes == first
    first.refresh_from_db()
    assert first.note == ""
    assert list(first.proposals.all()) == [world.gender]
    world.cycle.refresh_from_db()
    assert world.cycle.theme == world.return_


def test_decision_form_is_prefilled_from_the_consultation_that_agreed(staff_client, world):
    response = staff_client.get(
        url("decision_add", world.cycle), {"consultation": world.consultation.pk}
    )

    form = response.context["form"]
    assert form.initial["basis"] == Decision.Basis.CONSENSUS
    assert str(form.initial["consultation"]) == str(world.consultation.pk)
