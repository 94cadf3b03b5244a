"""Presenting survey results: figures, tables of counts and bar charts drawn as inline SVG.

Everything here only rearranges a `SurveyResults` (see `selectors.survey_results`)
for the templates; nothing queries the database or decides anything.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue.members.models import Member
from dialogue.surveys import counting
from dialogue.surveys.models import Question

register = template.Library()

# Geometry of the bar charts, in SVG user units (the chart scales to its container).
CHART_WIDTH = 640
CHART_LABEL_HEIGHT = 18
CHART_BAR_HEIGHT = 18
CHART_ROW_GAP = 10
CHART_VALUE_ROOM = 90
CHART_LABEL_CHARS = 90


@register.filter
def figure(value: Any) -> str:
    """A count or a sum of weights, in the reader's number format (at most three decimals)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and not value.is_integer():
        return formats.number_format(round(value, 3), use_l10n=True)
    return formats.number_format(int(value), use_l10n=True)


@register.filter
def percent(part: Any, whole: Any) -> str:
    """`part` as a percentage of `whole`, to one decimal ("—" when `whole` is 0)."""
    if not whole:
        return "—"
    return formats.number_format(round(100 * part / whole, 1), decimal_pos=1, use_l10n=True) + "%"


@register.filter
def label_of(labels: Mapping[Any, str], option: Any) -> str:
    """The label of an option key in a question's labels."""
    return labels.get(option, str(option))


@register.filter
def labels_of(labels: Mapping[Any, str], options: Iterable[Any]) -> list[str]:
    """The labels of several option keys, in the same order."""
    return [labels.get(option, str(option)) for option in options]


def _kind_plurals() -> dict[str, str]:
    return {
        Member.Kind.MEMBER_STATE: _("Member States"),
        Member.Kind.OBSERVER_STATE: _("Observer States"),
        Member.Kind.OBSERVER_ORGANIZATION: _("Observer organizations"),
    }


@register.simple_tag
def turnout_rows(turnout) -> list[dict[str, Any]]:
    """Responded and eligible delegations by kind of member, leaving out kinds with none."""
    plurals = _kind_plurals()
    return [
        {
            "label": plurals.get(kind) or Member.Kind(kind).label,
            "responded": responded,
            "eligible": eligible,
        }
        for kind, (responded, eligible) in turnout.by_kind.items()
        if eligible
    ]


@register.simple_tag
def ranking_rows(result: counting.Result, labels: Mapping[Any, str]) -> list[dict[str, Any]]:
    """The ranking as places: each with its options' labels and whether they are tied."""
    rows = []
    place = 1
    for group in result.ranking:
        rows.append({"place": place, "labels": labels_of(labels, group), "tied": len(group) > 1})
        place += len(group)
    return rows


@dataclass
class ScoreRow:
    label: str
    weighted: Any
    unweighted: Any
    observers: Any
    leading: bool


@register.simple_tag
def score_rows(question_result, show_observers: bool = False) -> list[ScoreRow]:
    """One row per option, best first: the counted score (weighted and one per delegation)
    and the observers' score when they are reported apart."""
    counted = question_result.counted
    weighted, unweighted = counted.weighted, counted.unweighted
    observers = question_result.observers if show_observers else None
    leading = set(weighted.winners)
    rows = []
    for group in weighted.ranking:
        for option in group:
            rows.append(
                ScoreRow(
                    label=question_result.labels.get(option, str(option)),
                    weighted=weighted.scores.get(option),
                    unweighted=unweighted.scores.get(option),
                    observers=observers.weighted.scores.get(option) if observers else None,
                    leading=option in leading,
                )
            )
    return rows


@register.simple_tag
def score_heading(method: str) -> str:
    """What a score means under a counting method."""
    return {
        "plurality": _("First choices"),
        "approval": _("Times chosen"),
        "borda": _("Borda points"),
    }.get(method, _("Score"))


@register.simple_tag
def result_variants(question_result, show_observers: bool = False) -> list[dict[str, Any]]:
    """The results to show in full: the counted one, the count with one vote per delegation
    when weights change it, and the observers' when they are reported apart."""
    counted = question_result.counted
    variants = [{"key": "counted", "title": _("Counted responses"), "result": counted.weighted}]
    if question_result.weighted_differs:
        variants[0]["title"] = _("Counted responses, weighted")
        variants.append(
            {
                "key": "unweighted",
                "title": _("Counted responses, one vote per delegation"),
                "result": counted.unweighted,
            }
        )
    if show_observers and question_result.observers is not None:
        variants.append(
            {
                "key": "observers",
                "title": _("Observers' responses (reported, not counted)"),
                "result": question_result.observers.weighted,
            }
        )
    return variants


@register.simple_tag
def irv_table(result: counting.IRVResult, labels: Mapping[Any, str]) -> dict[str, Any]:
    """The rounds of an instant-runoff count as a table: options down, rounds across."""
    rounds = list(result.rounds)
    rows = []
    for option in result.options:
        rows.append(
            {
                "label": labels.get(option, str(option)),
                "cells": [r.counts.get(option) for r in rounds],
                "winner": option in result.winners,
            }
        )
    outcomes = []
    for r in rounds:
        if r.winner is not None:
            text = _("Winner: %(option)s") % {"option": labels.get(r.winner, r.winner)}
        elif r.eliminated is not None:
            text = _("Eliminated: %(option)s") % {"option": labels.get(r.eliminated, r.eliminated)}
            if r.tiebreak_used:
                text = _("%(outcome)s (tie for elimination resolved by the recorded order)") % {
                    "outcome": text
                }
        else:
            text = _("Tie for elimination between %(options)s: the count stops") % {
                "options": ", ".join(labels_of(labels, r.tie_for_elimination))
            }
        outcomes.append(text)
    return {
        "numbers": [r.number for r in rounds],
        "rows": rows,
        "exhausted": [r.exhausted for r in rounds],
        "outcomes": outcomes,
    }


@register.simple_tag
def matrix_table(
    result: counting.SchulzeResult, labels: Mapping[Any, str], which: str = "pairwise"
) -> dict[str, Any]:
    """The pairwise or strongest-path matrix of a Schulze count; a cell is marked where
    its row option is ahead of its column option."""
    values = result.strongest_paths if which == "strongest_paths" else result.pairwise
    names = labels_of(labels, result.options)
    rows = []
    for a, row in enumerate(values):
        cells = []
        for b, value in enumerate(row):
            if a == b:
                cells.append({"value": None, "ahead": False})
            else:
                cells.append({"value": value, "ahead": value > values[b][a]})
        rows.append({"label": names[a], "cells": cells})
    return {"labels": names, "rows": rows}


@register.simple_tag
def region_table(question_result) -> dict[str, Any]:
    """The counted delegations' choices by region: regions down, options across."""
    options = list(question_result.counted.weighted.options)
    return {
        "labels": labels_of(question_result.labels, options),
        "rows": [
            {"region": region, "cells": [totals.get(option, 0) for option in options]}
            for region, totals in question_result.by_region
        ],
    }


@register.simple_tag
def chart_items(question_result) -> list[tuple[str, Any, bool]]:
    """What the bar chart of a question shows: the counted scores, or the votes in the last
    round of an instant-runoff count; nothing for a Schulze count (see its tables)."""
    result = question_result.counted.weighted
    labels = question_result.labels
    leading = set(result.winners)
    if isinstance(result, counting.ScoreResult):
        ordered = [option for group in result.ranking for option in group]
        values = result.scores
    elif isinstance(result, counting.IRVResult) and result.rounds:
        values = result.rounds[-1].counts
        ordered = sorted(values, key=lambda option: -values[option])
    else:
        return []
    return [(labels.get(o, str(o)), values[o], o in leading) for o in ordered]


@register.simple_tag
def chart_title(question_result) -> str:
    """The accessible title of a question's bar chart."""
    question = question_result.question
    result = question_result.counted.weighted
    if isinstance(result, counting.IRVResult):
        return _("Question %(number)d: votes in the last round of the instant-runoff count") % {
            "number": question.position
        }
    return _("Question %(number)d: %(what)s per option") % {
        "number": question.position,
        "what": score_heading(result.method).lower(),
    }


@register.simple_tag
def bar_chart(items: Sequence[tuple[str, Any, bool]], title: str, *id_parts: Any) -> SafeString:
    """A horizontal bar chart as inline SVG: one labelled bar per (label, value, highlighted).

    `id_parts` make the chart's id, unique in the page ("chart-q", 12 gives "chart-q12").

    The SVG is an image with an accessible name (`role="img"` and its `<title>`);
    every label and value is escaped. The same figures belong in a table beside it.
    """
    if not items:
        return SafeString("")
    largest = max((float(value) for _label, value, _lead in items), default=0.0) or 1.0
    row_height = CHART_LABEL_HEIGHT + CHART_BAR_HEIGHT + CHART_ROW_GAP
    height = row_height * len(items)
    bar_room = CHART_WIDTH - CHART_VALUE_ROOM
    bars = []
    for index, (label, value, leading) in enumerate(items):
        top = index * row_height
        width = round(bar_room * float(value) / largest, 2)
        bars.append(
            (
                _("%(label)s: %(value)s") % {"label": label, "value": figure(value)},
                top + CHART_LABEL_HEIGHT - 5,
                Truncator(label).chars(CHART_LABEL_CHARS),
                "bar-chart-bar bar-chart-lead" if leading else "bar-chart-bar",
                top + CHART_LABEL_HEIGHT,
                width,
                CHART_BAR_HEIGHT,
                width + 6,
                top + CHART_LABEL_HEIGHT + CHART_BAR_HEIGHT - 4,
                figure(value),
            )
        )
    body = format_html_join(
        "",
        '<g><title>{}</title><text class="bar-chart-label" x="0" y="{}">{}</text>'
        '<rect class="{}" x="0" y="{}" width="{}" height="{}" fill="#0b4f8a"></rect>'
        '<text class="bar-chart-value" x="{}" y="{}">{}</text></g>',
        bars,
    )
    return format_html(
        '<svg class="bar-chart" role="img" aria-labelledby="{id}-title" '
        'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{title}</title>{body}</svg>',
        id="".join(str(part) for part in id_parts) or "chart",
        width=CHART_WIDTH,
        height=height,
        title=title,
        body=body,
    )


@register.simple_tag
def ballots_summary(result: counting.Result) -> str:
    """How many responses a count took in, and their total weight when it differs."""
    text = ngettext("%(count)d response counted", "%(count)d responses counted", result.ballots) % {
        "count": result.ballots
    }
    if result.total != result.ballots:
        text = _("%(responses)s, total weight %(weight)s") % {
            "responses": text,
            "weight": figure(result.total),
        }
    return text


@register.filter
def is_ranking(question: Question) -> bool:
    """True for a question whose options are ranked."""
    return question.kind == Question.Kind.RANK
