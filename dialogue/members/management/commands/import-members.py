"""`dialogue import-members FILE`: create and update members from a CSV or XLSX member file."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dialogue.core.errors import DomainError
from dialogue.members import services
from dialogue.members.imports import DEFAULT_MAX_BYTES, ImportErrors
from dialogue.members.management.accounts import staff_account


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Create and update members from a member file (CSV or XLSX with a header row). "
            "Every row is checked first; if one is wrong, nothing is imported."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The CSV or XLSX file to import."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the file and report what would change, writing nothing."),
        )
        parser.add_argument(
            "--as",
            dest="actor_email",
            metavar="EMAIL",
            help=_("The staff account to record in the audit trail (default: system)."),
        )

    def handle(self, *args, **options):
        actor = staff_account(options["actor_email"])
        path = Path(options["file"])
        limit = getattr(settings, "MEMBER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        try:
            with path.open("rb") as handle:
                # One byte over the limit is enough for the import to refuse the file.
                content = handle.read(limit + 1)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": error.strerror}
            ) from error
        try:
            summary = services.members_import(
                actor=actor,
                content=content,
                filename=path.name,
                dry_run=options["dry_run"],
                system=actor is None,
            )
        except ImportErrors as error:
            for issue in error.issues:
                self.stderr.write(str(issue))
            raise CommandError(error.message) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        counts = {
            "file": path.name,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        }
        if summary.dry_run:
            message = _(
                "%(file)s is valid; nothing was written. Importing it would create "
                "%(created)d, update %(updated)d and leave %(unchanged)d members unchanged."
            )
        else:
            message = _(
                "%(file)s imported: %(created)d members created, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
        self.stdout.write(message % counts)
