"""`dialogue restore FILE --yes`: restore a backup into an empty instance and verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console

from dialogue.core import backup
from dialogue.core.console import CommandStream
from dialogue.core.errors import DomainError

ARGUMENTS = {"source": "FILE", "database": "DATABASE", "media_root": "MEDIA_ROOT"}


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Restore an archive written by `dialogue backup` into an empty instance, then "
            "check it against its manifest."
        )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FILE", help=_("The archive to restore."))
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("Confirm the restore (required)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Replace a database and media files that already hold data."),
        )

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError(
                _("Restoring replaces this instance's database and files: add --yes to confirm.")
            )
        console = Console(file=CommandStream(self.stdout), highlight=False)
        try:
            with console.status(_("Starting the restore")) as status:
                report = backup.backup_restore(
                    source=Path(options["source"]),
                    force=options["force"],
                    progress=status.update,
                )
        except DomainError as error:
            raise CommandError(
                f"{ARGUMENTS.get(error.field, error.field or 'FILE')}: {error.message}"
            ) from error
        self.stdout.write(
            _(
                "Restored and verified: %(tables)d tables, %(rows)d rows, %(files)d files, "
                "%(bytes)d bytes in %(seconds).1f s."
            )
            % {
                "tables": report.tables,
                "rows": report.rows,
                "files": report.files,
                "bytes": report.bytes,
                "seconds": report.seconds,
            }
        )
