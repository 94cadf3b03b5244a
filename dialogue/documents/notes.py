"""The Discussion Note: its small text format, and its first draft written from the data.

The text format, line by line (this is also what the staff editor explains):

- `# Heading`, `## Sub-heading`, `### Minor heading`;
- a blank line between paragraphs; each paragraph is numbered automatically, and a
  paragraph starting with `+ ` continues the previous number without one of its own;
- `- item` for a bullet and `  - item` (two spaces) for a bullet under it; a line
  indented by two or more spaces that is not a bullet continues the item above;
- `[label](https://...)` for a link, which becomes a footnote in every format;
- a backslash keeps the next character as text: `\\[`, `\\]`, `\\\\`, and at the start of a
  line `\\#`, `\\-` or `\\+`.

`parse` turns the text into a `Note` (headings, numbered paragraphs, bullet lists and
footnotes) that the renderers of `note_render` take; anything written is text and is
never interpreted as markup. `draft_text` writes the first draft of a consultation's
note from the records of the cycles, events, funding and documents apps:

- the activities reported are the events of the cycle of the consultation's year (its
  own cycle when there is none), with their current status; decisions, expressions of
  interest and pledges dated after the consultation are left out;
- "since the last informal consultations" names the latest consultation before it in
  that year or in the same cycle;
- the themes proposed are those of the following cycle that the consultation discusses,
  or else every theme of that cycle not withdrawn, in their order.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from dialogue.core import clock
from dialogue.core.errors import DomainError
from dialogue.core.i18n import CONTENT_LANGUAGES, localized
from dialogue.cycles.models import Consultation, Cycle, Decision, ExpressionOfInterest, Proposal
from dialogue.documents.models import Document
from dialogue.events import participants
from dialogue.events import selectors as event_selectors
from dialogue.events.models import Event
from dialogue.events.rules import describe_dates
from dialogue.funding import selectors as funding_selectors
from dialogue.funding.models import BudgetLine, Pledge
from dialogue.members.models import Member
from dialogue.surveys.rules import DEFAULT_WINDOW

MAX_TEXT_CHARS = 200_000
LINK = re.compile(r"\[((?:[^\[\]\\\n]|\\.)+)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")
HEADING = re.compile(r"^(#{1,3}) +(\S.*)$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# --- the structure ------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Plain text of a paragraph, heading or bullet."""

    text: str
    is_link = False


@dataclass(frozen=True)
class Link:
    """A link shown as its label, with its address in footnote `number`."""

    label: str
    url: str
    number: int
    is_link = True


Inline = Text | Link


@dataclass
class Heading:
    """A heading of level 1 to 3."""

    level: int
    parts: list[Inline]
    kind = "heading"


@dataclass
class Paragraph:
    """A paragraph; `number` is None for one that continues the previous number."""

    number: int | None
    parts: list[Inline]
    kind = "paragraph"


@dataclass
class Item:
    """A bullet, with the bullets under it."""

    parts: list[Inline]
    children: list[list[Inline]] = field(default_factory=list)


@dataclass
class Bullets:
    """A bullet list."""

    items: list[Item]
    kind = "bullets"


Block = Heading | Paragraph | Bullets


@dataclass
class Footnote:
    """The address of a link, shown at the foot of the page or the end of the note."""

    number: int
    label: str
    url: str


@dataclass
class Note:
    """A parsed note: its blocks in order and its footnotes, numbered from 1."""

    blocks: list[Block]
    footnotes: list[Footnote]


@dataclass(frozen=True)
class Meta:
    """What the renderers print around the body: who issues the note, for what, when."""

    organization: str
    dialogue: str
    title: str
    subtitle: str
    issued_on: datetime.date
    issued_on_text: str
    language: str


def plain(parts: list[Inline]) -> str:
    """The text of inline parts as read aloud, links shown by their label."""
    return "".join(part.text if isinstance(part, Text) else part.label for part in parts)


# --- parsing -------------------------------------------------------------------------


def _error(line: int, message: str) -> DomainError:
    return DomainError(
        _("Line %(line)d: %(problem)s") % {"line": line, "problem": message},
        field="text",
        code="unparseable",
    )


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\\[\]])", r"\1", text)


def _check_url(url: str, line: int) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _error(
            line,
            _("the address of a link must start with http:// or https:// (found “%(url)s”).")
            % {"url": url[:80]},
        )
    return url


class _Parser:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.footnotes: list[Footnote] = []
        self.number = 0
        self.lines: list[tuple[str, int]] = []
        self.continues = False
        self.list: Bullets | None = None
        self.item_lines: list[tuple[str, int]] = []
        self.item_target: tuple[Item, int | None] | None = None

    def inline(self, pieces: list[tuple[str, int]]) -> list[Inline]:
        parts: list[Inline] = []
        for text, line in pieces:
            if parts:
                parts.append(Text(" "))
            position = 0
            for match in LINK.finditer(text):
                parts.extend(self._text(text[position : match.start()], line))
                url = _check_url(match.group(2), line)
                number = len(self.footnotes) + 1
                label = _unescape(match.group(1)).strip()
                self.footnotes.append(Footnote(number, label, url))
                parts.append(Link(label, url, number))
                position = match.end()
            parts.extend(self._text(text[position:], line))
        merged: list[Inline] = []
        for part in parts:
            if merged and isinstance(part, Text) and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + part.text)
            elif not (isinstance(part, Text) and not part.text):
                merged.append(part)
        return merged

    def _text(self, text: str, line: int) -> list[Inline]:
        unescaped = re.sub(r"\\[\\\[\]]", "", text)
        if "[" in unescaped or "]" in unescaped:
            raise _error(
                line,
                _(
                    "a link is written [label](https://address); write \\[ or \\] for a "
                    "bracket that is not part of a link."
                ),
            )
        return [Text(_unescape(text))] if text else []

    def flush_paragraph(self) -> None:
        if not self.lines:
            return
        if self.continues:
            if self.number == 0:
                raise _error(self.lines[0][1], _("“+ ” continues a paragraph, but none precedes."))
            number = None
        else:
            self.number += 1
            number = self.number
        self.blocks.append(Paragraph(number, self.inline(self.lines)))
        self.lines = []
        self.continues = False

    def flush_item(self) -> None:
        if self.item_target is None:
            return
        item, child = self.item_target
        parts = self.inline(self.item_lines)
        if child is None:
            item.parts = parts
        else:
            item.children[child] = parts
        self.item_target = None
        self.item_lines = []

    def end_list(self) -> None:
        self.flush_item()
        self.list = None

    def feed(self, raw: str, line: int) -> None:
        if CONTROL.search(raw):
            raise _error(line, _("the line holds a control character; remove it."))
        text = raw.rstrip().replace("\t", "    ")
        if not text.strip():
            self.flush_paragraph()
            self.end_list()
            return
        if text.startswith("#"):
            match = HEADING.match(text)
            if not match:
                raise _error(
                    line,
                    _(
                        "a heading is “# ”, “## ” or “### ” followed by its text; write \\# "
                        "for a line that starts with #."
                    ),
                )
            self.flush_paragraph()
            self.end_list()
            self.blocks.append(Heading(len(match.group(1)), self.inline([(match.group(2), line)])))
            return
        if text.startswith("- ") or text == "-":
            if len(text) < 3 or not text[2:].strip():
                raise _error(line, _("a bullet needs its text."))
            self.flush_paragraph()
            self.flush_item()
            if self.list is None:
                self.list = Bullets([])
                self.blocks.append(self.list)
            item = Item([])
            self.list.items.append(item)
            self.item_target = (item, None)
            self.item_lines = [(text[2:].strip(), line)]
            return
        indent = len(text) - len(text.lstrip(" "))
        stripped = text.lstrip(" ")
        if stripped.startswith("- ") and indent:
            if indent != 2:
                raise _error(line, _("indent a bullet under a bullet by exactly two spaces."))
            if self.list is None:
                raise _error(line, _("a bullet under a bullet needs a bullet above it."))
            self.flush_item()
            item = self.list.items[-1]
            item.children.append([])
            self.item_target = (item, len(item.children) - 1)
            self.item_lines = [(stripped[2:].strip(), line)]
            return
        if indent and self.item_target is not None:
            self.item_lines.append((stripped, line))
            return
        if indent >= 2 and not self.lines:
            raise _error(line, _("only the lines of a bullet are indented."))
        self.end_list()
        if not self.lines:
            if stripped.startswith("+ "):
                self.continues = True
                stripped = stripped[2:].strip()
            elif stripped.startswith("\\"):
                stripped = stripped[1:] if stripped[1:2] in ("#", "-", "+") else stripped
        self.lines.append((stripped, line))


def parse(text: str) -> Note:
    """The structure of a note's text; DomainError (field "text") naming the line at fault."""
    text = str(text or "")
    if len(text) > MAX_TEXT_CHARS:
        raise DomainError(
            _("The note is too long; the limit is %(limit)d characters.")
            % {"limit": MAX_TEXT_CHARS},
            field="text",
        )
    parser = _Parser()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        parser.feed(raw, number)
    parser.flush_paragraph()
    parser.end_list()
    if not parser.blocks:
        raise DomainError(_("The note is empty."), field="text", code="empty")
    return Note(blocks=parser.blocks, footnotes=parser.footnotes)


def escape_text(text: str) -> str:
    """`text` written so that `parse` reads it back as the same words, on one line."""
    text = " ".join(str(text or "").split())
    text = re.sub(r"([\\\[\]])", r"\\\1", text)
    if text[:1] in ("#", "-", "+"):
        text = "\\" + text
    return text


def link(label: str, url: str) -> str:
    """A link in the note's text format."""
    label = re.sub(r"([\\\[\]])", r"\\\1", " ".join(label.split()))
    return f"[{label}]({url})"


# --- drafting ------------------------------------------------------------------------


@dataclass
class NoteData:
    """What the note of a consultation reports, read from the data."""

    consultation: Consultation
    cycle: Cycle
    theme: Proposal | None
    previous: Consultation | None
    events: list[Event]
    next_cycle: Cycle | None
    proposals: list[Proposal]
    topic_decisions: dict[int, Decision]
    interests: dict[int, list[ExpressionOfInterest]]
    documents: dict[int, list[Document]]
    pledges: dict[int, list[Pledge]]

    @property
    def is_empty(self) -> bool:
        return not (self.events or self.proposals or self.previous)


# The middle of each season, where an event known only to its season is placed among others.
SEASON_MIDDLES = {"winter": (1, 15), "spring": (4, 15), "summer": (7, 15), "autumn": (10, 15)}


def approximate_start(event: Event) -> datetime.date:
    """Where an event falls in time as far as its dates are known (the first of its month,
    the middle of its season); events whose date is to be determined come last."""
    if event.start_date:
        return event.start_date
    if event.year and event.precision == Event.Precision.MONTH and event.month:
        return datetime.date(event.year, event.month, 1)
    if event.year and event.precision == Event.Precision.SEASON and event.seasons:
        month, day = min(SEASON_MIDDLES.get(season, (12, 31)) for season in event.seasons)
        return datetime.date(event.year, month, day)
    if event.year and event.precision != Event.Precision.TBD:
        return datetime.date(event.year, 1, 1)
    return datetime.date.max


def report_cycle(consultation: Consultation) -> Cycle:
    """The cycle whose activities the note reports: the cycle of the consultation's year,
    or the consultation's own cycle when there is none."""
    return Cycle.objects.filter(year=consultation.held_on.year).first() or consultation.cycle


def note_data(consultation: Consultation) -> NoteData:
    """Everything the note of `consultation` needs, as the records stood on its date."""
    on = consultation.held_on
    cycle = report_cycle(consultation)
    theme = None
    theme_decision = (
        Decision.objects.filter(
            cycle=cycle,
            subject=Decision.Subject.THEME,
            superseded_by__isnull=True,
            decided_on__lte=on,
        )
        .prefetch_related("proposals")
        .first()
    )
    if theme_decision is not None:
        theme = next(iter(theme_decision.proposals.all()), None)
    elif cycle.theme_id:
        theme = cycle.theme
    previous = (
        Consultation.objects.filter(held_on__lt=on)
        .filter(Q(held_on__year=cycle.year) | Q(cycle__in=[cycle.pk, consultation.cycle_id]))
        .exclude(pk=consultation.pk)
        .order_by("-held_on", "-id")
        .first()
    )
    events = sorted(
        Event.objects.filter(cycle=cycle)
        .exclude(kind=Event.Kind.CONSULTATION)
        .select_related("topic", "previous_session", "host")
        .prefetch_related("partners", "previous_session__partners"),
        key=lambda event: (approximate_start(event), event.pk),
    )
    next_cycle = Cycle.objects.filter(year=cycle.year + 1).first()
    proposals: list[Proposal] = []
    questions = Prefetch("questions")
    if next_cycle is not None:
        discussed = list(
            consultation.proposals.filter(cycle=next_cycle, kind=Proposal.Kind.THEME)
            .prefetch_related(questions)
            .order_by("position", "id")
        )
        proposals = discussed or list(
            Proposal.objects.filter(cycle=next_cycle, kind=Proposal.Kind.THEME)
            .exclude(status=Proposal.Status.WITHDRAWN)
            .prefetch_related(questions)
            .order_by("position", "id")
        )
    topic_ids = [event.topic_id for event in events if event.topic_id]
    topic_decisions: dict[int, Decision] = {}
    decisions = (
        Decision.objects.filter(
            subject=Decision.Subject.WORKSHOP_TOPICS,
            superseded_by__isnull=True,
            decided_on__lte=on,
            proposals__in=topic_ids,
        )
        .select_related("survey", "consultation")
        .prefetch_related("proposals")
        .distinct()
    )
    for decision in decisions:
        for proposal in decision.proposals.all():
            topic_decisions[proposal.pk] = decision
    interests: dict[int, list[ExpressionOfInterest]] = defaultdict(list)
    for interest in (
        ExpressionOfInterest.objects.filter(proposal__in=topic_ids, expressed_on__lte=on)
        .select_related("member", "consultation", "survey__consultation")
        .order_by("expressed_on", "id")
    ):
        interests[interest.proposal_id].append(interest)
    documents: dict[int, list[Document]] = defaultdict(list)
    for document in (
        Document.objects.filter(
            event__in=events,
            status=Document.Status.PUBLISHED,
            visibility=Document.Visibility.PUBLIC,
        )
        .exclude(kind=Document.Kind.DISCUSSION_NOTE)
        .select_related("series")
        .order_by("published_at", "id")
    ):
        documents[document.event_id].append(document)
    pledges: dict[int, list[Pledge]] = defaultdict(list)
    for pledge in (
        Pledge.objects.filter(event__in=events, pledged_on__lte=on)
        .exclude(status=Pledge.Status.WITHDRAWN)
        .select_related("donor__member", "donor__organization", "budget_line")
        .order_by("pledged_on", "id")
    ):
        pledges[pledge.event_id].append(pledge)
    return NoteData(
        consultation=consultation,
        cycle=cycle,
        theme=theme,
        previous=previous,
        events=events,
        next_cycle=next_cycle,
        proposals=proposals,
        topic_decisions=topic_decisions,
        interests=dict(interests),
        documents=dict(documents),
        pledges=dict(pledges),
    )


def number_words(count: int) -> str:
    """A small count spelled out ("two"), a larger one in figures."""
    words = {
        1: pgettext("count", "one"),
        2: pgettext("count", "two"),
        3: pgettext("count", "three"),
        4: pgettext("count", "four"),
        5: pgettext("count", "five"),
        6: pgettext("count", "six"),
        7: pgettext("count", "seven"),
        8: pgettext("count", "eight"),
        9: pgettext("count", "nine"),
        10: pgettext("count", "ten"),
    }
    return words.get(count, str(count))


def join_words(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c" in the active language."""
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def day_text(value: datetime.date) -> str:
    """A date written in full in the active language ("2 March 2007")."""
    return describe_dates(
        precision="day", year=None, month=None, seasons=[], start_date=value, end_date=None
    )


def month_text(value: datetime.date) -> str:
    """A month written in full in the active language ("October 2006")."""
    return describe_dates(
        precision="month",
        year=value.year,
        month=value.month,
        seasons=[],
        start_date=None,
        end_date=None,
    )


def window_text(window: datetime.timedelta = DEFAULT_WINDOW) -> str:
    """A response window in words: "two weeks", or a number of days."""
    days = window.days
    if days and days % 7 == 0:
        weeks = days // 7
        return ngettext("%(count)s week", "%(count)s weeks", weeks) % {"count": number_words(weeks)}
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": number_words(days)}


def _names_in_a_sentence() -> dict[str, str]:
    # In French and Spanish a language's name is not capitalised within a sentence.
    return {
        "en": pgettext("language name in a sentence", "English"),
        "fr": pgettext("language name in a sentence", "French"),
        "es": pgettext("language name in a sentence", "Spanish"),
    }


def language_names(codes: list[str]) -> str:
    """Language codes as names joined in the active language, as written within a sentence
    ("English, French and Spanish"; "anglais, français et espagnol")."""
    names = dict(settings.LANGUAGES) | _names_in_a_sentence()
    return join_words([str(names.get(code, code)) for code in codes])


def _kind_label(event: Event) -> str:
    labels = {
        Event.Kind.EXPERT_SEMINAR: pgettext("in a sentence", "expert seminar"),
        Event.Kind.WORKSHOP: pgettext("in a sentence", "intersessional workshop"),
        Event.Kind.TRAINING: pgettext("in a sentence", "training session"),
    }
    return str(labels.get(event.kind, pgettext("in a sentence", "meeting")))


def _organization_label(organization) -> str:
    name = organization.name
    if organization.acronym and organization.acronym.lower() != name.lower():
        return _("%(name)s (%(acronym)s)") % {"name": name, "acronym": organization.acronym}
    return name


def _where(event: Event) -> str:
    if event.place and event.city:
        return _("at %(place)s, %(city)s") % {"place": event.place, "city": event.city}
    if event.place or event.city:
        return _("in %(city)s") % {"city": event.place or event.city}
    return ""


def _when(event: Event, language: str) -> str:
    dates = event_selectors.dates_text(event, language)
    if event.precision == Event.Precision.DAY:
        return _("on %(dates)s") % {"dates": dates}
    if event.precision == Event.Precision.TBD:
        return _("at a date still to be determined")
    return _("in %(dates)s") % {"dates": dates}


def _donor_name(donor) -> str:
    if donor.member_id and donor.member.kind != Member.Kind.OBSERVER_ORGANIZATION:
        return _("the Government of %(state)s") % {"state": donor.member.name}
    return str(donor.member.name if donor.member_id else donor.organization.name)


def _survey_period(survey) -> str:
    opens = survey.opens_at.date() if survey.opens_at else None
    closes = survey.closes_at.date() if survey.closes_at else None
    if opens and closes and (opens.year, opens.month) != (closes.year, closes.month):
        months = {
            1: _("January"),
            2: _("February"),
            3: _("March"),
            4: _("April"),
            5: _("May"),
            6: _("June"),
            7: _("July"),
            8: _("August"),
            9: _("September"),
            10: _("October"),
            11: _("November"),
            12: _("December"),
        }
        if opens.year == closes.year:
            return _("%(first)s/%(last)s %(year)d") % {
                "first": months[opens.month],
                "last": months[closes.month],
                "year": closes.year,
            }
        return _("%(first)s/%(last)s") % {"first": month_text(opens), "last": month_text(closes)}
    return month_text(opens or closes) if (opens or closes) else ""


def _occasion(interest: ExpressionOfInterest) -> str:
    if interest.consultation_id:
        return _("during the informal consultations of %(month)s") % {
            "month": month_text(interest.consultation.held_on)
        }
    survey = interest.survey
    if survey.consultation_id:
        return _("in a survey conducted after the informal consultations of %(month)s") % {
            "month": month_text(survey.consultation.held_on)
        }
    return _("in a survey in %(month)s") % {"month": month_text(interest.expressed_on)}


def _unguard(text: str) -> str:
    """`text` without the backslash that keeps a line from starting a heading or bullet,
    for a place where the line already starts with a marker of its own."""
    return text[1:] if text[:1] == "\\" and text[1:2] in ("#", "-", "+") else text


class _Writer:
    """Collects the lines of a note's text."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, level: int, text: str) -> None:
        self.lines += ["#" * level + " " + escape_text(text), ""]

    def paragraph(self, *sentences: str, continues: bool = False, raw: str = "") -> None:
        text = " ".join(escape_text(capfirst(s)) for s in sentences if s and s.strip())
        text = " ".join(part for part in (text, raw) if part)
        if not text:
            return
        if continues:
            text = "+ " + _unguard(text)
        self.lines += [text, ""]

    def own_text(self, value: str, *, lead: str = "", continues: bool = False) -> None:
        """Content written by the Administration, paragraph by paragraph."""
        chunks = [c for c in re.split(r"\n\s*\n", value or "") if c.strip()]
        if lead and not chunks:
            self.paragraph(lead, continues=continues)
        for index, chunk in enumerate(chunks):
            self.paragraph(lead if index == 0 else "", chunk, continues=continues)

    def bullets(self, items: list[str]) -> None:
        self.lines += ["- " + _unguard(escape_text(item)) for item in items if item.strip()]
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def _event_heading(event: Event) -> str:
    return _("%(title)s: Expert Seminar") % {"title": localized(event, "title")}


def _opening(data: NoteData) -> str:
    count = len(data.proposals)
    values = {
        "dialogue": str(settings.DIALOGUE_NAME),
        "year": data.cycle.year,
        "date": day_text(data.previous.held_on) if data.previous else "",
        "count": number_words(count),
        "next": localized(data.next_cycle, "name") if data.next_cycle else "",
    }
    if data.previous and count:
        return (
            ngettext(
                "This Discussion Note provides an update on %(dialogue)s activities in "
                "%(year)s since the last informal consultations on %(date)s, and proposes "
                "%(count)s possible overarching theme to guide %(next)s, for consideration "
                "by the membership.",
                "This Discussion Note provides an update on %(dialogue)s activities in "
                "%(year)s since the last informal consultations on %(date)s, and proposes "
                "%(count)s possible overarching themes to guide %(next)s, for consideration "
                "by the membership.",
                count,
            )
            % values
        )
    if count:
        return (
            ngettext(
                "This Discussion Note provides an update on %(dialogue)s activities in "
                "%(year)s, and proposes %(count)s possible overarching theme to guide "
                "%(next)s, for consideration by the membership.",
                "This Discussion Note provides an update on %(dialogue)s activities in "
                "%(year)s, and proposes %(count)s possible overarching themes to guide "
                "%(next)s, for consideration by the membership.",
                count,
            )
            % values
        )
    if data.previous:
        return (
            _(
                "This Discussion Note provides an update on %(dialogue)s activities in "
                "%(year)s since the last informal consultations on %(date)s."
            )
            % values
        )
    return _("This Discussion Note provides an update on %(dialogue)s activities in %(year)s.") % (
        values
    )


def _first_sentence(event: Event, language: str, on: datetime.date) -> str:
    values = {
        "kind": _kind_label(event),
        "title": localized(event, "title"),
        "where": _where(event),
        "when": _when(event, language),
        "partners": join_words([_organization_label(o) for o in event.partners.all()]),
    }
    held = event.status == Event.Status.HELD
    if held and values["partners"]:
        template = _(
            "The %(kind)s “%(title)s” was held %(where)s %(when)s, in partnership with "
            "%(partners)s."
        )
    elif held:
        template = _("The %(kind)s “%(title)s” was held %(where)s %(when)s.")
    elif values["partners"]:
        template = _(
            "The %(kind)s “%(title)s” will be held %(where)s %(when)s, in partnership with "
            "%(partners)s."
        )
    else:
        template = _("The %(kind)s “%(title)s” will be held %(where)s %(when)s.")
    return " ".join((template % values).split()).replace(" ,", ",").replace(" .", ".")


def _participants(event: Event) -> str:
    composition = participants.participants_composition(event)
    if composition.total:
        kinds = [
            _("%(label)s: %(count)d") % {"label": row.label, "count": row.count}
            for row in composition.by_affiliation_kind
            if row.count
        ]
        return ngettext(
            "It brought together %(count)d participant (%(composition)s).",
            "It brought together %(count)d participants (%(composition)s).",
            composition.total,
        ) % {"count": composition.total, "composition": "; ".join(kinds)}
    if event.expected_participants:
        return ngettext(
            "It brought together %(count)d participant.",
            "It brought together %(count)d participants.",
            event.expected_participants,
        ) % {"count": event.expected_participants}
    return ""


def _document_url(document: Document, event: Event, language: str) -> str:
    """Where a reader finds a document: its address elsewhere, or its public page (the
    event's page where the site has no page per document)."""
    if document.external_url:
        return document.external_url
    with translation.override(language):
        try:
            path = reverse("site:document", args=[document.pk])
        except NoReverseMatch:
            path = reverse("site:event", args=[event.pk])
    return settings.SITE_URL.rstrip("/") + path


def _materials(data: NoteData, event: Event, language: str) -> str:
    parts = []
    materials = []
    for document in data.documents.get(event.pk, []):
        url = _document_url(document, event, language)
        title = localized(document, "title")
        if document.series_id:
            parts.append(
                escape_text(
                    _("The report “%(title)s” is published as %(series)s No. %(number)d.")
                    % {
                        "title": title,
                        "series": localized(document.series, "name"),
                        "number": document.series_number,
                    }
                )
                + " "
                + link(_("Read it online"), url)
                + "."
            )
        else:
            materials.append(link(title, url))
    if materials:
        parts.insert(
            0,
            escape_text(
                _("The materials of the %(kind)s are available online:")
                % {"kind": _kind_label(event)}
            )
            + " "
            + ", ".join(materials)
            + ".",
        )
    return " ".join(parts)


def _topic_sentence(data: NoteData, event: Event) -> str:
    decision = data.topic_decisions.get(event.topic_id) if event.topic_id else None
    if decision is None:
        return ""
    count = len(decision.proposals.all())
    values = {"title": localized(event.topic, "title"), "count": number_words(count)}
    if decision.basis == Decision.Basis.SURVEY and decision.survey_id:
        values["period"] = _survey_period(decision.survey)
        return (
            ngettext(
                "“%(title)s” is the topic selected by the membership through a survey in "
                "%(period)s.",
                "“%(title)s” is one of %(count)s topics selected by the membership through a "
                "survey in %(period)s.",
                count,
            )
            % values
        )
    values["date"] = day_text(decision.consultation.held_on) if decision.consultation_id else ""
    return (
        ngettext(
            "“%(title)s” is the topic selected by the membership at the informal "
            "consultations of %(date)s.",
            "“%(title)s” is one of %(count)s topics selected by the membership at the informal "
            "consultations of %(date)s.",
            count,
        )
        % values
    )


def _funding(data: NoteData, event: Event, on: datetime.date, said: str = "") -> list[str]:
    """Who funds the event and which interpretation is offered, leaving out what the text
    already `said` (a description naming the donor, or the languages of interpretation)."""
    sentences = []
    interpretation: dict[str, list[str]] = {}
    donors: dict[str, str] = {}
    for pledge in data.pledges.get(event.pk, []):
        name = _donor_name(pledge.donor)
        line = pledge.budget_line
        if line is not None and line.kind == BudgetLine.Kind.INTERPRETATION and line.language:
            languages = interpretation.setdefault(name, [])
            if line.language not in languages:
                languages.append(line.language)
        else:
            donors[name] = name
    for name, languages in interpretation.items():
        if name in said:
            continue
        ordered = [code for code in CONTENT_LANGUAGES if code in languages]
        sentences.append(
            _("%(donor)s contributes the funds for interpretation into %(languages)s.")
            % {"donor": name, "languages": language_names(ordered)}
        )
    for name in donors:
        if name not in said:
            sentences.append(_("%(donor)s contributes to its funding.") % {"donor": name})
    if event.interpretation_languages and event.status != Event.Status.CANCELLED:
        offered = funding_selectors.interpretation_offered(event, on=on)
        if offered and language_names(offered) not in " ".join([said, *sentences]):
            sentences.append(
                _("Simultaneous interpretation is offered in %(languages)s.")
                % {"languages": language_names(offered)}
            )
    if event.contingent_on_funding and event.status not in (
        Event.Status.HELD,
        Event.Status.CANCELLED,
        Event.Status.CONFIRMED,
    ):
        sentences.append(_("It will be held only if funding is secured."))
    return sentences


def _repeat(event: Event, language: str) -> str:
    previous = event.previous_session
    if previous is None:
        return ""
    return _("It repeats the session on the same topic held %(when)s.") % {
        "when": _when(previous, language)
    }


def _interest_sentence(data: NoteData, event: Event) -> str:
    interests = data.interests.get(event.topic_id, []) if event.topic_id else []
    if not interests:
        return ""
    by_whom: dict[str, list[str]] = {}
    for interest in interests:
        who = interest.member.name if interest.member_id else ""
        occasions = by_whom.setdefault(who, [])
        occasion = _occasion(interest)
        if occasion not in occasions:
            occasions.append(occasion)
    sentences = []
    for who, occasions in by_whom.items():
        values = {
            "who": who,
            "title": localized(event.topic, "title"),
            "occasions": join_words(occasions),
        }
        if who:
            sentences.append(_("%(who)s expressed interest in “%(title)s” %(occasions)s.") % values)
        else:
            sentences.append(
                _("The membership expressed interest in “%(title)s” %(occasions)s.") % values
            )
    return " ".join(sentences)


def _cancelled(event: Event) -> str:
    values = {"kind": _kind_label(event), "title": localized(event, "title")}
    if event.cancellation_reason == Event.CancellationReason.INSUFFICIENT_FUNDING:
        return (
            _(
                "However, the %(kind)s “%(title)s” could not be organized due to insufficient "
                "funding."
            )
            % values
        )
    return _("The %(kind)s “%(title)s” has been cancelled.") % values


def _write_event(out: _Writer, data: NoteData, event: Event, language: str) -> None:
    on = data.consultation.held_on
    if event.status == Event.Status.CANCELLED:
        out.own_text(localized(event, "description"))
        out.paragraph(_interest_sentence(data, event), _cancelled(event))
        return
    first = _first_sentence(event, language, on)
    description = [c for c in re.split(r"\n\s*\n", localized(event, "description")) if c.strip()]
    out.paragraph(first, _topic_sentence(data, event), *(description[:1]))
    for chunk in description[1:]:
        out.paragraph(chunk)
    previous = event.previous_session
    extra = [_repeat(event, language)]
    if previous is not None:
        extra += [localized(previous, "outcome_summary"), localized(previous, "follow_up")]
    said = " ".join([first, *description, *filter(None, extra)])
    extra += _funding(data, event, on, said)
    if any(extra):
        out.paragraph(*extra)
    if event.status == Event.Status.HELD:
        out.paragraph(_participants(event), localized(event, "outcome_summary"))
        out.paragraph(
            localized(event, "recommendations"),
            localized(event, "follow_up"),
            raw=_materials(data, event, language),
        )
    elif data.documents.get(event.pk):
        out.paragraph(raw=_materials(data, event, language))


SECTIONS = (
    (Event.Kind.WORKSHOP, lambda: _("Intersessional Workshops")),
    (Event.Kind.TRAINING, lambda: _("Training Sessions")),
    (Event.Kind.OTHER, lambda: _("Other Activities")),
)


def _write_cycle(out: _Writer, data: NoteData, language: str) -> None:
    cycle_name = localized(data.cycle, "name")
    if data.theme is not None:
        out.heading(
            1,
            _("%(cycle)s: %(theme)s")
            % {"cycle": cycle_name, "theme": localized(data.theme, "title")},
        )
    else:
        out.heading(1, cycle_name)
    events = list(data.events)
    held_topics = {
        e.topic_id: e for e in events if e.kind == Event.Kind.EXPERT_SEMINAR and e.topic_id
    }
    follow = defaultdict(list)
    rest = []
    for event in events:
        attach = held_topics.get(event.topic_id) if event.topic_id else None
        if (
            event.status == Event.Status.CANCELLED
            and attach is not None
            and event.kind != Event.Kind.EXPERT_SEMINAR
        ):
            follow[attach.pk].append(event)
        else:
            rest.append(event)
    theme_written = False
    for event in rest:
        if event.kind != Event.Kind.EXPERT_SEMINAR:
            continue
        out.heading(2, _event_heading(event))
        _write_event(out, data, event, language)
        for later in follow.get(event.pk, []):
            _write_event(out, data, later, language)
    for kind, title in SECTIONS:
        section = [e for e in rest if e.kind == kind]
        if not section:
            continue
        out.heading(2, title())
        if kind == Event.Kind.WORKSHOP and data.theme is not None and not theme_written:
            out.own_text(localized(data.theme, "summary"))
            theme_written = True
        for event in section:
            _write_event(out, data, event, language)
    if data.theme is not None and not theme_written:
        out.own_text(localized(data.theme, "summary"))


def _write_next_cycle(out: _Writer, data: NoteData) -> None:
    if data.next_cycle is None or not data.proposals:
        return
    count = len(data.proposals)
    values = {"count": number_words(count), "cycle": localized(data.next_cycle, "name")}
    out.heading(1, localized(data.next_cycle, "name"))
    out.paragraph(
        ngettext(
            "As requested by the membership, the Administration is proposing for "
            "consideration %(count)s possible overarching theme to guide %(cycle)s.",
            "As requested by the membership, the Administration is proposing for "
            "consideration %(count)s possible overarching themes to guide %(cycle)s.",
            count,
        )
        % values,
        _(
            "Once an overarching theme has been selected, the Administration will propose to "
            "the membership, for their selection, workshop topics relating to that theme."
        ),
    )
    out.paragraph(
        ngettext(
            "The Administration takes this opportunity to request delegations to give "
            "consideration to the potential overarching theme described below.",
            "The Administration takes this opportunity to request delegations to give "
            "consideration to the %(count)s potential overarching themes described below.",
            count,
        )
        % values
    )
    letters = "abcdefghijklmnopqrstuvwxyz"
    for index, proposal in enumerate(data.proposals):
        letter = letters[index] if index < len(letters) else str(index + 1)
        out.heading(
            3,
            _("(%(letter)s) %(title)s") % {"letter": letter, "title": localized(proposal, "title")},
        )
        out.own_text(localized(proposal, "summary"), continues=True)
        questions = [localized(q, "text") for q in proposal.questions.all()]
        if questions:
            out.paragraph(
                _(
                    "The questions which could be explored within the proposed overarching "
                    "theme include:"
                ),
                continues=True,
            )
            out.bullets(questions)
    if count >= 2:
        out.paragraph(
            _(
                "If final agreement is not reached during the informal consultations on which "
                "of the above themes to select for %(cycle)s, the Administration would send a "
                "survey to all Member States and all observer States and organizations shortly "
                "after the informal consultations. The survey would include the %(count)s "
                "potential overarching themes described above, modified as may be necessary "
                "based on the informal consultations. The membership would have %(window)s "
                "within which to complete and return the survey. The final decision concerning "
                "the theme that will guide %(cycle)s would be based on the survey results."
            )
            % {**values, "window": window_text()}
        )


def check_language(language: str) -> str:
    """`language` if it is one of the note's languages; DomainError otherwise."""
    if language not in CONTENT_LANGUAGES:
        raise DomainError(_("Choose English, French or Spanish."), field="language")
    return language


def draft_text(consultation: Consultation, language: str) -> str:
    """The first draft of the note of `consultation` in `language`, in the text format.

    Generated sentences are in `language`; content written by the Administration is
    taken in that language, or in English where it has no translation. Raises
    DomainError when there is nothing to report: the cycle has no events, the next
    cycle no proposals, and no consultation came before.
    """
    check_language(language)
    data = note_data(consultation)
    if data.is_empty:
        raise DomainError(
            _(
                "There is nothing to report for this consultation yet: its cycle has no "
                "events, the next cycle has no proposed themes and no informal consultation "
                "came before it."
            ),
            field="consultation",
            code="nothing_to_report",
        )
    out = _Writer()
    with translation.override(language):
        out.paragraph(_opening(data))
        if data.events or data.theme is not None:
            _write_cycle(out, data, language)
        _write_next_cycle(out, data)
    return out.text()


def note_meta(
    consultation: Consultation, language: str, issued_on: datetime.date | None = None
) -> Meta:
    """The header of a note: organization, dialogue, title and date of issue, in `language`."""
    check_language(language)
    issued_on = issued_on or clock.today()
    cycle = report_cycle(consultation)
    with translation.override(language):
        return Meta(
            organization=str(settings.ORGANIZATION_NAME),
            dialogue=str(settings.DIALOGUE_NAME),
            title=_("%(dialogue)s %(year)d")
            % {"dialogue": str(settings.DIALOGUE_NAME), "year": cycle.year},
            subtitle=_("Discussion Note: informal consultations of %(date)s")
            % {"date": day_text(consultation.held_on)},
            issued_on=issued_on,
            issued_on_text=day_text(issued_on),
            language=language,
        )


def consultations_with_notes():
    """Every consultation, latest first, with its cycle and note drafts loaded."""
    return (
        Consultation.objects.select_related("cycle")
        .prefetch_related("note_drafts")
        .order_by("-held_on", "-id")
    )
