"""Ranked full-text search over documents, in English, French and Spanish.

Each document has one `SearchEntry` per language (its title, summary and file text in
that language), plus a staff-only entry for the text of a draft language version. The
database indexes the entries: an FTS5 table on SQLite (bm25 ranking, accents ignored),
a weighted tsvector column with a GIN index on PostgreSQL (ts_rank_cd, each entry in its
language's text-search configuration). Who may find what is decided by
`selectors.documents_visible_to`, the rule that decides who may see a document.
"""

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from dialogue.core.actors import has_staff_rights
from dialogue.core.errors import DomainError
from dialogue.documents.models import Document, LanguageVersion, SearchEntry
from dialogue.documents.selectors import documents_visible_to

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 100
MAX_OFFSET = 2**31
MAX_TERMS = 32
BODY_MAX_CHARS = 200_000
SNIPPET_WORDS = 30
SNIPPET_WORDS_BEFORE = 10
REBUILD_BATCH = 500

LANGUAGES = ("en", "fr", "es")
KEY_DOCUMENT = 8
# Text search configurations of migration 0004: PostgreSQL's, ignoring accents where it can.
PG_CONFIGS = {"en": "dialogue_english", "fr": "dialogue_french", "es": "dialogue_spanish"}

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchHit:
    """One document found: its best-matching language entry, rank and snippet."""

    document: Document
    language: str
    rank: float
    snippet: list[tuple[str, bool]]


@dataclass(frozen=True)
class SearchResults:
    """A page of search results and the number of matching documents in all."""

    query: str
    terms: list[str]
    hits: list[SearchHit]
    total: int


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """The word lower-cased and without accents, for comparing words as the index does."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_terms(query: str) -> list[str]:
    """The distinct words (unicode letters and digits) of a query, lower-cased, in order."""
    normalized = unicodedata.normalize("NFC", query)
    terms: list[str] = []
    for word in _WORD.findall(normalized):
        term = word.casefold()
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def _clean_id(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DomainError(_("Choose a valid item."), field=field)
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not 0 < number < 2**63:
        raise DomainError(_("Choose a valid item."), field=field)
    return number


def _clean_choice(value, choices, field: str, message: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in choices:
        raise DomainError(message, field=field)
    return value


def _clean_count(value, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DomainError(
            _("Give a whole number from %(minimum)d.") % {"minimum": minimum}, field=field
        )
    return value


def search_documents(
    user,
    query: str,
    *,
    cycle: int | None = None,
    event: int | None = None,
    kind: str | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """The documents the user may see that contain every word of the query (as a prefix),
    best first, one hit per document, and how many match in all.

    Staff also find drafts, withdrawn documents and the text of draft language versions;
    others only what `documents_visible_to` shows them. Any query text is safe: it is cut
    into words and passed to the database as quoted terms. A query longer than
    MAX_QUERY_LENGTH or an invalid filter raises DomainError naming the field.
    """
    query = str(query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise DomainError(
            _("The search is too long; use at most %(limit)d characters.")
            % {"limit": MAX_QUERY_LENGTH},
            field="q",
        )
    cycle = _clean_id(cycle, "cycle")
    event = _clean_id(event, "event")
    kind = _clean_choice(kind, Document.Kind.values, "kind", _("Choose a kind of document."))
    language = _clean_choice(
        language,
        dict(settings.LANGUAGES),
        "language",
        _("Choose English, French or Spanish."),
    )
    limit = min(_clean_count(limit, "limit", 1), MAX_LIMIT)
    offset = min(_clean_count(offset, "offset", 0), MAX_OFFSET)
    terms = query_terms(query)
    if not terms:
        return SearchResults(query=query, terms=[], hits=[], total=0)

    documents = documents_visible_to(user).order_by()
    if cycle is not None:
        documents = documents.filter(cycle_id=cycle)
    if event is not None:
        documents = documents.filter(event_id=event)
    if kind is not None:
        documents = documents.filter(kind=kind)
    documents_sql, documents_params = documents.values("pk").query.sql_with_params()
    matches_sql, matches_params = _matches_sql(
        terms,
        documents_sql,
        list(documents_params),
        staff=has_staff_rights(user),
        language=language,
    )
    page_sql = f"""
        WITH matches AS ({matches_sql}),
        best AS (
            SELECT entry_id, document_id, rank,
                   ROW_NUMBER() OVER (
                       PARTITION BY document_id ORDER BY rank DESC, entry_id
                   ) AS position
            FROM matches
        )
        SELECT b.entry_id, b.document_id, b.rank, COUNT(*) OVER () AS total
        FROM best b JOIN documents_document d ON d.id = b.document_id
        WHERE b.position = 1
        ORDER BY b.rank DESC, d.published_at DESC NULLS LAST, b.document_id DESC
        LIMIT %s OFFSET %s
    """  # noqa: S608 - only parameters carry input
    with connection.cursor() as cursor:
        cursor.execute(page_sql, [*matches_params, limit, offset])
        rows = cursor.fetchall()
        if rows:
            total = rows[0][3]
        else:
            count_sql = f"""
                WITH matches AS ({matches_sql})
                SELECT COUNT(DISTINCT document_id) FROM matches
            """  # noqa: S608 - only parameters carry input
            cursor.execute(count_sql, matches_params)
            total = cursor.fetchone()[0]

    loaded = documents.in_bulk([row[1] for row in rows])
    entries = SearchEntry.objects.in_bulk([row[0] for row in rows])
    hits = [
        SearchHit(
            document=loaded[document_id],
            language=entries[entry_id].language,
            rank=float(rank),
            snippet=snippet(entries[entry_id], terms),
        )
        for entry_id, document_id, rank, _total in rows
        if document_id in loaded and entry_id in entries
    ]
    return SearchResults(query=query, terms=terms, hits=hits, total=int(total))


def entry_key(document_id: int, language: str, staff_only: bool) -> int:
    """The id of a document's search entry: the document, language and audience packed
    into one integer, so that the SQLite index yields them without reading the entry."""
    return document_id * KEY_DOCUMENT + LANGUAGES.index(language) * 2 + int(staff_only)


def _matches_sql(
    terms: list[str],
    documents_sql: str,
    documents_params: list,
    *,
    staff: bool,
    language: str | None,
) -> tuple[str, list]:
    """SQL listing each matching entry (entry_id, document_id, rank; a higher rank is
    better) of the documents selected by `documents_sql`, skipping draft text unless
    `staff`, in `language` only if given."""
    if connection.vendor == "postgresql":
        # Every term is letters and digits only, so quoting it cannot break the syntax.
        tsquery = " & ".join(f"'{term}':*" for term in terms)
        by_language = " OR ".join(
            f"(e.language = '{code}' AND e.search_vector @@ to_tsquery('{config}', %s))"
            for code, config in PG_CONFIGS.items()
        )
        rank_query = " ".join(
            f"WHEN '{code}' THEN to_tsquery('{config}', %s)" for code, config in PG_CONFIGS.items()
        )
        conditions = ["" if staff else "AND NOT e.staff_only"]
        params = [*documents_params]
        if language is not None:
            conditions.append("AND e.language = %s")
            params.append(language)
        sql = f"""
            SELECT e.id AS entry_id, e.document_id AS document_id,
                   ts_rank_cd(e.search_vector, CASE e.language {rank_query} END) AS rank
            FROM documents_searchentry e
            WHERE ({by_language}) AND e.document_id IN ({documents_sql}) {" ".join(conditions)}
        """  # noqa: S608 - only parameters carry input
        return sql, [*([tsquery] * len(PG_CONFIGS) * 2), *params]
    if connection.vendor == "sqlite":
        # Quoted strings are plain terms to FTS5: AND, OR, NEAR, *, ^ and : lose any meaning.
        expression = " AND ".join(f'"{term}"*' if len(term) > 1 else f'"{term}"' for term in terms)
        # The entry's id (see entry_key) gives its document, language and audience.
        conditions = ["" if staff else "AND rowid %% 2 = 0"]
        params = [expression, *documents_params]
        if language is not None:
            conditions.append(f"AND (rowid / 2) %% {KEY_DOCUMENT // 2} = %s")
            params.append(LANGUAGES.index(language))
        sql = f"""
            SELECT rowid AS entry_id, rowid / {KEY_DOCUMENT} AS document_id,
                   -bm25(documents_searchentry_fts, 10.0, 4.0, 1.0) AS rank
            FROM documents_searchentry_fts
            WHERE documents_searchentry_fts MATCH %s
              AND rowid / {KEY_DOCUMENT} IN ({documents_sql}) {" ".join(conditions)}
        """  # noqa: S608 - only parameters carry input
        return sql, params
    raise NotImplementedError(f"Full-text search is not available on {connection.vendor}.")


def snippet(entry: SearchEntry, terms: list[str]) -> list[tuple[str, bool]]:
    """About SNIPPET_WORDS words of plain text around the first word that starts with a
    query term (ignoring case and accents), from the body, else the summary, else the
    title; matched words are flagged True. Without such a word, the opening words."""
    folded_terms = tuple(fold(term) for term in terms)

    def matches(word: str) -> bool:
        return fold(word).startswith(folded_terms)

    for text in (entry.body, entry.summary, entry.title):
        words: list[re.Match] = []
        first = None
        for word in _WORD.finditer(text):
            words.append(word)
            if first is None and matches(word.group()):
                first = len(words) - 1
            if first is not None and len(words) > first + SNIPPET_WORDS:
                break
        if first is not None:
            start = max(0, first - SNIPPET_WORDS_BEFORE)
            return _segments(text, words[start:], start > 0, matches)
    for text in (entry.summary, entry.body, entry.title):
        words = list(itertools.islice(_WORD.finditer(text), SNIPPET_WORDS + 1))
        if words:
            return _segments(text, words, False, matches)
    return []


def _segments(text: str, words: list[re.Match], cut_before: bool, matches: Callable) -> list:
    """Up to SNIPPET_WORDS of `words` (matches in `text`) as merged plain-text segments,
    with an ellipsis where the text is cut."""
    shown = words[:SNIPPET_WORDS]
    segments: list[tuple[str, bool]] = []

    def add(piece: str, matched: bool) -> None:
        if not piece:
            return
        if segments and not matched and not segments[-1][1]:
            segments[-1] = (segments[-1][0] + piece, False)
        else:
            segments.append((piece, matched))

    if cut_before:
        add("… ", False)
    for index, word in enumerate(shown):
        add(word.group(), matches(word.group()))
        if index + 1 < len(shown):
            add(_SPACE.sub(" ", text[word.end() : shown[index + 1].start()]), False)
    if len(words) > len(shown):
        add(" …", False)
    elif shown:
        add(_SPACE.sub(" ", text[shown[-1].end() :]).rstrip(), False)
    return segments


def _entries_for(document: Document, versions: list[LanguageVersion]) -> list[SearchEntry]:
    """The search entries a document should have, from its fields and language versions."""
    by_language = {version.language: version for version in versions}
    entries = []
    for code in LANGUAGES:
        title = getattr(document, f"title_{code}", "") or ""
        summary = getattr(document, f"summary_{code}", "") or ""
        version = by_language.get(code)
        text = (version.text or "")[:BODY_MAX_CHARS] if version else ""
        published = version is not None and version.status == LanguageVersion.Status.PUBLISHED
        public_body = text if published else ""
        if title or summary or public_body:
            entries.append(
                SearchEntry(
                    id=entry_key(document.pk, code, False),
                    document=document,
                    language=code,
                    title=title,
                    summary=summary,
                    body=public_body,
                )
            )
        if text and not published:
            entries.append(
                SearchEntry(
                    id=entry_key(document.pk, code, True),
                    document=document,
                    language=code,
                    staff_only=True,
                    title=title,
                    summary=summary,
                    body=text,
                )
            )
    return entries


@transaction.atomic
def reindex_document(document: Document) -> None:
    """Make the document's search entries match what is stored now (none if it is gone).

    Called by every documents service that changes what is searchable, inside its
    transaction, so the index never disagrees with a committed document.
    """
    SearchEntry.objects.filter(document_id=document.pk).delete()
    current = Document.objects.filter(pk=document.pk).first()
    if current is None:
        return
    versions = list(
        LanguageVersion.objects.filter(document=current).only("language", "status", "text")
    )
    SearchEntry.objects.bulk_create(_entries_for(current, versions))


@transaction.atomic
def rebuild_index(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every search entry from the documents; returns the number of documents.

    `progress(done, total)` is called after each batch of documents.
    """
    SearchEntry.objects.all().delete()
    ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
    total = len(ids)
    for start in range(0, total, REBUILD_BATCH):
        batch = list(Document.objects.filter(pk__in=ids[start : start + REBUILD_BATCH]))
        versions: dict[int, list[LanguageVersion]] = {}
        for version in LanguageVersion.objects.filter(document__in=batch).only(
            "document_id", "language", "status", "text"
        ):
            versions.setdefault(version.document_id, []).append(version)
        entries = [
            entry
            for document in batch
            for entry in _entries_for(document, versions.get(document.pk, []))
        ]
        SearchEntry.objects.bulk_create(entries, batch_size=REBUILD_BATCH)
        if progress is not None:
            progress(min(start + REBUILD_BATCH, total), total)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO documents_searchentry_fts (documents_searchentry_fts) "
                "VALUES ('optimize')"
            )
    return total
