"""Demo documents and publications of the 2007 dialogue, written through the documents services.

What the 2007 Discussion Note reports about documents, as the secretariat would have
recorded it: the IDM Series, with earlier reports already numbered; the materials of
the Bangkok expert seminar, published on the IOM website at the address of the note's
footnote; the seminar's comprehensive report, a draft still to be numbered in the IDM
Series; the background paper of the first intersessional workshop in English, French
and Spanish; the material of the training on International Migration Law; the World
Migration Report 2007; and, so that visibility shows in the demo, a summary for
delegations (members only) and a note for the file (staff only).

The data lives in `data/documents.toml`. A series is found again by its English name,
a document by its cycle, kind and English title, a language version by its document
and language, so a second run writes nothing. Each step is one service call:
`series_create`, `document_save`, `version_upload` and `version_publish`,
`document_publish`, `document_assign_next_number`. Nothing goes backwards: a document
published since is not taken back to draft, a number taken is never changed.

The files are generated from the data at load time, a PDF laid out by WeasyPrint or
a Word file written by python-docx, with the data's date as their creation date and
every zip entry dated the same, so the same data always gives the same bytes. A file
is uploaded again only when its bytes (its checksum) or its name differ from what is
stored.
"""

import datetime
import hashlib
import io
import zipfile
from typing import IO, Any

from django.core.files.base import ContentFile
from django.utils.html import escape
from django.utils.translation import gettext as _

from dialogue.core import audit
from dialogue.core.errors import DomainError
from dialogue.demo.cycle_loader import _cycle, _toml, geneva_time
from dialogue.demo.event_loader import _event
from dialogue.demo.loader import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Counts,
    Row,
    Step,
    ensure_staff_account,
    run_steps,
)
from dialogue.documents import services as documents
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries

DATA_FILE = "documents.toml"
# The fields of a document the data may set through `document_save`, besides cycle and event.
TEXT_DATA_FIELDS = (
    "kind",
    "title_en",
    "title_fr",
    "title_es",
    "summary_en",
    "summary_fr",
    "summary_es",
    "visibility",
    "external_url",
)
PUBLISHED = "published"
PDF_STYLE = """
@page { size: A4; margin: 2.5cm 2.2cm; }
body { font-family: serif; font-size: 11pt; line-height: 1.4; font-variant-ligatures: none; }
h1 { font-size: 15pt; margin: 0 0 1em; }
"""


# --- data files -------------------------------------------------------------------


def _data(section: str) -> list[Row]:
    return _toml(DATA_FILE).get(section, [])


def series_rows() -> list[Row]:
    """The publication series of the data file."""
    return _data("series")


def document_rows() -> list[Row]:
    """The documents of the data file, each with its files under "file"."""
    return _data("document")


def file_rows() -> list[Row]:
    """Each language version of the data, with the row of its document under "document"."""
    return [
        {**file_row, "document": row} for row in document_rows() for file_row in row.get("file", [])
    ]


def _series_spec(key: str) -> Row:
    for row in series_rows():
        if row["key"] == key:
            return row
    raise DomainError(
        _("No series “%(key)s” in %(file)s.") % {"key": key, "file": DATA_FILE}, field="series"
    )


# --- finding what the data names ----------------------------------------------------


def _find_series(spec: Row) -> PublicationSeries | None:
    return PublicationSeries.objects.filter(name_en__iexact=spec["name_en"]).first()


def _series(key: str) -> PublicationSeries:
    series = _find_series(_series_spec(key))
    if series is None:
        raise DomainError(_("No series “%(key)s”.") % {"key": key}, field="series")
    return series


def _find_document(spec: Row) -> Document | None:
    """The document a row of the data describes, if it was loaded."""
    return (
        Document.objects.filter(
            cycle__year=spec["cycle"], kind=spec["kind"], title_en=spec["title_en"]
        )
        .order_by("pk")
        .first()
    )


def _document(spec: Row) -> Document:
    document = _find_document(spec)
    if document is None:
        raise DomainError(
            _("No document “%(title)s”.") % {"title": spec["title_en"]}, field="document"
        )
    return document


# --- generated files -------------------------------------------------------------------


def _heading(document_row: Row, file_row: Row) -> str:
    if file_row.get("heading"):
        return file_row["heading"]
    language = file_row["language"]
    return document_row.get(f"title_{language}") or document_row["title_en"]


def pdf_bytes(
    *, language: str, title: str, paragraphs: list[str], items: list[str], date: datetime.date
) -> bytes:
    """A PDF showing the title, paragraphs and list, dated `date`: the same arguments give
    the same bytes (WeasyPrint writes no date but the one given)."""
    from weasyprint import HTML

    day = date.isoformat()
    body = [f"<h1>{escape(title)}</h1>"]
    body += [f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs]
    if items:
        body.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
    html = (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<meta name="dcterms.created" content="{day}">'
        f'<meta name="dcterms.modified" content="{day}">'
        f"<style>{PDF_STYLE}</style></head><body>{''.join(body)}</body></html>"
    )
    return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url: str, *args, **kwargs):
    raise ValueError(f"A generated demo file loads no resource: {url}")


def docx_bytes(
    *, language: str, title: str, paragraphs: list[str], items: list[str], date: datetime.date
) -> bytes:
    """A Word file showing the title, paragraphs and bulleted list, dated `date`: the same
    arguments give the same bytes."""
    import docx

    document = docx.Document()
    moment = datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC)
    properties = document.core_properties
    properties.title = title
    properties.language = language
    properties.author = properties.last_modified_by = ""
    properties.created = properties.modified = moment
    properties.revision = 1
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    for item in items:
        document.add_paragraph(item, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return _zip_dated(buffer.getvalue(), date)


def _zip_dated(content: bytes, date: datetime.date) -> bytes:
    """The zip archive with every entry dated `date` (zipfile dates entries it writes
    by the clock), entries and their order unchanged."""
    output = io.BytesIO()
    stamp = (date.year, date.month, date.day, 0, 0, 0)
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry))
    return output.getvalue()


RENDERERS = {".pdf": pdf_bytes, ".docx": docx_bytes}


def file_content(document_row: Row, file_row: Row) -> bytes:
    """The bytes of a language version of the data, the same for the same data."""
    name = file_row["name"]
    extension = name[name.rfind(".") :].lower() if "." in name else ""
    render = RENDERERS.get(extension)
    if render is None:
        raise DomainError(
            _("%(name)s: a generated file is a .pdf or a .docx.") % {"name": name}, field="name"
        )
    return render(
        language=file_row["language"],
        title=_heading(document_row, file_row),
        paragraphs=file_row.get("paragraphs", []),
        items=file_row.get("items", []),
        date=document_row["date"],
    )


# --- series -------------------------------------------------------------------------------


def apply_series(actor, row: Row) -> str:
    """Create a publication series, starting at the data's first number.

    No service renames a series, so one whose French or Spanish name differs from the
    data stops the load instead.
    """
    series = _find_series(row)
    if series is None:
        documents.series_create(
            actor=actor,
            name_en=row["name_en"],
            name_fr=row.get("name_fr", ""),
            name_es=row.get("name_es", ""),
            next_number=row.get("first_number", 1),
        )
        return CREATED
    if (series.name_fr, series.name_es) != (row.get("name_fr", ""), row.get("name_es", "")):
        raise DomainError(
            _("The series “%(name)s” has other French or Spanish names; a series is not renamed.")
            % {"name": series.name_en},
            field="name_fr",
        )
    return UNCHANGED


# --- documents ------------------------------------------------------------------------------


def _document_data(row: Row) -> dict[str, Any]:
    """What `document_save` sets; a field the row leaves out keeps its stored value."""
    data: dict[str, Any] = {name: row[name] for name in TEXT_DATA_FIELDS if name in row}
    data["cycle"] = _cycle(row["cycle"])
    if "event" in row:
        data["event"] = _event(row["event"])
    return data


def apply_document(actor, row: Row) -> str:
    """Create a draft document, or put its description, cycle, event, visibility and
    external address back to the data."""
    data = _document_data(row)
    document = _find_document(row)
    if document is None:
        documents.document_save(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(document, documents.DOCUMENT_FIELDS)
    document = documents.document_save(actor=actor, data=data, document=document)
    return UNCHANGED if audit.snapshot(document, documents.DOCUMENT_FIELDS) == before else UPDATED


def apply_file(actor, row: Row) -> str:
    """Upload a language version generated from the data when it is new or its bytes or
    name changed, then publish it if the data says so."""
    document = _document(row["document"])
    content = file_content(row["document"], row)
    checksum = hashlib.sha256(content).hexdigest()
    version = LanguageVersion.objects.filter(document=document, language=row["language"]).first()
    outcome = UNCHANGED
    if version is None or (version.checksum, version.original_name) != (checksum, row["name"]):
        outcome = CREATED if version is None else UPDATED
        version = documents.version_upload(
            actor=actor,
            document=document,
            language=row["language"],
            uploaded_file=ContentFile(content, name=row["name"]),
            name=row["name"],
        )
    if row.get("status") == PUBLISHED and version.status != LanguageVersion.Status.PUBLISHED:
        documents.version_publish(actor=actor, version=version)
        outcome = outcome if outcome == CREATED else UPDATED
    return outcome


def _publication_time(row: Row) -> datetime.datetime | None:
    """Noon in Geneva on the document's date, when the data gives one."""
    day = row.get("date")
    if not isinstance(day, datetime.date):
        return None
    return geneva_time(datetime.datetime.combine(day, datetime.time(12)))


def apply_publication(actor, row: Row) -> str:
    """Publish the document and give it its number in a series, as the data says.

    A step taken is a new fact, so it counts as created, like an event's status.
    """
    document = _document(row)
    taken = False
    if row.get("status") == PUBLISHED and document.status == Document.Status.DRAFT:
        document = documents.document_publish(
            actor=actor, document=document, published_at=_publication_time(row)
        )
        taken = True
    if row.get("series"):
        series = _series(row["series"])
        expected = row.get("series_number")
        if document.series_id is None:
            if expected is not None and series.next_number != expected:
                raise DomainError(
                    _(
                        "The next number of %(series)s is %(next)d, not %(expected)d; "
                        "a number is taken once and never reused."
                    )
                    % {"series": series.name_en, "next": series.next_number, "expected": expected},
                    field="series_number",
                )
            documents.document_assign_next_number(actor=actor, document=document, series=series)
            taken = True
        elif (document.series_id, document.series_number) != (series.pk, expected):
            raise DomainError(
                _("The document already has number %(number)d in %(series)s; it is not changed.")
                % {"number": document.series_number, "series": document.series.name_en},
                field="series_number",
            )
    return CREATED if taken else UNCHANGED


DOCUMENT_STEPS = (
    Step("series", "Publication series", series_rows, apply_series, lambda r: r["key"]),
    Step("documents", "Documents", document_rows, apply_document, lambda r: r["key"]),
    Step(
        "document_files",
        "Document files",
        file_rows,
        apply_file,
        lambda r: f"{r['document']['key']} {r['language']}",
    ),
    Step(
        "publications",
        "Publications and numbers",
        document_rows,
        apply_publication,
        lambda r: r["key"],
    ),
)


def load_documents(*, stdout: IO[str] | None = None) -> Counts:
    """Load the demo documents after the events, as the demo staff login.

    Returns, for each step, how many rows were created, updated or left unchanged.
    """
    actor, _outcome = ensure_staff_account()
    return run_steps(DOCUMENT_STEPS, actor=actor, stdout=stdout)


# --- what the closing report may show ------------------------------------------------------


def documents_overview() -> list[dict[str, str]]:
    """Each document with its cycle, kind, visibility, status, number and languages."""
    rows = []
    queryset = Document.objects.select_related("cycle", "event", "series").prefetch_related(
        "versions"
    )
    for document in queryset.order_by("cycle__year", "pk"):
        number = f"{document.series.name_en} {document.series_number}" if document.series else ""
        languages = ", ".join(version.language for version in document.versions.all())
        rows.append(
            {
                "cycle": document.cycle.name_en if document.cycle else "",
                "kind": str(document.get_kind_display()),
                "title": document.title_en,
                "visibility": str(document.get_visibility_display()),
                "status": str(document.get_status_display()),
                "number": number,
                "files": languages or (_("published elsewhere") if document.external_url else ""),
            }
        )
    return rows
