"""`dialogue export-members`: write every member to a CSV or XLSX member file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dialogue.core.errors import DomainError
from dialogue.members import services
from dialogue.members.exports import FORMATS
from dialogue.members.management.accounts import staff_account


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Write every member to a member file, in the format that import-members reads.")

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help=_("The file to write (default: CSV on standard output)."),
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help=_("csv or xlsx (default: from the file name's extension, else csv)."),
        )
        parser.add_argument(
            "--as",
            dest="actor_email",
            metavar="EMAIL",
            help=_("The staff account to record in the audit trail (default: system)."),
        )

    def handle(self, *args, **options):
        actor = staff_account(options["actor_email"])
        output = options["output"]
        file_format = options["format"] or (
            "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
        )
        if file_format == "xlsx" and not output:
            raise CommandError(_("An XLSX export needs a file to write to: use -o FILE."))
        handle = None
        if output:
            try:
                handle = Path(output).open("wb")  # noqa: SIM115 - closed below
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(reason)s")
                    % {"file": output, "reason": error.strerror}
                ) from error
        try:
            export = services.members_export(
                actor=actor, file_format=file_format, system=actor is None
            )
            if handle is None:
                self.stdout.write(export.content.decode("utf-8-sig"), ending="")
                return
            handle.write(export.content)
        except DomainError as error:
            raise CommandError(error.message) from error
        finally:
            if handle is not None:
                handle.close()
        self.stdout.write(
            _("%(count)d members written to %(file)s.") % {"count": export.rows, "file": output}
        )
