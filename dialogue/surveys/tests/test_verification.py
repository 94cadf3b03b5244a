"""RELIABILITY D9: the stored history of responses proves itself. Any one change to a
delegation's chain of versions (a flipped character, a deleted, duplicated or reordered
version, a current response that is not the last version) is found; an untouched chain
raises no alarm."""

import dataclasses
import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import assume, given
from hypothesis import strategies as st

from dialogue.members.tests.factories import MemberFactory
from dialogue.surveys import services
from dialogue.surveys.fingerprints import fingerprint
from dialogue.surveys.models import ResponseVersion
from dialogue.surveys.tests.factories import (
    DURING,
    PublishedSurveyFactory,
    choose_one,
    choose_up_to,
    delegate_of,
    option_ids,
    questions_of,
    ranking,
)
from dialogue.surveys.verification import Current, Link, chain_breaks

START = datetime.datetime(2007, 7, 2, 9, 0, tzinfo=datetime.UTC)
MUTATIONS = ("content", "receipt", "fingerprint", "time", "delete", "duplicate", "reorder")
MUTATIONS += ("current",)
HEX = "0123456789abcdef"

version_content = st.fixed_dictionaries(
    {
        "answers": st.dictionaries(
            st.integers(1, 10**6).map(str),
            st.lists(st.integers(1, 10**6), max_size=4, unique=True),
            min_size=1,
            max_size=3,
        ),
        "option_comments": st.dictionaries(
            st.integers(1, 10**6).map(str), st.text(min_size=1, max_size=20), max_size=2
        ),
        "comment": st.text(max_size=40),
    }
)


@st.composite
def chains(draw):
    """A delegation's valid chain of versions and its current response."""
    survey_id = draw(st.integers(1, 10**6))
    code = draw(st.sampled_from(["SEN", "CIV", "TUR", "MEX", "PHL"]))
    links, previous = [], ""
    moment = START
    for number in range(1, draw(st.integers(1, 6)) + 1):
        content = draw(version_content)
        receipt = "-".join(draw(st.text(HEX.upper(), min_size=4, max_size=4)) for _ in range(4))
        moment += datetime.timedelta(microseconds=draw(st.integers(1, 10**10)))
        print_ = fingerprint(
            survey_id=survey_id,
            member_code=code,
            version=number,
            content=content,
            receipt=receipt,
            submitted_at=moment,
            previous=previous,
        )
        links.append(Link(number, content, receipt, moment, print_))
        previous = print_
    last = links[-1]
    current = Current(
        last.version,
        last.receipt,
        last.fingerprint,
        {q: chosen for q, chosen in last.content["answers"].items() if chosen},
        last.content["comment"],
    )
    return survey_id, code, links, current


def _other(character: str, alphabet: str) -> str:
    return alphabet[(alphabet.index(character) + 1) % len(alphabet)]


def _mutate(draw, kind: str, links: list[Link], current: Current):
    """One change of `kind` to the stored chain or the current response."""
    index = draw(st.integers(0, len(links) - 1))
    link = links[index]
    changed = list(links)
    if kind == "content":
        changed[index] = dataclasses.replace(
            link, content={**link.content, "comment": link.content["comment"] + "!"}
        )
    elif kind == "receipt":
        at = draw(st.integers(0, len(link.receipt) - 1))
        assume(link.receipt[at] in HEX.upper())
        receipt = link.receipt[:at] + _other(link.receipt[at], HEX.upper()) + link.receipt[at + 1 :]
        changed[index] = dataclasses.replace(link, receipt=receipt)
    elif kind == "fingerprint":
        at = draw(st.integers(0, 63))
        flipped = (
            link.fingerprint[:at] + _other(link.fingerprint[at], HEX) + link.fingerprint[at + 1 :]
        )
        changed[index] = dataclasses.replace(link, fingerprint=flipped)
    elif kind == "time":
        changed[index] = dataclasses.replace(
            link, submitted_at=link.submitted_at + datetime.timedelta(microseconds=1)
        )
    elif kind == "delete":
        del changed[index]
    elif kind == "duplicate":
        changed.insert(index, link)
    elif kind == "reorder":
        assume(len(links) >= 2)
        other = (index + 1) % len(links)
        changed[index] = dataclasses.replace(link, version=links[other].version)
        changed[other] = dataclasses.replace(links[other], version=link.version)
        changed.sort(key=lambda stored: stored.version)
    else:
        answers = {**current.answers, "999999999": [1]}
        return changed, dataclasses.replace(current, answers=answers)
    return changed, current


@given(chain=chains())
def test_an_untouched_chain_raises_no_alarm(chain):
    survey_id, code, links, current = chain

    assert chain_breaks(survey_id, code, links, current) == []


@given(chain=chains(), kind=st.sampled_from(MUTATIONS), data=st.data())
def test_any_one_change_to_a_chain_is_found(chain, kind, data):
    survey_id, code, links, current = chain
    changed, changed_current = _mutate(data.draw, kind, links, current)

    assert chain_breaks(survey_id, code, changed, changed_current)


@given(chain=chains())
def test_a_chain_does_not_recompute_as_another_delegations_or_surveys(chain):
    survey_id, code, links, current = chain

    assert chain_breaks(survey_id + 1, code, links, current)
    assert chain_breaks(survey_id, "ZZZ", links, current)


# --- on stored responses ------------------------------------------------------------------


@pytest.fixture
def answered(db, staff_user):
    survey = PublishedSurveyFactory(
        actor=staff_user, questions=[choose_one(), choose_up_to(2), ranking(3, required=False)]
    )
    one, up_to, rank = questions_of(survey)
    for code in ("SEN", "CIV"):
        member = MemberFactory(code=code)
        delegate = delegate_of(member)
        for number in range(2):
            services.response_submit(
                actor=delegate,
                survey=survey,
                member=member,
                choices={
                    one.pk: [option_ids(one)[number]],
                    up_to.pk: option_ids(up_to)[:2],
                    rank.pk: option_ids(rank)[:3],
                },
                comment=f"Version {number + 1}",
                now=DURING + datetime.timedelta(minutes=number),
            )
    return survey


def test_the_command_confirms_a_history_that_recomputes(answered, capsys):
    call_command("survey", "verify", str(answered.pk))

    out = capsys.readouterr().out
    assert "4 stored versions of 2 responses" in out
    assert "every fingerprint recomputes" in out


def test_the_database_refuses_to_change_or_delete_a_stored_version(answered):
    version = ResponseVersion.objects.filter(survey=answered).first()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ResponseVersion.objects.filter(pk=version.pk).update(receipt="0000-0000-0000-0000")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ResponseVersion.objects.filter(pk=version.pk).delete()

    assert ResponseVersion.objects.get(pk=version.pk).receipt == version.receipt


def _tamper(version: ResponseVersion, **changes) -> None:
    """Change a stored version as someone with the database's own rights could: first
    dropping the trigger that refuses it (the test's transaction brings it back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER surveys_responseversion_no_change ON surveys_responseversion"
            )
        else:
            cursor.execute("DROP TRIGGER surveys_responseversion_no_update")
    ResponseVersion.objects.filter(pk=version.pk).update(**changes)


def test_the_command_names_the_delegation_whose_stored_answer_was_changed(answered, capsys):
    version = ResponseVersion.objects.get(survey=answered, member__code="CIV", version=1)
    _tamper(version, content={**version.content, "comment": "Version 1, changed afterwards"})

    with pytest.raises(CommandError, match="1 delegations"):
        call_command("survey", "verify", str(answered.pk))

    err = capsys.readouterr().err
    assert "CIV: version 1 does not match its fingerprint" in err
    assert "SEN" not in err
