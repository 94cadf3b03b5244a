"""Rows read and written with SQL built once behave as the ORM's own reads and saves."""

import datetime

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save

from dialogue.core import rows
from dialogue.core.models import AuditEntry
from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys.models import Question
from dialogue.surveys.tests.factories import PublishedSurveyFactory, questions_of, ranking

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2007, 3, 27, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def _select(model, pk):
    sql = f"SELECT {rows.columns(model, 'x')} FROM {model._meta.db_table} x WHERE x.id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def signals():
    """The (signal, sender, created, update_fields) of every save signal sent meanwhile."""
    sent = []

    def pre(sender, instance, update_fields=None, **kwargs):
        sent.append(("pre_save", sender, None, update_fields))

    def post(sender, instance, created, update_fields=None, **kwargs):
        sent.append(("post_save", sender, created, update_fields))

    pre_save.connect(pre, dispatch_uid="rows-test-pre")
    post_save.connect(post, dispatch_uid="rows-test-post")
    yield sent
    pre_save.disconnect(dispatch_uid="rows-test-pre")
    post_save.disconnect(dispatch_uid="rows-test-post")


def _entry(**fields) -> AuditEntry:
    defaults = {
        "at": WHEN,
        "actor_label": "system",
        "action": AuditEntry.Action.CREATE,
        "object_type": "surveys.survey",
        "object_id": "7",
        "object_repr": "Côte d'Ivoire — Türkiye",
        "changes": {"version": [1, 2], "names": ["Côte d'Ivoire"]},
        "ip_address": "192.0.2.10",
    }
    return AuditEntry(**{**defaults, **fields})


def test_a_loaded_row_has_the_values_the_orm_reads(staff_user):
    survey = PublishedSurveyFactory(
        actor=staff_user, questions=[ranking(3, required=False, option_comments=True)]
    )
    (question,) = questions_of(survey)
    Question.objects.filter(pk=question.pk).update(tiebreak={"order": [3, 1, 2]})
    entry = _entry()
    entry.save()

    for model, pk in ((Question, question.pk), (AuditEntry, entry.pk)):
        loaded = rows.load(model, _select(model, pk))
        read = model.objects.get(pk=pk)
        assert _values(loaded) == _values(read)
        assert not loaded._state.adding
    loaded_question = rows.load(Question, _select(Question, question.pk))
    assert loaded_question.required is False
    assert loaded_question.tiebreak == {"order": [3, 1, 2]}


def test_an_insert_is_stored_as_save_stores_it_and_sends_its_signals(signals):
    entry = rows.insert(_entry())

    assert entry.pk is not None and not entry._state.adding
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.at == WHEN
    assert stored.changes == {"version": [1, 2], "names": ["Côte d'Ivoire"]}
    assert stored.object_repr == "Côte d'Ivoire — Türkiye"
    assert stored.ip_address == "192.0.2.10"
    assert [s for s in signals if s[1] is AuditEntry] == [
        ("pre_save", AuditEntry, None, None),
        ("post_save", AuditEntry, True, None),
    ]


def test_a_multi_row_insert_sets_every_key_and_sends_no_signal(signals):
    entries = [_entry(object_id=str(n)) for n in range(3)]

    rows.insert_many(entries)

    keys = [e.pk for e in entries]
    assert len(set(keys)) == 3 and None not in keys
    stored = dict(AuditEntry.objects.filter(pk__in=keys).values_list("pk", "object_id"))
    assert stored == {e.pk: e.object_id for e in entries}
    assert [s for s in signals if s[1] is AuditEntry] == []


def test_an_update_writes_only_the_named_fields(signals):
    member = MemberFactory(name_en="Ivory Coast", code="CIV")
    member.name_en = "Côte d'Ivoire"
    member.code = "XXX"

    rows.update(member, ["name_en"])

    stored = Member.objects.get(pk=member.pk)
    assert (stored.name_en, stored.code) == ("Côte d'Ivoire", "CIV")
    assert signals[-1] == ("post_save", Member, False, frozenset({"name_en"}))


def test_an_update_of_a_row_that_is_gone_is_refused():
    member = MemberFactory()
    Member.objects.filter(pk=member.pk).delete()
    member.name_en = "Türkiye"

    with pytest.raises(Member.DoesNotExist):
        rows.update(member, ["name_en"])
