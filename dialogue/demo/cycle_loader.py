"""Demo data of the yearly cycles, written through the cycle, survey and event services.

What the 2007 Discussion Note reports, replayed as the secretariat would have
recorded it: the cycles IDM 2005 to IDM 2008, the proposals with their guiding
questions, the informal consultations and their outcomes, the two surveys (the
selection of the 2007 workshop topics in October/November 2006 and the choice
of the 2008 theme after the consultations of 21 June 2007) with their
responses, the expressions of interest in a workshop on Migration and the
Environment, and the decisions that set each cycle's theme and workshops.

Surveys of the past are run through the same services as today's, each told
the time with `now=`: published at their opening, answered inside their
window, closed at their closing time, results published later. Responses of
delegations with a demo login are submitted by that login from the portal;
the others are recorded by the staff login as written responses, each with a
generated one-page PDF letter. Publishing a survey of the past must not
e-mail today's delegates, so invitations are not sent while this loader runs.

The data lives in `data/cycles.csv`, `data/proposals.toml`,
`data/history.toml` and `data/responses.csv`. Records are found again by
natural keys (a cycle by year, a proposal by cycle, kind and English title, a
consultation by date and place, a survey by cycle and English title, a
response by survey and delegation), so a second run writes nothing. History is
not rewritten: a decision that differs from the data is superseded by a new
one, and a response cannot change once its survey has closed.
"""

import datetime
import textwrap
import tomllib
from functools import cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from dialogue.core import audit
from dialogue.core.errors import DomainError
from dialogue.cycles import services as cycles
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    Proposal,
)
from dialogue.demo.loader import (
    CREATED,
    DATA_DIR,
    UNCHANGED,
    UPDATED,
    Counts,
    Row,
    Step,
    read_rows,
    run_steps,
)
from dialogue.demo.loader import ensure_staff_account as _ensure_staff_account
from dialogue.events.models import Event
from dialogue.members.models import Member, User
from dialogue.surveys import services as surveys
from dialogue.surveys.models import Option, Question, Response, Survey

# The data files give Geneva times.
GENEVA = ZoneInfo("Europe/Zurich")
LANGUAGES = ("en", "fr", "es")
DEFAULT_PLACE = "Geneva"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --- data files -----------------------------------------------------------------


def _toml(name: str) -> dict[str, Any]:
    """The parsed data file `data/<name>`, read again only when the file changes."""
    path = DATA_DIR / name
    return _parsed_toml(path, path.stat().st_mtime_ns)


@cache
def _parsed_toml(path: Path, _modified: int) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def cycle_rows() -> list[Row]:
    return read_rows("cycles.csv")


def proposal_rows() -> list[Row]:
    return _toml("proposals.toml")["proposal"]


def _history(section: str) -> list[Row]:
    return _toml("history.toml").get(section, [])


def consultation_rows() -> list[Row]:
    return _history("consultation")


def survey_rows() -> list[Row]:
    return _history("survey")


def interest_rows() -> list[Row]:
    return _history("interest")


def decision_rows() -> list[Row]:
    return _history("decision")


def response_rows() -> list[Row]:
    return read_rows("responses.csv")


def geneva_time(value: datetime.datetime | str) -> datetime.datetime:
    """A Geneva wall-clock time of the data files ("2007-06-25 09:00" or a TOML
    local date-time) as an aware datetime."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=GENEVA)


# --- finding what the data names ----------------------------------------------------


def _cycle(year: int | str) -> Cycle:
    cycle = Cycle.objects.filter(year=int(year)).first()
    if cycle is None:
        raise DomainError(f"No cycle {year}.", field="cycle")
    return cycle


def _proposal_spec(key: str) -> Row:
    for row in proposal_rows():
        if row["key"] == key:
            return row
    raise DomainError(f"No proposal '{key}' in proposals.toml.", field="proposal")


def _proposal(key: str) -> Proposal:
    spec = _proposal_spec(key)
    proposal = Proposal.objects.filter(
        cycle__year=spec["cycle"], kind=spec["kind"], title_en=spec["title_en"]
    ).first()
    if proposal is None:
        raise DomainError(f"No proposal '{key}' ({spec['title_en']}).", field="proposal")
    return proposal


def _find_consultation(held_on: datetime.date, place: str) -> Consultation | None:
    """The consultation held on that day at that place (the cycle it is filed under may
    change in the data)."""
    return Consultation.objects.filter(held_on=held_on, place=place).order_by("pk").first()


def _consultation(held_on: datetime.date | None) -> Consultation | None:
    if held_on is None:
        return None
    for row in consultation_rows():
        if row["held_on"] == held_on:
            consultation = _find_consultation(held_on, row.get("place", DEFAULT_PLACE))
            if consultation is not None:
                return consultation
    raise DomainError(f"No consultation held on {held_on}.", field="consultation")


def _survey_spec(key: str) -> Row:
    for row in survey_rows():
        if row["key"] == key:
            return row
    raise DomainError(f"No survey '{key}' in history.toml.", field="survey")


def _find_survey(spec: Row) -> Survey | None:
    return Survey.objects.filter(cycle__year=spec["cycle"], title_en=spec["title_en"]).first()


def _survey(key: str | None) -> Survey | None:
    if not key:
        return None
    survey = _find_survey(_survey_spec(key))
    if survey is None:
        raise DomainError(f"No survey '{key}'.", field="survey")
    return survey


def _member(code: str | None) -> Member | None:
    if not code:
        return None
    member = Member.objects.filter(code=code.upper()).first()
    if member is None:
        raise DomainError(f"No member with code '{code}'.", field="member")
    return member


def _texts(row: Row, *names: str) -> dict[str, str]:
    return {
        f"{name}_{language}": row.get(f"{name}_{language}", "")
        for name in names
        for language in LANGUAGES
    }


# --- cycles and proposals -------------------------------------------------------------


def apply_cycle(actor, row: Row) -> str:
    """Open a cycle, or put its names and status back to the data."""
    data = {"year": int(row["year"]), "status": row["status"], **_texts(row, "name")}
    cycle = Cycle.objects.filter(year=data["year"]).first()
    if cycle is None:
        cycles.cycle_save(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(cycle, cycles.CYCLE_FIELDS)
    cycle = cycles.cycle_save(actor=actor, data=data, cycle=cycle)
    return UNCHANGED if audit.snapshot(cycle, cycles.CYCLE_FIELDS) == before else UPDATED


def _questions(row: Row) -> list[dict[str, str]]:
    return [{language: q[language] for language in LANGUAGES} for q in row.get("questions", [])]


def apply_proposal(actor, row: Row) -> str:
    """Create or correct a theme or workshop topic and its ordered guiding questions.

    Its status is left alone: decisions set it. Guiding questions are replaced
    only when the data gives some and they differ from the stored ones.
    """
    cycle = _cycle(row["cycle"])
    data = {
        "cycle": cycle,
        "kind": row["kind"],
        "theme": _proposal(row["theme"]) if row.get("theme") else None,
        "position": row.get("position", 1),
        **_texts(row, "title", "summary"),
    }
    questions = _questions(row)
    proposal = Proposal.objects.filter(
        cycle=cycle, kind=row["kind"], title_en=row["title_en"]
    ).first()
    if proposal is None:
        cycles.proposal_save(actor=actor, data=data, questions=questions or None)
        return CREATED
    before = audit.snapshot(proposal, cycles.PROPOSAL_FIELDS)
    stored = [
        {language: getattr(q, f"text_{language}") for language in LANGUAGES}
        for q in proposal.questions.order_by("position")
    ]
    replace = bool(questions) and questions != stored
    proposal = cycles.proposal_save(
        actor=actor, data=data, questions=questions if replace else None, proposal=proposal
    )
    changed = replace or audit.snapshot(proposal, cycles.PROPOSAL_FIELDS) != before
    return UPDATED if changed else UNCHANGED


# --- consultations ----------------------------------------------------------------------


def apply_consultation(actor, row: Row) -> str:
    """Schedule an informal consultation, with what it discussed and its outcome."""
    cycle = _cycle(row["cycle"])
    outcome = row.get("outcome", "")
    notes = row.get("notes", "")
    data: dict[str, Any] = {
        "cycle": cycle,
        "held_on": row["held_on"],
        "place": row.get("place", DEFAULT_PLACE),
        **_texts(row, "title"),
    }
    if not outcome:
        data["outcome_notes"] = notes
    proposals = [_proposal(key) for key in row.get("proposals", [])]
    consultation = _find_consultation(data["held_on"], data["place"])
    created = consultation is None
    changed = False
    if created:
        consultation = cycles.consultation_save(actor=actor, data=data, proposals=proposals)
    else:
        before = audit.snapshot(consultation, cycles.CONSULTATION_FIELDS)
        discussed = set(consultation.proposals.values_list("pk", flat=True))
        new_discussed = proposals and discussed != {p.pk for p in proposals}
        consultation = cycles.consultation_save(
            actor=actor,
            data=data,
            proposals=proposals if new_discussed else None,
            consultation=consultation,
        )
        changed = bool(new_discussed) or (
            audit.snapshot(consultation, cycles.CONSULTATION_FIELDS) != before
        )
    if outcome:
        agreed = _proposal(row["agreed"]) if row.get("agreed") else None
        recorded = (
            consultation.outcome,
            consultation.agreed_proposal_id,
            consultation.outcome_notes,
        )
        if recorded != (outcome, agreed.pk if agreed else None, notes):
            cycles.consultation_record_outcome(
                actor=actor,
                consultation=consultation,
                outcome=outcome,
                agreed_proposal=agreed,
                notes=notes,
            )
            changed = True
    if created:
        return CREATED
    return UPDATED if changed else UNCHANGED


# --- surveys ---------------------------------------------------------------------------


def apply_survey(actor, row: Row) -> str:
    """Prepare a survey (from its consultation when the data says so) and publish it.

    It is published at its opening time, as staff would have done then.
    """
    cycle = _cycle(row["cycle"])
    consultation = _consultation(row.get("consultation"))
    texts = _texts(row, "title", "introduction")
    survey = _find_survey(row)
    created = survey is None
    if survey is None:
        if row.get("from_consultation"):
            survey = surveys.survey_from_consultation(actor=actor, consultation=consultation)
        else:
            survey = surveys.survey_create(
                actor=actor,
                cycle=cycle,
                consultation=consultation,
                data={
                    **texts,
                    "audience": row.get("audience", Survey.Audience.MEMBERS_AND_OBSERVERS),
                },
            )
            surveys.question_add(
                actor=actor,
                survey=survey,
                text={language: row[f"question_{language}"] for language in LANGUAGES},
                kind=row["kind"],
                method=row["method"],
                max_choices=row.get("max_choices", 1),
                options=[{"proposal": _proposal(key)} for key in row["options"]],
            )
    before = audit.snapshot(survey, surveys.SURVEY_FIELDS)
    survey = surveys.survey_update(actor=actor, survey=survey, data=texts)
    if survey.status == Survey.Status.DRAFT:
        opens_at = geneva_time(row["opens_at"])
        survey = surveys.survey_publish(
            actor=actor,
            survey=survey,
            opens_at=opens_at,
            closes_at=geneva_time(row["closes_at"]),
            now=opens_at,
        )
    if created:
        return CREATED
    return UNCHANGED if audit.snapshot(survey, surveys.SURVEY_FIELDS) == before else UPDATED


def _option_ids(survey: Survey, keys: list[str]) -> tuple[Question, list[int]]:
    question = survey.questions.order_by("position").first()
    if question is None:
        raise DomainError(f"{survey} has no question.", field="survey")
    by_proposal = dict(Option.objects.filter(question=question).values_list("proposal_id", "pk"))
    ids = []
    for key in keys:
        option_id = by_proposal.get(_proposal(key).pk)
        if option_id is None:
            raise DomainError(f"'{key}' is not an option of {survey}.", field="choices")
        ids.append(option_id)
    return question, ids


def letter_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (A4, Helvetica) showing `lines`, one per line."""

    def escaped(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT", "/F1 11 Tf", "15 TL", "72 770 Td"]
    text += [f"({escaped(line)}) Tj T*" for line in lines]
    text.append("ET")
    stream = "\n".join(text).encode("cp1252", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def _letter(survey: Survey, member: Member, labels: list[str], comment: str, when) -> ContentFile:
    """The written response of a delegation as a short note verbale, in a PDF file."""
    sender = "Permanent Mission" if member.is_state else "Delegation"
    day = when.astimezone(GENEVA)
    paragraphs = [
        f"The {sender} presents its compliments to the International Organization for "
        f'Migration and has the honour to convey its response to the survey "{survey.title_en}".',
        "Response: " + "; ".join(labels) + ".",
    ]
    if comment:
        paragraphs.append(f"Comment: {comment}")
    paragraphs.append(
        f"The {sender} avails itself of this opportunity to renew to the International "
        "Organization for Migration the assurances of its highest consideration."
    )
    lines = [
        member.name_en,
        "Permanent Mission in Geneva"
        if member.is_state
        else "Delegation to the International Dialogue on Migration",
        f"Geneva, {day.day} {MONTHS[day.month - 1]} {day.year}",
        "",
    ]
    for paragraph in paragraphs:
        lines += [*textwrap.wrap(paragraph, 88), ""]
    lines.append("Demo data: an illustrative letter, not a real communication.")
    name = f"survey-{survey.pk}-{member.code.lower()}.pdf"
    return ContentFile(letter_pdf(lines), name=name)


def apply_response(actor, row: Row) -> str:
    """Submit a delegation's response at its time: from the portal by the delegation's demo
    login when the data names one, otherwise in writing, recorded by the staff login."""
    survey = _survey(row["survey"])
    member = _member(row["member"])
    keys = [key for key in row["choices"].split("|") if key]
    question, chosen = _option_ids(survey, keys)
    comment = row.get("comment", "")
    current = Response.objects.filter(survey=survey, member=member).first()
    if current is not None:
        stored = list(
            current.answers.filter(question=question)
            .order_by("rank")
            .values_list("option_id", flat=True)
        )
        if stored == chosen and current.comment == comment:
            return UNCHANGED
    when = geneva_time(row["submitted_at"])
    if row.get("by"):
        respondent = User.objects.filter(email__iexact=row["by"]).first()
        if respondent is None:
            raise DomainError(f"No demo login {row['by']}.", field="by")
        channel, letter = Response.Channel.PORTAL, None
    else:
        labels = [Option.objects.get(pk=pk).label_en for pk in chosen]
        respondent, channel = actor, Response.Channel.WRITTEN
        letter = _letter(survey, member, labels, comment, when)
    surveys.response_submit(
        actor=respondent,
        survey=survey,
        member=member,
        choices={question.pk: chosen},
        comment=comment,
        channel=channel,
        letter=letter,
        now=when,
    )
    return CREATED if current is None else UPDATED


def apply_closing(actor, row: Row) -> str:
    """Close a survey at its closing time, then publish its results when the data says so.

    Recording a closing or a publication of results counts as created: it is a new fact,
    not a correction of one already loaded.
    """
    survey = _survey(row["key"])
    changed = False
    if survey.status == Survey.Status.OPEN:
        survey = surveys.survey_close(actor=actor, survey=survey, now=geneva_time(row["closes_at"]))
        changed = True
    if row.get("results_published_at") and survey.status == Survey.Status.CLOSED:
        surveys.survey_publish_results(
            actor=actor, survey=survey, now=geneva_time(row["results_published_at"])
        )
        changed = True
    return CREATED if changed else UNCHANGED


# --- interest and decisions -------------------------------------------------------------


def apply_interest(actor, row: Row) -> str:
    """Record that the membership (or a delegation) expressed interest in a proposal."""
    found = {
        "proposal": _proposal(row["proposal"]),
        "member": _member(row.get("member")),
        "consultation": _consultation(row.get("consultation")),
        "survey": _survey(row.get("survey")),
        "expressed_on": row["expressed_on"],
    }
    if ExpressionOfInterest.objects.filter(**found).exists():
        return UNCHANGED
    cycles.interest_record(actor=actor, note=row.get("note", ""), **found)
    return CREATED


def apply_decision(actor, row: Row) -> str:
    """Record a decision on its basis, unless the current decision already says the same.

    A decision is never edited: one that differs from the data is superseded.
    """
    cycle = _cycle(row["cycle"])
    proposals = [_proposal(key) for key in row["proposals"]]
    survey = _survey(row.get("survey"))
    consultation = None if survey else _consultation(row.get("consultation"))
    note = row.get("note", "")
    current = Decision.objects.filter(
        cycle=cycle, subject=row["subject"], superseded_by__isnull=True
    ).first()
    if current is not None and (
        {p.pk for p in current.proposals.all()} == {p.pk for p in proposals}
        and current.survey_id == (survey.pk if survey else None)
        and current.consultation_id == (consultation.pk if consultation else None)
        and current.decided_on == row["decided_on"]
        and current.note == note
    ):
        return UNCHANGED
    cycles.decision_record(
        actor=actor,
        cycle=cycle,
        subject=row["subject"],
        proposals=proposals,
        decided_on=row["decided_on"],
        consultation=consultation,
        survey=survey,
        note=note,
        supersedes=current,
    )
    return CREATED


CYCLE_STEPS = (
    Step("cycles", "Cycles", cycle_rows, apply_cycle, lambda r: r["year"]),
    Step("proposals", "Proposals and questions", proposal_rows, apply_proposal, lambda r: r["key"]),
    Step(
        "consultations",
        "Informal consultations",
        consultation_rows,
        apply_consultation,
        lambda r: str(r["held_on"]),
    ),
    Step("surveys", "Surveys", survey_rows, apply_survey, lambda r: r["key"]),
    Step(
        "responses",
        "Survey responses",
        response_rows,
        apply_response,
        lambda r: f"{r['survey']} {r['member']}",
    ),
    Step("closings", "Survey closings and results", survey_rows, apply_closing, lambda r: r["key"]),
    Step(
        "interests",
        "Expressions of interest",
        interest_rows,
        apply_interest,
        lambda r: f"{r['proposal']} {r['expressed_on']}",
    ),
    Step(
        "decisions",
        "Decisions",
        decision_rows,
        apply_decision,
        lambda r: f"{r['cycle']} {r['subject']}",
    ),
)


def load_cycles(*, stdout: IO[str] | None = None) -> Counts:
    """Load the demo cycles after the membership, as the demo staff login.

    Returns, for each step, how many rows were created, updated or left unchanged.
    """
    actor, _outcome = _ensure_staff_account()
    return run_steps(CYCLE_STEPS, actor=actor, stdout=stdout)


def cycles_overview() -> list[dict[str, str]]:
    """Each cycle with its status, theme and workshops, for the closing report."""
    rows = []
    for cycle in Cycle.objects.select_related("theme").prefetch_related("events").order_by("year"):
        workshops = [
            f"{event.title_en} ({event.get_status_display()})"
            for event in cycle.events.all()
            if event.kind == Event.Kind.WORKSHOP
        ]
        rows.append(
            {
                "cycle": cycle.name_en,
                "status": str(cycle.get_status_display()),
                "theme": cycle.theme.title_en if cycle.theme else "",
                "workshops": "\n".join(workshops),
            }
        )
    return rows
