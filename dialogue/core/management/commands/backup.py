"""`dialogue backup -o FILE`: write the database and the media files to one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console

from dialogue.core import backup
from dialogue.core.console import CommandStream
from dialogue.core.errors import DomainError


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Write a consistent backup of the database and the media files to one "
            "archive (tar.gz); the file appears only once complete."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            required=True,
            help=_("The archive to write (for example dialogue-2026-11-27.tar.gz)."),
        )

    def handle(self, *args, **options):
        console = Console(file=CommandStream(self.stdout), highlight=False)
        try:
            with console.status(_("Starting the backup")) as status:
                report = backup.backup_create(
                    target=Path(options["output"]), progress=status.update
                )
        except DomainError as error:
            raise CommandError(f"-o FILE: {error.message}") from error
        self.stdout.write(
            _(
                "Backup written to %(file)s: %(tables)d tables, %(rows)d rows, %(files)d "
                "files, %(bytes)d bytes in %(seconds).1f s."
            )
            % {
                "file": report.target,
                "tables": report.tables,
                "rows": report.rows,
                "files": report.files,
                "bytes": report.bytes,
                "seconds": report.seconds,
            }
        )
