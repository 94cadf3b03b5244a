"""Writes of the Discussion Note: drafting it from the data, saving staff edits, issuing it.

All of them are for the secretariat only, run in one transaction each and leave entries
in the audit trail (a re-draft or an edit records the text it replaced). Issuing turns
the drafts of a consultation into one published Document of kind Discussion Note, with
a PDF language version per language issued, through the documents services.
"""

import datetime
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.i18n import CONTENT_LANGUAGES
from dialogue.core.services import save_audited
from dialogue.cycles.models import Consultation
from dialogue.documents import note_render, notes, services
from dialogue.documents.models import Document, LanguageVersion, NoteDraft

NOTE_FIELDS = ("consultation", "language", "text", "version", "status", "document", "issued_at")


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _normalized(text: str) -> str:
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return text.strip("\n") + "\n"


@transaction.atomic
def note_draft(*, actor, consultation: Consultation, language: str) -> NoteDraft:
    """Draft the note of a consultation in a language from the data, replacing any earlier
    draft in that language (its text stays in the audit trail; an issued note stays as
    issued in its document, and the new draft can be issued again)."""
    require_staff(actor)
    notes.check_language(language)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    text = notes.draft_text(consultation, language)
    notes.parse(text)
    draft = (
        NoteDraft.objects.select_for_update()
        .filter(consultation=consultation, language=language)
        .first()
    )
    now = clock.now()
    if draft is None:
        draft = NoteDraft(
            consultation=consultation,
            language=language,
            text=text,
            drafted_at=now,
            updated_at=now,
            updated_by=_actor_user(actor),
        )
        return save_audited(draft, actor=actor, fields=NOTE_FIELDS)
    before = audit.snapshot(draft, NOTE_FIELDS)
    draft.text = text
    draft.status = NoteDraft.Status.DRAFT
    draft.issued_at = None
    draft.version += 1
    draft.drafted_at = draft.updated_at = now
    draft.updated_by = _actor_user(actor)
    return save_audited(
        draft, actor=actor, fields=NOTE_FIELDS, before=before, note=_("drafted again")
    )


@transaction.atomic
def note_save(
    *, actor, draft: NoteDraft, text: str, expected_version: int | None = None
) -> NoteDraft:
    """Save staff edits of a draft: the text is parsed first and nothing is saved if it is
    invalid, if the note was issued, or if someone saved since `expected_version`."""
    require_staff(actor)
    draft = NoteDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status == NoteDraft.Status.ISSUED:
        raise DomainError(
            _("This note has been issued and stays as issued; draft it again to change it."),
            field="text",
            code="issued",
        )
    if expected_version is not None and expected_version != draft.version:
        raise DomainError(
            _(
                "Someone saved this note after you opened it; reload the page and make your "
                "changes again."
            ),
            field="text",
            code="stale",
        )
    text = _normalized(text)
    notes.parse(text)
    if text == draft.text:
        return draft
    before = audit.snapshot(draft, NOTE_FIELDS)
    draft.text = text
    draft.version += 1
    draft.updated_at = clock.now()
    draft.updated_by = _actor_user(actor)
    return save_audited(draft, actor=actor, fields=NOTE_FIELDS, before=before)


def _languages(languages: Iterable[str]) -> list[str]:
    chosen = [str(code) for code in (languages or [])]
    if not chosen:
        raise DomainError(_("Choose at least one language to issue."), field="languages")
    unknown = [code for code in chosen if code not in CONTENT_LANGUAGES]
    if unknown:
        raise DomainError(_("Choose English, French or Spanish."), field="languages")
    return [code for code in CONTENT_LANGUAGES if code in chosen]


def file_name(consultation: Consultation, language: str, extension: str) -> str:
    """The name a rendered note is given: discussion-note-<date>-<language>.<extension>."""
    return f"discussion-note-{consultation.held_on.isoformat()}-{language}.{extension}"


@transaction.atomic
def note_issue(
    *,
    actor,
    consultation: Consultation,
    languages: Iterable[str],
    visibility: str = Document.Visibility.PUBLIC,
    issued_on: datetime.date | None = None,
) -> Document:
    """Issue the note of a consultation: one Discussion Note document of its cycle (created,
    or updated when issued before) with a published PDF per language issued, published
    itself; the drafts become issued and can no longer be edited. A language without a
    draft, an unknown language or visibility, or an issue date in the future changes
    nothing. The note is dated today, or `issued_on` when recording an earlier issue."""
    require_staff(actor)
    chosen = _languages(languages)
    today = clock.today()
    if issued_on is not None and issued_on > today:
        raise DomainError(_("A note cannot be issued on a future date."), field="issued_on")
    issued_on = issued_on or today
    if visibility not in Document.Visibility.values:
        raise DomainError(_("Choose who may read the note."), field="visibility")
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    drafts = {
        draft.language: draft
        for draft in NoteDraft.objects.select_for_update().filter(consultation=consultation)
    }
    missing = [code for code in chosen if code not in drafts]
    if missing:
        names = notes.language_names(missing)
        raise DomainError(
            _("There is no draft in %(languages)s; draft the note in that language first.")
            % {"languages": names},
            field="languages",
            code="no_draft",
        )
    parsed = {code: notes.parse(drafts[code].text) for code in chosen}
    document = next((d.document for d in drafts.values() if d.document_id), None)
    if document is not None and document.status == Document.Status.WITHDRAWN:
        raise DomainError(
            _("The note of this consultation was withdrawn; it cannot be issued again."),
            field="document",
        )
    titles = {
        f"title_{code}": notes.note_meta(consultation, code, issued_on).subtitle
        for code in CONTENT_LANGUAGES
    }
    data = {
        "kind": Document.Kind.DISCUSSION_NOTE,
        **titles,
        "cycle": consultation.cycle,
        "visibility": visibility,
    }
    document = services.document_save(actor=actor, data=data, document=document)
    for code in chosen:
        meta = notes.note_meta(consultation, code, issued_on)
        pdf = note_render.render_pdf(parsed[code], meta)
        name = file_name(consultation, code, "pdf")
        version = services.version_upload(
            actor=actor,
            document=document,
            language=code,
            uploaded_file=ContentFile(pdf, name=name),
            name=name,
        )
        if version.status != LanguageVersion.Status.PUBLISHED:
            services.version_publish(actor=actor, version=version)
    document.refresh_from_db()
    issued_at = clock.now()
    if issued_on < today:
        issued_at = datetime.datetime.combine(
            issued_on, datetime.time(12), tzinfo=timezone.get_current_timezone()
        )
    if document.status == Document.Status.DRAFT:
        document = services.document_publish(
            actor=actor,
            document=document,
            published_at=issued_at if issued_on < today else None,
        )
    for code in chosen:
        draft = drafts[code]
        before = audit.snapshot(draft, NOTE_FIELDS)
        draft.status = NoteDraft.Status.ISSUED
        draft.issued_at = issued_at
        draft.document = document
        save_audited(draft, actor=actor, fields=NOTE_FIELDS, before=before, note=_("issued"))
    return document
