"""`dialogue survey open|close|tally|remind|verify`: run a survey of the membership from the
command line.

    dialogue survey open 12 [--opens 2007-07-02T09:00] [--closes 2007-07-16T18:00]
    dialogue survey close 12
    dialogue survey tally 12
    dialogue survey remind [12 | due]
    dialogue survey verify 12     # every stored version recomputes its fingerprint

Times are Geneva time. Writes act as the system unless `--as EMAIL` names a staff account.
"""

import argparse
import datetime
import io
import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from rich.console import Console
from rich.table import Table

from dialogue.core.actors import SYSTEM
from dialogue.core.errors import DomainError
from dialogue.members.management.accounts import staff_account
from dialogue.members.models import Member
from dialogue.surveys import selectors, services, tasks
from dialogue.surveys.models import ResponseVersion, Survey

ACTIONS = ("open", "close", "tally", "remind", "verify")
TIME_FORMAT = "%Y-%m-%dT%H:%M"


def geneva_time(value: str) -> datetime.datetime:
    """A YYYY-MM-DDTHH:MM argument read as Geneva time."""
    try:
        naive = datetime.datetime.strptime(value, TIME_FORMAT)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a time written YYYY-MM-DDTHH:MM.") % {"value": value}
        ) from error
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _local(moment: datetime.datetime | None) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")


def _figure(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(int(value))


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Open (publish), close, tally, send the reminders of a survey, or verify its "
            "stored responses against their fingerprints. Times are Geneva time; writes act "
            "as the system unless --as names a staff account."
        )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=ACTIONS, help=_("What to do."))
        parser.add_argument(
            "survey",
            nargs="?",
            help=_(
                "The survey's number. For remind: leave it out, or write 'due', to send "
                "every reminder due in all open surveys."
            ),
        )
        parser.add_argument(
            "--opens",
            type=geneva_time,
            metavar="YYYY-MM-DDTHH:MM",
            help=_("open: when the survey opens, Geneva time (default: now)."),
        )
        parser.add_argument(
            "--closes",
            type=geneva_time,
            metavar="YYYY-MM-DDTHH:MM",
            help=_(
                "open: when the survey closes, Geneva time (default: two weeks after it opens)."
            ),
        )
        parser.add_argument(
            "--as",
            dest="actor_email",
            metavar="EMAIL",
            help=_("The staff account to record in the audit trail (default: system)."),
        )

    def handle(self, *args, action: str, survey: str | None, **options):
        if action != "open" and (options["opens"] or options["closes"]):
            raise CommandError(_("--opens and --closes go with open only."))
        actor = staff_account(options["actor_email"]) or SYSTEM
        if action == "remind" and survey in (None, "due"):
            sent = tasks.send_due_reminders()
            self.stdout.write(_("%(count)d reminder e-mails sent.") % {"count": sent})
            return
        target = self._survey(survey)
        try:
            if action == "open":
                self._open(actor, target, options["opens"], options["closes"])
            elif action == "close":
                target = services.survey_close(actor=actor, survey=target)
                self.stdout.write(
                    _("Survey %(id)d “%(title)s” closed at %(closed)s (Geneva time).")
                    % {"id": target.pk, "title": target.title, "closed": _local(target.closed_at)}
                )
            elif action == "tally":
                self._tally(target)
            elif action == "verify":
                self._verify(target)
            else:
                self._remind(actor, target)
        except DomainError as error:
            raise CommandError(error.message) from error

    def _survey(self, number: str | None) -> Survey:
        if number is None:
            raise CommandError(_("Give the survey's number."))
        survey = Survey.objects.filter(pk=number).first() if number.isdigit() else None
        if survey is None:
            raise CommandError(_("There is no survey %(number)s.") % {"number": number})
        return survey

    def _open(self, actor, survey: Survey, opens_at, closes_at) -> None:
        survey = services.survey_publish(
            actor=actor, survey=survey, opens_at=opens_at, closes_at=closes_at
        )
        self.stdout.write(
            _(
                "Survey %(id)d “%(title)s” published: open from %(opens)s to %(closes)s "
                "(Geneva time)."
            )
            % {
                "id": survey.pk,
                "title": survey.title,
                "opens": _local(survey.opens_at),
                "closes": _local(survey.closes_at),
            }
        )

    def _remind(self, actor, survey: Survey) -> None:
        sent = services.survey_remind_now(
            actor=actor, survey=survey, members=selectors.members_without_response(survey)
        )
        self.stdout.write(
            _("%(count)d reminder e-mails sent for survey %(id)d “%(title)s”.")
            % {"count": sent, "id": survey.pk, "title": survey.title}
        )

    def _verify(self, survey: Survey) -> None:
        found = selectors.history_problems(survey)
        if found:
            for code, breaks in found.items():
                for problem in breaks:
                    self.stderr.write(f"{code}: {problem}")
            raise CommandError(
                _(
                    "The stored responses of %(count)d delegations to survey %(id)d do not "
                    "match their fingerprints (listed above)."
                )
                % {"count": len(found), "id": survey.pk}
            )
        versions = ResponseVersion.objects.filter(survey=survey).count()
        self.stdout.write(
            _(
                "Survey %(id)d “%(title)s”: %(versions)d stored versions of %(responses)d "
                "responses; every fingerprint recomputes and every current response is its "
                "last version."
            )
            % {
                "id": survey.pk,
                "title": survey.title,
                "versions": versions,
                "responses": survey.responses.count(),
            }
        )

    # --- tally --------------------------------------------------------------------------

    def _tally(self, survey: Survey) -> None:
        results = selectors.survey_results(survey)
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=max(100, shutil.get_terminal_size((120, 24)).columns),
            force_terminal=self.stdout.isatty(),
            highlight=False,
        )
        console.print(
            _("Survey %(id)d “%(title)s” (%(status)s)")
            % {"id": survey.pk, "title": survey.title, "status": survey.get_status_display()},
            style="bold",
        )
        console.print(
            _("Open from %(opens)s to %(closes)s (Geneva time).")
            % {"opens": _local(survey.opens_at), "closes": _local(survey.closes_at)}
        )
        console.print(_turnout_table(results.turnout))
        if survey.observers_counted:
            console.print(_("Observers' responses are counted with the Member States'."))
        else:
            console.print(
                _("Only Member States' responses are counted; observers' are shown apart.")
            )
        for result in results.questions:
            _print_question(console, result)
        self.stdout.write(buffer.getvalue(), ending="")


def _turnout_table(turnout) -> Table:
    table = Table(
        title=_("Turnout: %(responded)d of %(eligible)d delegations (%(rate)s)")
        % {
            "responded": turnout.responded,
            "eligible": turnout.eligible,
            "rate": f"{turnout.rate:.0%}",
        }
    )
    table.add_column(_("Delegations"))
    table.add_column(_("Responded"), justify="right")
    table.add_column(_("Eligible"), justify="right")
    for kind, label in Member.Kind.choices:
        responded, eligible = turnout.by_kind.get(kind, (0, 0))
        table.add_row(str(label), str(responded), str(eligible))
    return table


SCORE_MEANINGS = {
    "plurality": gettext_lazy("first preferences"),
    "approval": gettext_lazy("times chosen"),
    "borda": gettext_lazy("Borda points"),
    "irv": gettext_lazy("first preferences, round 1"),
    "schulze": gettext_lazy("options beaten"),
}


def _scores(result) -> dict:
    """One figure per option: the method's score, first preferences for instant-runoff,
    the number of options beaten for Schulze."""
    if hasattr(result, "scores"):
        return result.scores
    if hasattr(result, "rounds"):
        return result.rounds[0].counts if result.rounds else {}
    paths = result.strongest_paths
    options = result.options
    return {
        a: sum(1 for j in range(len(options)) if paths[i][j] > paths[j][i])
        for i, a in enumerate(options)
    }


def _places(ranking) -> dict:
    places, place = {}, 1
    for group in ranking:
        for option in group:
            places[option] = f"={place}" if len(group) > 1 else str(place)
        place += len(group)
    return places


def _names(labels, options) -> str:
    return ", ".join(labels[o] for o in options)


def _print_question(console: Console, result) -> None:
    question = result.question
    counted = result.counted
    labels = result.labels
    console.print()
    console.print(
        _("Question %(n)d: %(text)s") % {"n": question.position, "text": question.text},
        style="bold",
    )
    console.print(
        _("%(kind)s, counted by %(method)s; %(ballots)d responses counted.")
        % {
            "kind": question.get_kind_display(),
            "method": question.get_method_display(),
            "ballots": counted.weighted.ballots,
        }
    )
    console.print(_options_table(result, counted, _("Counted")))
    _print_outcome(console, result, counted)
    if hasattr(counted.weighted, "rounds"):
        console.print(_rounds_table(labels, counted.weighted))
    if hasattr(counted.weighted, "pairwise"):
        console.print(
            _matrix_table(
                labels,
                counted.weighted,
                counted.weighted.pairwise,
                _("Pairwise preferences: row preferred to column"),
            )
        )
        console.print(
            _matrix_table(
                labels,
                counted.weighted,
                counted.weighted.strongest_paths,
                _("Strongest paths: row to column"),
            )
        )
    if result.observers is not None:
        console.print(_options_table(result, result.observers, _("Observers (not counted)")))
        console.print(
            _("Observers' winner(s): %(names)s")
            % {"names": _names(labels, result.observers.weighted.winners) or "—"}
        )


def _options_table(result, count, title) -> Table:
    meaning = SCORE_MEANINGS.get(count.method)
    if meaning:
        title = _("%(title)s (%(meaning)s)") % {"title": title, "meaning": meaning}
    table = Table(title=title)
    table.add_column(pgettext("rank in a result", "Place"), justify="right")
    table.add_column(_("Option"))
    table.add_column(_("Weighted"), justify="right")
    table.add_column(_("Unweighted"), justify="right")
    weighted, unweighted = _scores(count.weighted), _scores(count.unweighted)
    places = _places(count.weighted.ranking)
    for option in [o for group in count.weighted.ranking for o in group]:
        table.add_row(
            places.get(option, ""),
            result.labels.get(option, str(option)),
            _figure(weighted.get(option, 0)),
            _figure(unweighted.get(option, 0)),
        )
    return table


def _print_outcome(console: Console, result, counted) -> None:
    labels = result.labels
    weighted = counted.weighted
    if weighted.winners and not weighted.tie:
        console.print(_("Winner: %(names)s") % {"names": _names(labels, weighted.winners)})
    elif weighted.winners:
        console.print(
            _("Tie for first place: %(names)s") % {"names": _names(labels, weighted.winners)},
            style="bold red",
        )
    else:
        console.print(_("No winner: the count stopped on a tie."), style="bold red")
    if weighted.tiebreak_used:
        console.print(
            _("A tie was resolved in the order staff decided: %(how)s")
            % {"how": result.question.tie_resolution or "—"}
        )
    unweighted = counted.unweighted
    if unweighted is not weighted and unweighted.winners != weighted.winners:
        console.print(
            _("Counted one response per delegation, the winner(s) would be: %(names)s")
            % {"names": _names(labels, unweighted.winners) or "—"}
        )


def _rounds_table(labels, result) -> Table:
    table = Table(title=_("Instant-runoff rounds (weighted)"))
    table.add_column(_("Round"), justify="right")
    for option in result.options:
        table.add_column(labels.get(option, str(option)), justify="right")
    table.add_column(_("Exhausted"), justify="right")
    table.add_column(_("Outcome"))
    for round_ in result.rounds:
        if round_.winner is not None:
            outcome = _("%(name)s wins") % {"name": labels[round_.winner]}
        elif round_.eliminated is not None and round_.tiebreak_used:
            outcome = _("%(name)s eliminated (tie resolved in the order staff decided)") % {
                "name": labels[round_.eliminated]
            }
        elif round_.eliminated is not None:
            outcome = _("%(name)s eliminated") % {"name": labels[round_.eliminated]}
        else:
            outcome = _("tie for elimination: %(names)s") % {
                "names": _names(labels, round_.tie_for_elimination)
            }
        table.add_row(
            str(round_.number),
            *(_figure(round_.counts[o]) if o in round_.counts else "—" for o in result.options),
            _figure(round_.exhausted),
            outcome,
        )
    return table


def _matrix_table(labels, result, matrix, title) -> Table:
    table = Table(title=title)
    table.add_column("")
    for option in result.options:
        table.add_column(labels.get(option, str(option)), justify="right")
    for i, option in enumerate(result.options):
        table.add_row(
            labels.get(option, str(option)),
            *("—" if i == j else _figure(matrix[i][j]) for j in range(len(result.options))),
        )
    return table
