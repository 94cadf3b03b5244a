"""`dialogue load-demo`: load the demo data of the 2007 dialogue, then report what was loaded."""

import time

from django.core.management.base import BaseCommand, CommandError
from rich.markup import escape
from rich.table import Table

from dialogue.core.console import CommandStream
from dialogue.core.errors import DomainError
from dialogue.demo import cycle_loader, document_loader, event_loader, loader

# Console width from which the logins table gets one column per field.
WIDE = 130


class Command(BaseCommand):
    help = (
        "Load the demo data of the 2007 dialogue through the services: Member States, "
        "observers, stakeholders, delegates, experts and demo logins, then the cycles IDM 2005 "
        "to IDM 2008 with their proposals, guiding questions, informal consultations, surveys "
        "and responses, expressions of interest and decisions, then the events of 2006 and "
        "2007 (expert seminar, workshops, trainings) with their budgets, pledges and "
        "registrations, then the IDM Series and the documents of the 2007 note with their "
        "files, and the Discussion Note for the informal consultations of 21 June 2007. Safe "
        "to run again: a second run changes nothing."
    )

    def handle(self, *args, **options):
        quiet = options["verbosity"] == 0
        stream = None if quiet else CommandStream(self.stdout)
        started = time.monotonic()
        try:
            counts = loader.load_all(stdout=stream)
        except DomainError as error:
            raise CommandError(error.message) from error
        elapsed = time.monotonic() - started
        if quiet:
            return
        console = loader.make_console(stream)
        console.print(self._counts_table(counts))
        console.print(self._cycles_table())
        console.print(self._events_table())
        console.print(self._events_by_status_table())
        console.print(self._funding_table())
        console.print(self._documents_table())
        console.print(self._logins_table(console.width))
        console.print(self._second_factor_table())
        console.print(self._summary_table())
        console.print(f"Done in {elapsed:.1f} s.")

    @staticmethod
    def _counts_table(counts: loader.Counts) -> Table:
        table = Table(title="Loaded")
        table.add_column("Step")
        for outcome in loader.OUTCOMES:
            table.add_column(outcome.capitalize(), justify="right")
        for name, step_counts in counts.items():
            table.add_row(name, *(str(step_counts[outcome]) for outcome in loader.OUTCOMES))
        return table

    @staticmethod
    def _cycles_table() -> Table:
        table = Table(title="Cycles", show_lines=True)
        table.add_column("Cycle", no_wrap=True)
        table.add_column("Status")
        table.add_column("Overarching theme")
        table.add_column("Intersessional workshops")
        for row in cycle_loader.cycles_overview():
            table.add_row(
                row["cycle"],
                row["status"],
                escape(row["theme"]) or "-",
                escape(row["workshops"]) or "-",
            )
        return table

    @staticmethod
    def _events_table() -> Table:
        table = Table(title="Events", show_lines=True)
        table.add_column("Cycle", no_wrap=True)
        table.add_column("Event")
        table.add_column("Dates")
        table.add_column("Status")
        for row in event_loader.events_overview():
            table.add_row(
                row["cycle"],
                f"{escape(row['title'])}\n[dim]{escape(row['kind'])}[/dim]",
                escape(row["dates"]),
                escape(row["status"]),
            )
        return table

    @staticmethod
    def _events_by_status_table() -> Table:
        table = Table(title="Events by status")
        table.add_column("Status")
        table.add_column("Events", justify="right")
        for label, count in event_loader.events_by_status().items():
            if count:
                table.add_row(label, str(count))
        return table

    @staticmethod
    def _funding_table() -> Table:
        """Budget, pledges and gap of each funded activity, in whole units of the reporting
        currency, with the languages into which interpretation is paid for."""
        overview = event_loader.funding_overview()
        amounts = ("budget", "pledged", "received", "gap")
        table = Table(title=f"Funding (in {overview['currency']})", show_lines=True)
        table.add_column("Activity", min_width=20)
        for name in amounts:
            table.add_column(name.capitalize(), justify="right", no_wrap=True)
        for row in overview["rows"]:
            notes = [f"{row['kind']}, {row['status'].lower()}"]
            if row["requested"]:
                offered = ", ".join(row["interpretation"]) or "none"
                notes.append(f"interpretation offered: {offered}")
            if row["missing_rates"]:
                notes.append(f"no rate for {', '.join(row['missing_rates'])}")
            table.add_row(
                escape(row["title"]) + "".join(f"\n[dim]{escape(n)}[/dim]" for n in notes),
                *(f"{row[name]:,.0f}" for name in amounts),
            )
        totals = overview["totals"]
        table.add_row("[bold]Total[/bold]", *(f"[bold]{totals[n]:,.0f}[/bold]" for n in amounts))
        return table

    @staticmethod
    def _documents_table() -> Table:
        table = Table(title="Documents", show_lines=True)
        table.add_column("Cycle", no_wrap=True)
        table.add_column("Document")
        table.add_column("Visibility")
        table.add_column("Status")
        table.add_column("Number")
        table.add_column("Files")
        for row in document_loader.documents_overview():
            table.add_row(
                row["cycle"] or "-",
                f"{escape(row['title'])}\n[dim]{escape(row['kind'])}[/dim]",
                row["visibility"],
                row["status"],
                escape(row["number"]) or "-",
                escape(str(row["files"])) or "-",
            )
        return table

    @staticmethod
    def _logins_table(width: int) -> Table:
        """Role, e-mail, password and rights of each demo login, stacked when space is short."""
        table = Table(title="Demo logins", show_lines=True)
        rows = loader.login_rows()
        if width >= WIDE:
            table.add_column("Role")
            table.add_column("E-mail", no_wrap=True)
            table.add_column("Password", no_wrap=True)
            table.add_column("What they can do")
            for row in rows:
                table.add_row(row["role"], row["email"], loader.DEMO_PASSWORD, row["can_do"])
            return table
        table.add_column("Role, e-mail and password", no_wrap=True)
        table.add_column("What they can do")
        for row in rows:
            login = f"[bold]{escape(row['role'])}[/bold]\n{row['email']}\n{loader.DEMO_PASSWORD}"
            table.add_row(login, row["can_do"])
        return table

    @staticmethod
    def _second_factor_table() -> Table:
        """What the demo staff login types after the password: a code from this secret."""
        details = loader.demo_second_factor()
        table = Table(title="Demo second factor (staff, demo only)", show_header=False)
        table.add_column("What", no_wrap=True)
        table.add_column("Value", overflow="fold")
        table.add_row("Account", details["email"])
        table.add_row("TOTP secret (base32)", details["secret"])
        table.add_row("otpauth:// URI", escape(details["uri"]))
        table.add_row("Current code", details["command"])
        return table

    @staticmethod
    def _summary_table() -> Table:
        table = Table(title="In the database")
        table.add_column("Records")
        table.add_column("Count", justify="right")
        for label, count in loader.summary().items():
            table.add_row(label, str(count))
        return table
