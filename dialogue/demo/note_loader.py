"""Demo data of the Discussion Note: the note for the informal consultations of
21 June 2007, drafted from the demo data in English, French and Spanish through
`note_services.note_draft`, as the secretariat would before issuing it.

It runs after the other loaders, since the note reports what they load. Loading is
idempotent: a draft that exists and reads as a fresh draft would is left alone, one
still as drafted but older than the data is drafted again, and one that staff have
edited since it was drafted is never overwritten. The three drafts are then issued
together as the Discussion Note of IDM 2007, dated `NOTE_ISSUED_ON` (an illustrative
date before the workshop of 18-19 June 2007, which the note announces), unless they
were issued before.
"""

import datetime
from typing import IO

from dialogue.core.errors import DomainError
from dialogue.cycles.models import Consultation
from dialogue.demo.loader import CREATED, UNCHANGED, UPDATED, Counts, ensure_staff_account
from dialogue.documents import note_services, notes
from dialogue.documents.models import NoteDraft

NOTE_CONSULTATION = datetime.date(2007, 6, 21)
NOTE_PLACE = "Geneva"
NOTE_LANGUAGES = ("en", "fr", "es")
NOTE_ISSUED_ON = datetime.date(2007, 6, 8)


def note_consultation() -> Consultation:
    """The consultation whose note the demo drafts (the informal consultations of 21 June 2007)."""
    consultation = Consultation.objects.filter(held_on=NOTE_CONSULTATION, place=NOTE_PLACE).first()
    if consultation is None:
        raise DomainError(
            f"Discussion Note: no informal consultation on {NOTE_CONSULTATION} in {NOTE_PLACE}; "
            "load the cycles first.",
            field="consultation",
        )
    return consultation


def _apply(actor, consultation: Consultation, language: str) -> str:
    draft = NoteDraft.objects.filter(consultation=consultation, language=language).first()
    if draft is None:
        note_services.note_draft(actor=actor, consultation=consultation, language=language)
        return CREATED
    edited = draft.updated_at != draft.drafted_at
    if edited or draft.status == NoteDraft.Status.ISSUED:
        return UNCHANGED
    if draft.text == notes.draft_text(consultation, language):
        return UNCHANGED
    note_services.note_draft(actor=actor, consultation=consultation, language=language)
    return UPDATED


def load_note(*, stdout: IO[str] | None = None) -> Counts:
    """Draft the demo's Discussion Note in each language, as the demo staff login.

    Returns how many drafts were created, updated or left unchanged.
    """
    actor, _outcome = ensure_staff_account()
    consultation = note_consultation()
    counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED), 0)
    for language in NOTE_LANGUAGES:
        try:
            counts[_apply(actor, consultation, language)] += 1
        except DomainError as error:
            raise DomainError(
                f"Discussion Note ({language}): {error.message}", field=error.field
            ) from error
    issued = _issue(actor, consultation)
    if stdout is not None:
        stdout.write(
            f"Discussion Note of {NOTE_CONSULTATION:%d %B %Y}: "
            f"{counts[CREATED]} drafted, {counts[UPDATED]} drafted again, "
            f"{counts[UNCHANGED]} unchanged; {'issued' if issued[CREATED] else 'already issued'}.\n"
        )
    return {"note": counts, "note_issued": issued}


def _issue(actor, consultation: Consultation) -> dict[str, int]:
    """Issue the drafts in every language, once: drafts already issued stay as they are."""
    counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED), 0)
    drafts = NoteDraft.objects.filter(consultation=consultation, language__in=NOTE_LANGUAGES)
    if drafts.filter(status=NoteDraft.Status.ISSUED).exists():
        counts[UNCHANGED] += 1
        return counts
    note_services.note_issue(
        actor=actor,
        consultation=consultation,
        languages=NOTE_LANGUAGES,
        issued_on=NOTE_ISSUED_ON,
    )
    counts[CREATED] += 1
    return counts
