"""The cycle archive: one ZIP file with what a cycle decided, asked, published and held.

Contents, every name built from ids and ASCII slugs only (never from an uploaded name),
so an entry can neither climb out of the folder it is unpacked into nor differ from
one build to the next:

    README.txt                                what the archive holds, and what it left out
    decisions.csv                             every decision, superseded ones included
    surveys/<id>-<slug>/results.csv           each published survey's results
    surveys/<id>-<slug>/responses.csv         its responses, once the survey is closed
    documents.csv                             an index of the cycle's published documents
    documents/<id>-<slug>/<lang>.<ext>        their published language versions' files
    events/<id>-<slug>/participants.csv       the participants' list of each held event

The archive holds personal data and members-only and staff-only documents, so only
staff may build it, and each build is noted in the audit trail. It is written to a
temporary file, never held in memory whole.
"""

import re
import shutil
import tempfile
import zipfile
import zoneinfo
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from dialogue.core import audit, clock, tables
from dialogue.core.actors import require_staff
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Cycle, Decision
from dialogue.documents import selectors as document_selectors
from dialogue.documents.files import FILE_TYPES
from dialogue.documents.models import Document, LanguageVersion
from dialogue.events import documents as event_documents
from dialogue.events import participants
from dialogue.events.models import Event
from dialogue.surveys import exports as survey_exports
from dialogue.surveys.models import Survey

CONTENT_TYPE = "application/zip"
SLUG_CHARS = 50
LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
EXTENSIONS = {kind.content_type: kind.extensions[0].lstrip(".") for kind in FILE_TYPES}
# Entries this large need the ZIP64 format, which must be chosen before writing them.
ZIP64_FROM = zipfile.ZIP64_LIMIT
CLOSED_STATUSES = (Survey.Status.CLOSED, Survey.Status.RESULTS_PUBLISHED)


@dataclass
class ArchiveFile:
    """A built cycle archive: an open temporary file (at its start), its name and entries."""

    filename: str
    file: IO[bytes]
    size: int
    entries: list[str] = field(default_factory=list)

    content_type: str = CONTENT_TYPE


def safe_slug(text: str) -> str:
    """`text` as a short ASCII slug of lower-case letters, digits and hyphens ("item" if
    nothing is left): safe as one component of a path inside the archive."""
    slug = slugify(str(text or ""))[:SLUG_CHARS].strip("-_")
    return slug or "item"


def _folder(obj: Any, title: str) -> str:
    return f"{int(obj.pk)}-{safe_slug(title)}"


def _decisions_table(cycle: Cycle) -> tables.Table:
    decisions = (
        Decision.objects.filter(cycle=cycle)
        .select_related("consultation", "survey", "supersedes", "recorded_by", "superseded_by")
        .prefetch_related("proposals")
        .order_by("decided_on", "id")
    )
    rows = []
    for decision in decisions:
        superseded_by = getattr(decision, "superseded_by", None)
        rows.append(
            [
                decision.pk,
                decision.decided_on,
                decision.get_subject_display(),
                decision.get_basis_display(),
                decision.consultation.title if decision.consultation else "",
                decision.survey_id,
                decision.survey.title if decision.survey else "",
                "; ".join(proposal.title for proposal in decision.proposals.all()),
                decision.note,
                decision.supersedes_id,
                superseded_by.pk if superseded_by else None,
                superseded_by is None,
                tables.utc_text(decision.recorded_at),
                decision.recorded_by.get_username() if decision.recorded_by else "system",
            ]
        )
    return tables.Table(
        title=_("Decisions"),
        header=[
            _("Decision id"),
            _("Decided on"),
            _("Subject"),
            _("Basis"),
            _("Consultation"),
            _("Survey id"),
            _("Survey"),
            _("What was selected"),
            _("Note"),
            _("Supersedes decision"),
            _("Superseded by decision"),
            _("In force"),
            _("Recorded at (UTC)"),
            _("Recorded by"),
        ],
        rows=rows,
    )


def _cycle_documents(actor, cycle: Cycle) -> list[Document]:
    return list(
        document_selectors.documents_visible_to(actor)
        .filter(Q(cycle=cycle) | Q(event__cycle=cycle), status=Document.Status.PUBLISHED)
        .order_by("id")
    )


def _published_versions(document: Document) -> list[LanguageVersion]:
    return [
        version
        for version in document.versions.all()
        if version.status == LanguageVersion.Status.PUBLISHED
        and LANGUAGE_CODE.match(version.language or "")
    ]


def _version_entry(folder: str, version: LanguageVersion) -> str:
    extension = EXTENSIONS.get(version.content_type, "bin")
    return f"documents/{folder}/{version.language}.{extension}"


def _documents_index(documents, entries: dict[int, list[str]]) -> tables.Table:
    rows = []
    for document in documents:
        rows.append(
            [
                document.pk,
                document.title_en,
                document.title_fr,
                document.title_es,
                document.get_kind_display(),
                document.get_visibility_display(),
                document.series.name if document.series else "",
                document.series_number,
                document.event.title if document.event else "",
                tables.utc_text(document.published_at),
                document.external_url,
                " ".join(entries.get(document.pk, [])),
            ]
        )
    return tables.Table(
        title=_("Documents"),
        header=[
            _("Document id"),
            _("Title (English)"),
            _("Title (French)"),
            _("Title (Spanish)"),
            _("Kind"),
            _("Visibility"),
            _("Series"),
            _("Number in the series"),
            _("Event"),
            _("Published at (UTC)"),
            _("Published elsewhere at"),
            _("Files in this archive"),
        ],
        rows=rows,
    )


def _readme(cycle: Cycle, *, built_at: str, lines: list[str], empty: bool) -> str:
    theme = cycle.theme.title if cycle.theme_id else _("not decided")
    text = [
        _("Archive of the cycle %(name)s (%(year)s)") % {"name": cycle.name, "year": cycle.year},
        "",
        _("Status: %(status)s. Overarching theme: %(theme)s.")
        % {"status": cycle.get_status_display(), "theme": theme},
        _("Built on %(moment)s (UTC).") % {"moment": built_at},
        "",
    ]
    if empty:
        text += [
            _(
                "Nothing to archive yet: the cycle has no decision, no published survey, "
                "no published document and no held event."
            ),
            "",
        ]
    text += [
        _("Contents:"),
        "",
        _("README.txt: this description."),
        _("decisions.csv: every decision of the cycle, superseded ones included."),
        _(
            "documents.csv: the cycle's published documents (public, members-only and "
            "staff-only), with their titles, kind, visibility, series number, external "
            "address and the files below."
        ),
        _(
            "documents/<id>-<name>/<language>.<type>: the published language versions of "
            "each document; drafts are not included."
        ),
        _(
            "surveys/<id>-<name>/results.csv: the results of each published survey, "
            "recomputed from the stored responses (provisional while a survey is open); "
            "responses.csv beside it once the survey is closed."
        ),
        _("events/<id>-<name>/participants.csv: the participants' list of each held event."),
        "",
        _(
            "The CSV files are UTF-8 with a byte order mark; a cell that a spreadsheet could "
            "take for a formula starts with an apostrophe. This archive holds personal data "
            "and documents that are not public: keep it within the secretariat."
        ),
    ]
    if lines:
        text += ["", _("In this archive:"), "", *lines]
    return "\n".join(text) + "\n"


def write_cycle_archive(*, actor, cycle: Cycle, target: IO[bytes]) -> list[str]:
    """Write the cycle archive as a ZIP (deflated) to the binary file `target` and note it
    in the audit trail; return the entry names in the order written.

    Only staff may build it (NotPermitted). A cycle with nothing to archive still gives
    a valid ZIP, whose README says so.
    """
    require_staff(actor)
    cycle = Cycle.objects.select_related("theme").get(pk=cycle.pk)
    now = clock.now()
    built_at = tables.utc_text(now)
    stamp = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).timetuple()[:6]
    entries: list[str] = []
    notes: list[str] = []

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
            entries.append(name)

        decisions = _decisions_table(cycle)
        add("decisions.csv", tables.table_csv(decisions))

        surveys = list(Survey.objects.filter(cycle=cycle).order_by("id"))
        published_surveys = 0
        for survey in surveys:
            if not survey_exports.results_exist(survey):
                notes.append(
                    _("Survey %(id)s, “%(title)s”: a draft, left out.")
                    % {"id": survey.pk, "title": survey.title}
                )
                continue
            published_surveys += 1
            folder = f"surveys/{_folder(survey, survey.title_en)}"
            add(
                f"{folder}/results.csv",
                tables.table_csv(survey_exports.results_table(survey)),
            )
            if survey.status in CLOSED_STATUSES:
                add(
                    f"{folder}/responses.csv",
                    tables.table_csv(survey_exports.responses_table(survey)),
                )
            notes.append(
                _("Survey %(id)s, “%(title)s” (%(status)s): %(folder)s/")
                % {
                    "id": survey.pk,
                    "title": survey.title,
                    "status": survey.get_status_display(),
                    "folder": folder,
                }
            )

        documents = _cycle_documents(actor, cycle)
        document_entries: dict[int, list[str]] = {}
        for document in documents:
            folder = _folder(document, document.title_en)
            for version in _published_versions(document):
                name = _version_entry(folder, version)
                try:
                    source = version.file.open("rb")
                except OSError:
                    notes.append(
                        _("Document %(id)s (%(language)s): its file is missing from storage.")
                        % {"id": document.pk, "language": version.language}
                    )
                    continue
                with source:
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    large = (version.size or 0) >= ZIP64_FROM
                    with archive.open(info, "w", force_zip64=large) as destination:
                        shutil.copyfileobj(source, destination)
                entries.append(name)
                document_entries.setdefault(document.pk, []).append(name)
        index = _documents_index(documents, document_entries)
        add("documents.csv", tables.table_csv(index))

        events = list(Event.objects.filter(cycle=cycle, status=Event.Status.HELD).order_by("id"))
        for event in events:
            folder = f"events/{_folder(event, event.title_en)}"
            rows = participants.participants_export_rows(event)
            add(f"{folder}/participants.csv", event_documents.write_csv(rows))

        empty = not (decisions.rows or published_surveys or documents or events)
        listing = [*notes, *(f"- {name}" for name in entries)]
        add("README.txt", _readme(cycle, built_at=built_at, lines=listing, empty=empty).encode())

    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=cycle,
        note=f"cycle archive built: {len(entries)} files",
    )
    return entries


def cycle_archive_file(*, actor, cycle: Cycle) -> ArchiveFile:
    """The cycle archive in a temporary file, open and at its start (closing it deletes
    it), for staff only; see `write_cycle_archive`."""
    require_staff(actor)
    handle = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - the caller closes it
    try:
        entries = write_cycle_archive(actor=actor, cycle=cycle, target=handle)
    except BaseException:
        handle.close()
        raise
    size = handle.tell()
    handle.seek(0)
    return ArchiveFile(
        filename=f"cycle-{cycle.year}-archive-{clock.today().isoformat()}.zip",
        file=handle,
        size=size,
        entries=entries,
    )
