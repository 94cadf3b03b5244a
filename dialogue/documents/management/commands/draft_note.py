"""`dialogue draft-note`: write the Discussion Note of a consultation as PDF, DOCX or HTML."""

import contextlib
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dialogue.core.errors import DomainError
from dialogue.core.i18n import CONTENT_LANGUAGES
from dialogue.cycles.models import Consultation
from dialogue.documents import note_render, notes
from dialogue.documents.models import NoteDraft


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file renamed into place, so that the
    file is either complete or untouched; OSError when it cannot be written."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".draft-note-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Write the Discussion Note of an informal consultation as PDF, DOCX or HTML. "
            "By default the note is drafted afresh from the data and nothing is stored; with "
            "--saved the text saved by staff for that language is used instead."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--consultation", required=True, metavar="ID", help=_("The consultation's id.")
        )
        parser.add_argument(
            "--format",
            dest="file_format",
            required=True,
            metavar="FORMAT",
            help=_("pdf, docx or html."),
        )
        parser.add_argument(
            "--lang", default="en", metavar="LANG", help=_("en, fr or es (default: en).")
        )
        parser.add_argument(
            "-o", "--output", required=True, metavar="FILE", help=_("The file to write.")
        )
        parser.add_argument(
            "--saved",
            action="store_true",
            help=_("Use the text saved by staff for that language rather than a fresh draft."),
        )

    def handle(self, *args, **options):
        file_format = str(options["file_format"]).lower()
        if file_format not in note_render.FORMATS:
            raise CommandError(
                _("Unknown format “%(format)s”: use pdf, docx or html.")
                % {"format": options["file_format"]}
            )
        language = str(options["lang"]).lower()
        if language not in CONTENT_LANGUAGES:
            raise CommandError(
                _("Unknown language “%(language)s”: use en, fr or es.")
                % {"language": options["lang"]}
            )
        consultation_id = str(options["consultation"])
        consultation = (
            Consultation.objects.select_related("cycle").filter(pk=consultation_id).first()
            if consultation_id.isdigit()
            else None
        )
        if consultation is None:
            raise CommandError(
                _("There is no consultation with id %(id)s.") % {"id": consultation_id}
            )
        try:
            if options["saved"]:
                draft = NoteDraft.objects.filter(
                    consultation=consultation, language=language
                ).first()
                if draft is None:
                    raise CommandError(
                        _("No text has been saved for this consultation in %(language)s.")
                        % {"language": notes.language_names([language])}
                    )
                text = draft.text
            else:
                text = notes.draft_text(consultation, language)
            note = notes.parse(text)
            content = note_render.render(note, notes.note_meta(consultation, language), file_format)
        except DomainError as error:
            raise CommandError(error.message) from error
        output = Path(options["output"])
        try:
            write_atomically(output, content)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(reason)s")
                % {"file": output, "reason": error.strerror or error}
            ) from error
        if options["verbosity"]:
            self.stdout.write(
                _("Wrote %(file)s (%(size)d bytes).") % {"file": output, "size": len(content)}
            )
