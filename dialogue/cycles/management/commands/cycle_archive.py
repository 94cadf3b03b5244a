"""`dialogue cycle-archive YEAR -o FILE`: write a cycle's archive (ZIP) to a file."""

import contextlib
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError
from dialogue.cycles import selectors
from dialogue.cycles.archive import write_cycle_archive
from dialogue.cycles.models import Cycle
from dialogue.members.management.accounts import staff_account


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Write the archive of a cycle (decisions, survey results and responses, "
            "documents, participants' lists) to a ZIP file."
        )

    def add_arguments(self, parser):
        parser.add_argument("year", metavar="YEAR", help=_("The year of the cycle."))
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            required=True,
            help=_("The ZIP file to write; it is replaced only once the archive is complete."),
        )
        parser.add_argument(
            "--as",
            dest="actor_email",
            metavar="EMAIL",
            help=_("The staff account to record in the audit trail (default: system)."),
        )

    def handle(self, *args, **options):
        actor = staff_account(options["actor_email"]) or SYSTEM
        try:
            cycle = selectors.cycle_get(options["year"])
        except Cycle.DoesNotExist:
            raise CommandError(
                _("YEAR: there is no cycle %(year)s.") % {"year": str(options["year"])[:20]}
            ) from None
        target = Path(options["output"])
        if target.is_dir():
            raise CommandError(_("-o FILE: %(file)s is a folder, not a file.") % {"file": target})
        folder = target.parent if str(target.parent) else Path(".")
        try:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
                dir=folder, prefix=f".{target.name}.", suffix=".part", delete=False
            )
        except OSError as error:
            raise CommandError(
                _("-o FILE: cannot write in %(folder)s: %(reason)s")
                % {"folder": folder, "reason": error.strerror or error}
            ) from error
        partial = Path(handle.name)
        try:
            with transaction.atomic(), handle:
                entries = write_cycle_archive(actor=actor, cycle=cycle, target=handle)
                handle.flush()
                os.fsync(handle.fileno())
                os.replace(partial, target)
        except DomainError as error:
            raise CommandError(error.message) from error
        except OSError as error:
            raise CommandError(
                _("-o FILE: cannot write %(file)s: %(reason)s")
                % {"file": target, "reason": error.strerror or error}
            ) from error
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        self.stdout.write(
            _("Archive of %(cycle)s written to %(file)s: %(count)d files.")
            % {"cycle": cycle.name, "file": target, "count": len(entries)}
        )
