"""`dialogue reindex_documents`: rebuild the full-text search index of every document."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from dialogue.core.console import CommandStream
from dialogue.documents import search


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Rebuild the full-text search index of every document.")

    def handle(self, *args, **options):
        if options["verbosity"] == 0:
            search.rebuild_index()
            return
        console = Console(file=CommandStream(self.stdout), highlight=False)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as progress:
            task = progress.add_task(_("Indexing documents"), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            count = search.rebuild_index(progress=advance)
        console.print(_("%(count)d documents indexed.") % {"count": count})
