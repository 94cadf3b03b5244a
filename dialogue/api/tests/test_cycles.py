import datetime

import pytest

from dialogue.cycles import services
from dialogue.cycles.models import Consultation, Cycle, Decision, GuidingQuestion
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle_2008(staff_user):
    """A cycle whose theme was decided, then decided again after a second consultation."""
    cycle = CycleFactory(year=2008, status=Cycle.Status.CURRENT)
    first, second = ThemeFactory(cycle=cycle), ThemeFactory(cycle=cycle)
    topic = WorkshopTopicFactory(cycle=cycle, theme=second)
    GuidingQuestion.objects.create(proposal=second, position=2, text_en="Second question?")
    GuidingQuestion.objects.create(
        proposal=second, position=1, text_en="First question?", text_fr="Première question ?"
    )
    agreed = [
        ConsultationFactory(
            cycle=cycle,
            held_on=datetime.date(2007, 10, day),
            proposals=[first, second],
            outcome=Consultation.Outcome.AGREEMENT,
            agreed_proposal=theme,
        )
        for day, theme in ((1, first), (20, second))
    ]
    earlier = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[first],
        decided_on=datetime.date(2007, 10, 2),
        consultation=agreed[0],
    )
    later = services.decision_record(
        actor=staff_user,
        cycle=cycle,
        subject=Decision.Subject.THEME,
        proposals=[second],
        decided_on=datetime.date(2007, 10, 21),
        consultation=agreed[1],
        supersedes=earlier,
    )
    return {
        "cycle": cycle,
        "themes": [first, second],
        "topic": topic,
        "decisions": [earlier, later],
    }


def test_cycles_are_listed_latest_first_with_their_theme(client, cycle_2008):
    CycleFactory(year=2007)
    response = client.get("/api/v1/cycles")
    assert response.status_code == 200
    body = response.json()
    assert [c["year"] for c in body] == [2008, 2007]
    assert body[0]["theme"] == cycle_2008["themes"][1].title_en
    assert body[1]["theme"] is None


def test_a_cycle_shows_its_proposals_consultations_and_decisions(client, cycle_2008):
    body = client.get("/api/v1/cycles/2008").json()
    first, second = cycle_2008["themes"]
    earlier, later = cycle_2008["decisions"]
    assert body["status"] == "current"
    proposals = {p["id"]: p for p in body["proposals"]}
    assert set(proposals) == {first.pk, second.pk}
    assert [q["text"] for q in proposals[second.pk]["guiding_questions"]] == [
        "First question?",
        "Second question?",
    ]
    assert [t["id"] for t in proposals[second.pk]["workshop_topics"]] == [cycle_2008["topic"].pk]
    assert [c["outcome"] for c in body["consultations"]] == ["agreement", "agreement"]
    assert body["consultations"][0]["agreed_proposal"] == second.pk
    decisions = {d["id"]: d for d in body["decisions"]}
    assert decisions[later.pk]["is_current"] is True
    assert decisions[later.pk]["supersedes"] == earlier.pk
    assert decisions[earlier.pk]["is_current"] is False
    assert decisions[earlier.pk]["superseded_by"] == later.pk


def test_a_cycle_reads_in_the_requests_language(client, cycle_2008):
    body = client.get("/api/v1/cycles/2008", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert body["name"] == "DIM 2008"
    questions = [q for p in body["proposals"] for q in p["guiding_questions"]]
    assert "Première question ?" in [q["text"] for q in questions]


def test_an_unknown_cycle_is_not_found_and_a_bad_year_names_the_field(client):
    assert client.get("/api/v1/cycles/1999").status_code == 404
    response = client.get("/api/v1/cycles/next")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "year"
