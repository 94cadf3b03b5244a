import pytest

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.models import AuditEntry
from dialogue.cycles import services
from dialogue.cycles.models import Cycle, GuidingQuestion, Proposal
from dialogue.cycles.tests.factories import CycleFactory, ThemeFactory, WorkshopTopicFactory

pytestmark = pytest.mark.django_db


def _entries(obj):
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("id")


# cycle_save


def test_opening_a_cycle_names_it_after_its_year_and_is_audited(staff_user):
    cycle = services.cycle_save(actor=staff_user, data={"year": 2008})
    assert cycle.name_en == "IDM 2008"
    assert cycle.status == Cycle.Status.PREPARING
    assert cycle.theme is None
    entry = _entries(cycle).get()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == staff_user
    assert entry.changes["year"] == 2008


def test_a_second_cycle_for_the_same_year_is_refused_and_nothing_is_written(staff_user):
    services.cycle_save(actor=staff_user, data={"year": 2008})
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.cycle_save(actor=staff_user, data={"year": 2008, "name_en": "Again"})
    assert error.value.field == "year"
    assert "2008" in error.value.message
    assert Cycle.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_moving_a_cycle_onto_the_year_of_another_is_refused(staff_user):
    services.cycle_save(actor=staff_user, data={"year": 2008})
    later = services.cycle_save(actor=staff_user, data={"year": 2009})
    with pytest.raises(DomainError) as error:
        services.cycle_save(actor=staff_user, cycle=later, data={"year": 2008})
    assert error.value.field == "year"
    later.refresh_from_db()
    assert later.year == 2009


def test_the_theme_of_a_cycle_cannot_be_set_directly(staff_user):
    cycle = CycleFactory(year=2008)
    theme = ThemeFactory(cycle=cycle)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.cycle_save(actor=staff_user, cycle=cycle, data={"theme": theme})
    assert error.value.field == "theme"
    cycle.refresh_from_db()
    assert cycle.theme is None
    assert AuditEntry.objects.count() == audit_before


def test_a_year_outside_the_dialogue_is_refused(staff_user):
    with pytest.raises(DomainError):
        services.cycle_save(actor=staff_user, data={"year": 1800})
    assert Cycle.objects.count() == 0


def test_changing_a_cycle_audits_only_what_changed(staff_user):
    cycle = services.cycle_save(actor=staff_user, data={"year": 2008})
    services.cycle_save(
        actor=staff_user, cycle=cycle, data={"status": Cycle.Status.CURRENT, "name_fr": "DIM 2008"}
    )
    update = _entries(cycle).get(action=AuditEntry.Action.UPDATE)
    assert update.changes == {"name_fr": ["", "DIM 2008"], "status": ["preparing", "current"]}


def test_saving_a_cycle_unchanged_writes_no_audit_entry(staff_user):
    cycle = services.cycle_save(actor=staff_user, data={"year": 2008})
    services.cycle_save(actor=staff_user, cycle=cycle, data={"year": 2008})
    assert _entries(cycle).count() == 1


def test_only_the_secretariat_opens_a_cycle(delegate):
    with pytest.raises(NotPermitted):
        services.cycle_save(actor=delegate.user, data={"year": 2008})
    assert Cycle.objects.count() == 0


# proposal_save


def test_a_theme_is_proposed_with_its_ordered_guiding_questions(staff_user):
    cycle = CycleFactory()
    proposal = services.proposal_save(
        actor=staff_user,
        data={"cycle": cycle, "kind": Proposal.Kind.THEME, "title_en": "Migration and trade"},
        questions=[
            {"en": " What are the links? ", "fr": "Quels sont les liens ?", "es": ""},
            {"en": "Which policies work?"},
        ],
    )
    questions = list(proposal.questions.order_by("position"))
    assert [(q.position, q.text_en, q.text_fr) for q in questions] == [
        (1, "What are the links?", "Quels sont les liens ?"),
        (2, "Which policies work?", ""),
    ]
    assert proposal.proposer_label == "The Administration"
    create = _entries(proposal).get(action=AuditEntry.Action.CREATE)
    assert create.changes["title_en"] == "Migration and trade"
    questions_entry = _entries(proposal).get(action=AuditEntry.Action.UPDATE)
    assert questions_entry.changes["guiding_questions"] == [
        [],
        ["What are the links?", "Which policies work?"],
    ]


def test_new_guiding_questions_replace_the_old_ones_in_their_new_order_and_are_audited(
    staff_user,
):
    theme = ThemeFactory()
    services.proposal_save(
        actor=staff_user,
        proposal=theme,
        data={},
        questions=[{"en": "A?"}, {"en": "B?"}, {"en": "C?"}],
    )
    services.proposal_save(
        actor=staff_user, proposal=theme, data={}, questions=[{"en": "C?"}, {"en": "A?"}]
    )
    assert list(theme.questions.order_by("position").values_list("position", "text_en")) == [
        (1, "C?"),
        (2, "A?"),
    ]
    assert GuidingQuestion.objects.filter(proposal=theme).count() == 2
    last = _entries(theme).filter(action=AuditEntry.Action.UPDATE).last()
    assert last.changes == {"guiding_questions": [["A?", "B?", "C?"], ["C?", "A?"]]}


def test_correcting_only_the_french_text_of_a_guiding_question_is_audited(staff_user):
    theme = ThemeFactory()
    services.proposal_save(
        actor=staff_user, proposal=theme, data={}, questions=[{"en": "A?", "fr": "A ?"}]
    )
    audit_before = _entries(theme).count()
    services.proposal_save(
        actor=staff_user, proposal=theme, data={}, questions=[{"en": "A?", "fr": "Le A ?"}]
    )
    assert theme.questions.get().text_fr == "Le A ?"
    assert _entries(theme).count() == audit_before + 1


def test_a_guiding_question_without_english_text_is_refused_and_the_old_ones_stay(staff_user):
    theme = ThemeFactory(title_en="Original")
    services.proposal_save(actor=staff_user, proposal=theme, data={}, questions=[{"en": "A?"}])
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            proposal=theme,
            data={"title_en": "Renamed"},
            questions=[{"en": "B?"}, {"en": "  ", "fr": "Seulement en français ?"}],
        )
    assert error.value.field == "questions"
    assert "2" in error.value.message
    theme.refresh_from_db()
    assert theme.title_en == "Original"
    assert list(theme.questions.values_list("text_en", flat=True)) == ["A?"]
    assert AuditEntry.objects.count() == audit_before


def test_a_proposal_needs_an_english_title(staff_user):
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            data={"cycle": CycleFactory(), "kind": Proposal.Kind.THEME, "title_fr": "Titre"},
        )
    assert error.value.field == "title_en"
    assert Proposal.objects.count() == 0


def test_a_workshop_topic_is_proposed_under_a_theme_of_its_cycle(staff_user):
    theme = ThemeFactory()
    topic = services.proposal_save(
        actor=staff_user,
        data={
            "cycle": theme.cycle,
            "kind": Proposal.Kind.WORKSHOP_TOPIC,
            "theme": theme,
            "title_en": "Labour mobility",
        },
    )
    assert topic.theme == theme
    assert list(theme.topics.all()) == [topic]


def test_a_workshop_topic_without_a_theme_is_refused(staff_user):
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            data={
                "cycle": CycleFactory(),
                "kind": Proposal.Kind.WORKSHOP_TOPIC,
                "title_en": "Labour mobility",
            },
        )
    assert error.value.field == "theme"
    assert Proposal.objects.count() == 0


def test_a_workshop_topic_under_a_theme_of_another_cycle_is_refused(staff_user):
    other_theme = ThemeFactory(cycle=CycleFactory(year=2007))
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            data={
                "cycle": CycleFactory(year=2008),
                "kind": Proposal.Kind.WORKSHOP_TOPIC,
                "theme": other_theme,
                "title_en": "Labour mobility",
            },
        )
    assert error.value.field == "theme"
    assert "same cycle" in error.value.message
    assert Proposal.objects.filter(kind=Proposal.Kind.WORKSHOP_TOPIC).count() == 0


def test_a_workshop_topic_under_another_workshop_topic_is_refused(staff_user):
    topic = WorkshopTopicFactory()
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            data={
                "cycle": topic.cycle,
                "kind": Proposal.Kind.WORKSHOP_TOPIC,
                "theme": topic,
                "title_en": "Nested",
            },
        )
    assert error.value.field == "theme"


def test_a_theme_under_another_theme_is_refused(staff_user):
    theme = ThemeFactory()
    with pytest.raises(DomainError) as error:
        services.proposal_save(
            actor=staff_user,
            data={
                "cycle": theme.cycle,
                "kind": Proposal.Kind.THEME,
                "theme": theme,
                "title_en": "Sub-theme",
            },
        )
    assert error.value.field == "theme"


def test_moving_a_topic_to_another_cycle_than_its_theme_is_refused(staff_user):
    topic = WorkshopTopicFactory(cycle=CycleFactory(year=2008))
    with pytest.raises(DomainError):
        services.proposal_save(
            actor=staff_user, proposal=topic, data={"cycle": CycleFactory(year=2009)}
        )
    topic.refresh_from_db()
    assert topic.cycle.year == 2008


def test_a_proposal_by_a_member_names_its_proposer(staff_user, member_state):
    theme = services.proposal_save(
        actor=staff_user,
        data={
            "cycle": CycleFactory(),
            "kind": Proposal.Kind.THEME,
            "title_en": "Diaspora",
            "proposer": member_state,
        },
    )
    assert theme.proposer_label == str(member_state)


def test_only_the_secretariat_proposes(delegate):
    with pytest.raises(NotPermitted):
        services.proposal_save(
            actor=delegate.user,
            data={"cycle": CycleFactory(), "kind": Proposal.Kind.THEME, "title_en": "X"},
        )
    assert Proposal.objects.count() == 0


# proposal_withdraw


def test_a_proposal_under_consideration_is_withdrawn_and_audited(staff_user):
    theme = ThemeFactory()
    services.proposal_withdraw(actor=staff_user, proposal=theme)
    theme.refresh_from_db()
    assert theme.status == Proposal.Status.WITHDRAWN
    entry = _entries(theme).get()
    assert entry.changes == {"status": ["proposed", "withdrawn"]}


@pytest.mark.parametrize(
    "status", [Proposal.Status.SELECTED, Proposal.Status.NOT_SELECTED, Proposal.Status.WITHDRAWN]
)
def test_a_proposal_already_decided_on_or_withdrawn_cannot_be_withdrawn(staff_user, status):
    theme = ThemeFactory(status=status)
    with pytest.raises(DomainError):
        services.proposal_withdraw(actor=staff_user, proposal=theme)
    theme.refresh_from_db()
    assert theme.status == status
    assert _entries(theme).count() == 0


def test_only_the_secretariat_withdraws_a_proposal(delegate):
    theme = ThemeFactory()
    with pytest.raises(NotPermitted):
        services.proposal_withdraw(actor=delegate.user, proposal=theme)
    theme.refresh_from_db()
    assert theme.status == Proposal.Status.PROPOSED
