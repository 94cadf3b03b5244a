"""The admin pages of cycles, surveys and events: writes go through the services."""

import datetime

import pytest
from django.urls import reverse
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
from dialogue.surveys import services as survey_services
from dialogue.surveys.models import (
    MessageTemplate,
    Question,
    Reminder,
    Response,
    ResponseVersion,
    Survey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Pages in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


@pytest.fixture
def cycle():
    return services.cycle_save(actor=SYSTEM, data={"year": 2008})


@pytest.fixture
def themes(cycle):
    return [
        services.proposal_save(
            actor=SYSTEM,
            data={"cycle": cycle, "kind": "theme", "title_en": title, "position": n},
        )
        for n, title in enumerate(("Mainstreaming Gender", "Return Migration"), start=1)
    ]


@pytest.fixture
def consultation(cycle, themes):
    return services.consultation_save(
        actor=SYSTEM,
        data={"cycle": cycle, "held_on": datetime.date(2007, 10, 15), "title_en": "October"},
        proposals=themes,
    )


@pytest.fixture
def survey(consultation):
    consultation = services.consultation_record_outcome(
        actor=SYSTEM, consultation=consultation, outcome=Consultation.Outcome.NO_AGREEMENT
    )
    return survey_services.survey_from_consultation(actor=SYSTEM, consultation=consultation)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _proposal_form(cycle, **overrides):
    data = {
        "cycle": cycle.pk,
        "kind": "theme",
        "theme": "",
        "position": "1",
        "proposer": "",
        "title_en": "Migration and the Environment",
        "title_fr": "",
        "title_es": "",
        "summary_en": "",
        "summary_fr": "",
        "summary_es": "",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_opens_a_cycle_through_the_service(admin_client, staff_user):
    response = admin_client.post(
        admin_url(Cycle, "add"),
        {
            "year": "2009",
            "name_en": "IDM 2009",
            "name_fr": "",
            "name_es": "",
            "status": "preparing",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    cycle = Cycle.objects.get(year=2009)
    entry = AuditEntry.objects.get(object_type="cycles.cycle", object_id=str(cycle.pk))
    assert entry.actor == staff_user
    assert entry.action == AuditEntry.Action.CREATE


def test_admin_shows_the_service_refusal_on_the_form(admin_client, cycle):
    response = admin_client.post(
        admin_url(Cycle, "add"),
        {"year": "2008", "name_en": "Twice", "name_fr": "", "name_es": "", "status": "preparing"},
    )

    assert response.status_code == 200
    assert "A cycle for 2008 already exists." in response.content.decode()
    assert Cycle.objects.count() == 1


def test_admin_cycle_page_links_to_the_staff_page_and_keeps_the_theme_read_only(
    admin_client, cycle
):
    page = admin_client.get(admin_url(Cycle, "change", cycle.pk)).content.decode()

    assert reverse("staff:cycle_detail", args=[cycle.pk]) in page
    assert 'name="theme"' not in page


def test_admin_saves_a_proposal_and_its_questions_in_one_service_call(
    admin_client, cycle, staff_user
):
    response = admin_client.post(
        admin_url(Proposal, "add"),
        _proposal_form(
            cycle,
            **{
                "questions-TOTAL_FORMS": "2",
                "questions-0-position": "2",
                "questions-0-text_en": "Second?",
                "questions-0-text_fr": "",
                "questions-0-text_es": "",
                "questions-1-position": "1",
                "questions-1-text_en": "First?",
                "questions-1-text_fr": "Premier ?",
                "questions-1-text_es": "",
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    proposal = Proposal.objects.get(title_en="Migration and the Environment")
    assert [(q.position, q.text_en, q.text_fr) for q in proposal.questions.all()] == [
        (1, "First?", "Premier ?"),
        (2, "Second?", ""),
    ]
    assert AuditEntry.objects.filter(
        object_type="cycles.proposal", object_id=str(proposal.pk), actor=staff_user
    ).exists()


def test_admin_refuses_a_topic_under_a_theme_of_another_cycle(admin_client, cycle, themes):
    other = services.cycle_save(actor=SYSTEM, data={"year": 2009})

    response = admin_client.post(
        admin_url(Proposal, "add"),
        _proposal_form(other, kind="workshop_topic", theme=str(themes[0].pk)),
    )

    assert response.status_code == 200
    assert "The theme must be of the same cycle." in response.content.decode()
    assert not Proposal.objects.filter(title_en="Migration and the Environment").exists()


def test_admin_changes_a_proposal_and_replaces_its_questions(admin_client, themes):
    theme = themes[0]
    services.proposal_save(actor=SYSTEM, proposal=theme, data={}, questions=[{"en": "Old?"}])
    question = theme.questions.get()

    response = admin_client.post(
        admin_url(Proposal, "change", theme.pk),
        _proposal_form(
            theme.cycle,
            title_en="Mainstreaming Gender into Migration Management",
            **{
                "questions-TOTAL_FORMS": "2",
                "questions-INITIAL_FORMS": "1",
                "questions-0-id": str(question.pk),
                "questions-0-proposal": str(theme.pk),
                "questions-0-position": "1",
                "questions-0-text_en": "Old?",
                "questions-0-text_fr": "",
                "questions-0-text_es": "",
                "questions-0-DELETE": "on",
                "questions-1-proposal": str(theme.pk),
                "questions-1-position": "2",
                "questions-1-text_en": "New?",
                "questions-1-text_fr": "",
                "questions-1-text_es": "",
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    theme.refresh_from_db()
    assert theme.title_en == "Mainstreaming Gender into Migration Management"
    assert list(GuidingQuestion.objects.values_list("proposal", "position", "text_en")) == [
        (theme.pk, 1, "New?")
    ]


def test_admin_consultation_outcome_is_read_only(admin_client, consultation):
    page = admin_client.get(admin_url(Consultation, "change", consultation.pk)).content.decode()

    assert 'name="outcome"' not in page
    assert reverse("staff:consultation_outcome", args=[consultation.pk]) in page

    response = admin_client.post(
        admin_url(Consultation, "change", consultation.pk),
        {
            "held_on": "2007-10-16",
            "place": "Geneva",
            "title_en": "October",
            "title_fr": "",
            "title_es": "",
            "proposals": [p.pk for p in consultation.proposals.all()][:1],
            "outcome": "agreement",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    consultation.refresh_from_db()
    assert consultation.held_on == datetime.date(2007, 10, 16)
    assert consultation.proposals.count() == 1
    assert consultation.outcome == Consultation.Outcome.PENDING


def test_admin_interest_without_an_occasion_shows_the_service_message(admin_client, themes):
    response = admin_client.post(
        admin_url(ExpressionOfInterest, "add"),
        {"proposal": themes[0].pk, "expressed_on": "2006-10-20", "note": ""},
    )

    assert response.status_code == 200
    assert "Say at which consultation or in which survey." in response.content.decode()
    assert not ExpressionOfInterest.objects.exists()


def test_admin_records_interest_through_the_service_and_keeps_it(
    admin_client, themes, consultation, staff_user
):
    response = admin_client.post(
        admin_url(ExpressionOfInterest, "add"),
        {
            "proposal": themes[0].pk,
            "consultation": consultation.pk,
            "expressed_on": "2007-10-15",
            "note": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    interest = ExpressionOfInterest.objects.get()
    assert AuditEntry.objects.filter(
        object_type="cycles.expressionofinterest", object_id=str(interest.pk), actor=staff_user
    ).exists()
    page = admin_client.get(admin_url(ExpressionOfInterest, "change", interest.pk))
    assert 'name="note"' not in page.content.decode()


def test_admin_decisions_are_read_only_and_link_to_the_staff_page(
    admin_client, cycle, themes, consultation
):
    consultation = services.consultation_record_outcome(
        actor=SYSTEM,
        consultation=consultation,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=themes[0],
    )
    decision = services.decision_record(
        actor=SYSTEM,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[themes[0]],
        decided_on=datetime.date(2007, 10, 15),
        consultation=consultation,
    )

    page = admin_client.get(admin_url(Decision, "change", decision.pk)).content.decode()

    assert reverse("staff:cycle_detail", args=[cycle.pk]) in page
    assert "Mainstreaming Gender" in page
    assert 'name="_save"' not in page
    assert admin_client.get(admin_url(Decision, "add")).status_code == 403
    assert admin_client.post(admin_url(Decision, "delete", decision.pk)).status_code == 403


def test_admin_survey_questions_and_options_are_read_only(admin_client, survey):
    page = admin_client.get(admin_url(Survey, "change", survey.pk)).content.decode()

    assert "Which overarching theme should guide the dialogue?" in page
    assert "Mainstreaming Gender; Return Migration" in page
    assert 'name="questions-0-text_en"' not in page
    question = survey.questions.get()
    page = admin_client.get(admin_url(Question, "change", question.pk)).content.decode()
    assert "Return Migration" in page
    assert 'name="options-0-label_en"' not in page
    assert admin_client.get(admin_url(Question, "add")).status_code == 403


def _survey_form(survey, **overrides):
    data = {
        "audience": survey.audience,
        "title_en": survey.title_en,
        "title_fr": survey.title_fr,
        "title_es": survey.title_es,
        "introduction_en": "",
        "introduction_fr": "",
        "introduction_es": "",
        "reminder_days": "[7, 2]",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "1",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "messages-TOTAL_FORMS": "0",
        "messages-INITIAL_FORMS": "0",
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_updates_a_survey_through_the_service(admin_client, survey, staff_user):
    response = admin_client.post(
        admin_url(Survey, "change", survey.pk),
        _survey_form(survey, introduction_en="Two weeks to answer.", observers_counted="on"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    survey.refresh_from_db()
    assert survey.introduction_en == "Two weeks to answer."
    assert survey.observers_counted
    assert AuditEntry.objects.filter(object_type="surveys.survey", actor=staff_user).exists()


def test_admin_refuses_a_new_audience_once_the_survey_is_published(admin_client, survey):
    survey_services.survey_publish(actor=SYSTEM, survey=survey)

    response = admin_client.post(
        admin_url(Survey, "change", survey.pk),
        _survey_form(survey, audience=Survey.Audience.MEMBER_STATES),
    )

    assert response.status_code == 200
    assert "cannot be changed" in response.content.decode()
    survey.refresh_from_db()
    assert survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS


def test_admin_publishes_and_closes_surveys_through_the_services(admin_client, survey):
    changelist = admin_url(Survey, "changelist")

    admin_client.post(changelist, {"action": "publish", "_selected_action": [survey.pk]})
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN

    response = admin_client.post(
        changelist, {"action": "publish", "_selected_action": [survey.pk]}, follow=True
    )
    assert "cannot be changed" in response.content.decode()

    admin_client.post(changelist, {"action": "close", "_selected_action": [survey.pk]})
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED


@pytest.mark.parametrize("model", [Response, ResponseVersion, Reminder, Decision, Question])
def test_admin_records_kept_as_written_cannot_be_added(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize(
    "model",
    [Cycle, Proposal, Consultation, ExpressionOfInterest, Survey, MessageTemplate, Event],
)
def test_admin_lists_open(admin_client, survey, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_admin_event_changes_are_audited(admin_client, cycle, staff_user):
    response = admin_client.post(
        admin_url(Event, "add"),
        {
            "kind": "expert_seminar",
            "cycle": cycle.pk,
            "topic": "",
            "title_en": "Expert seminar on return",
            "title_fr": "",
            "title_es": "",
            "status": "proposed",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert AuditEntry.objects.filter(
        object_type="events.event", object_id=str(event.pk), actor=staff_user
    ).exists()
    assert admin_client.post(admin_url(Event, "delete", event.pk)).status_code == 403


def test_admin_message_text_is_audited(admin_client, survey, staff_user):
    response = admin_client.post(
        admin_url(MessageTemplate, "add"),
        {
            "survey": survey.pk,
            "kind": "reminder",
            "language": "fr",
            "subject": "Rappel : {title}",
            "body": "La délégation de {delegation} n'a pas encore répondu.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEntry.objects.filter(object_type="surveys.messagetemplate", actor=staff_user)
