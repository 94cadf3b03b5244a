import io
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dialogue.core.errors import DomainError
from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents import search, services
from dialogue.documents.models import Document, LanguageVersion, PublicationSeries, SearchEntry
from dialogue.events.tests.factories import EventFactory
from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, PersonFactory, UserFactory

PUBLIC = Document.Visibility.PUBLIC
MEMBERS = Document.Visibility.MEMBERS
STAFF = Document.Visibility.STAFF
DRAFT = Document.Status.DRAFT
PUBLISHED = Document.Status.PUBLISHED
WITHDRAWN = Document.Status.WITHDRAWN


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(staff, document, text, language="en", publish=True) -> LanguageVersion:
    version = services.version_upload(
        actor=staff,
        document=document,
        language=language,
        uploaded_file=SimpleUploadedFile(f"{language}.txt", text.encode()),
    )
    if publish:
        version = services.version_publish(actor=staff, version=version)
    return version


def _document(staff, *, text="", language="en", status=PUBLISHED, **data) -> Document:
    """A document made through the services, with one published text file if `text`."""
    values = {"kind": Document.Kind.REPORT, "title_en": "Untitled report", **data}
    document = services.document_save(actor=staff, data=values)
    if text:
        _upload(staff, document, text, language)
    elif status != DRAFT:
        document = services.document_save(
            actor=staff, document=document, data={"external_url": "https://example.org/x"}
        )
    if status in (PUBLISHED, WITHDRAWN):
        document = services.document_publish(actor=staff, document=document)
    if status == WITHDRAWN:
        document = services.document_withdraw(actor=staff, document=document)
    return document


def _found(user, query, **filters) -> list[Document]:
    return [hit.document for hit in search.search_documents(user, query, **filters).hits]


def _observer_delegate():
    observer = MemberFactory(
        code="VAT", kind=Member.Kind.OBSERVER_STATE, name_en="Holy See", region="europe"
    )
    return PersonFactory(delegation=observer, with_account=True).user


# Ranking


def test_a_title_match_ranks_above_a_body_match(staff_user):
    in_body = _document(
        staff_user,
        title_en="Labour mobility",
        text="Notes on the labour market, with one mention of remittances at the end.",
    )
    in_title = _document(
        staff_user, title_en="Remittances and development", text="Flows of money home."
    )
    assert _found(AnonymousUser(), "remittances") == [in_title, in_body]


def test_a_summary_match_ranks_above_a_body_match(staff_user):
    in_body = _document(staff_user, title_en="Report A", text="Diaspora engagement is noted.")
    in_summary = _document(
        staff_user, title_en="Report B", summary_en="On diaspora engagement.", text="Other."
    )
    assert _found(AnonymousUser(), "diaspora") == [in_summary, in_body]


def test_equal_matches_come_most_recently_published_first(staff_user):
    older = _document(staff_user, title_en="Return and reintegration")
    newer = _document(staff_user, title_en="Return and reintegration")
    assert _found(AnonymousUser(), "reintegration") == [newer, older]


def test_a_document_matching_in_several_languages_is_one_hit(staff_user):
    document = _document(
        staff_user,
        title_en="Migration and development",
        title_fr="Migration et développement",
        title_es="Migración y desarrollo",
        text="Migration in English",
    )
    _upload(staff_user, document, "Migration en français", "fr")
    results = search.search_documents(AnonymousUser(), "migration")
    assert [hit.document for hit in results.hits] == [document]
    assert results.total == 1
    assert results.hits[0].rank > 0


def test_every_word_of_the_query_must_match_as_a_prefix(staff_user):
    both = _document(staff_user, title_en="Irregular migration", text="Border management.")
    _document(staff_user, title_en="Irregular flows", text="Nothing else.")
    assert _found(AnonymousUser(), "irregular migr") == [both]
    assert _found(AnonymousUser(), "irreg bord") == [both]


# Languages


def test_french_and_spanish_text_is_found_in_its_language(staff_user):
    french = _document(
        staff_user,
        title_en="Labour migration",
        title_fr="La migration de main-d'œuvre",
        text="Les travailleurs migrants et l'évolution des marchés du travail.",
        language="fr",
    )
    spanish = _document(
        staff_user,
        title_en="Integration",
        title_es="Integración de los migrantes",
        text="La migración laboral en Perú y en Côte d'Ivoire.",
        language="es",
    )
    assert _found(AnonymousUser(), "évolution") == [french]
    assert _found(AnonymousUser(), "travailleurs") == [french]
    assert _found(AnonymousUser(), "migración") == [spanish]
    assert _found(AnonymousUser(), "Integración") == [spanish]
    assert _found(AnonymousUser(), "Côte d'Ivoire") == [spanish]
    hit = search.search_documents(AnonymousUser(), "travailleurs").hits[0]
    assert hit.language == "fr"


def test_a_word_with_a_dotted_letter_is_found(staff_user):
    document = _document(staff_user, title_en="Labour migration from Türkiye")
    assert _found(AnonymousUser(), "Türkiye") == [document]
    assert _found(AnonymousUser(), "TÜRKIYE") == [document]


def test_accents_are_ignored(staff_user):
    spanish = _document(
        staff_user, title_en="Integration", text="La migración laboral en Perú.", language="es"
    )
    french = _document(staff_user, title_en="Trends", text="L'évolution récente.", language="fr")
    assert _found(AnonymousUser(), "migracion") == [spanish]
    assert _found(AnonymousUser(), "peru") == [spanish]
    assert _found(AnonymousUser(), "evolution recente") == [french]
    assert _found(AnonymousUser(), "Cote") == []


def test_language_entries_follow_the_titles_and_files(staff_user):
    document = _document(staff_user, title_en="Report", title_es="Informe", text="Text.")
    languages = set(
        SearchEntry.objects.filter(document=document).values_list("language", flat=True)
    )
    assert languages == {"en", "es"}


# Filters


def test_cycle_event_and_kind_filters_narrow_the_results(staff_user):
    cycle, other_cycle = CycleFactory(), CycleFactory()
    event = EventFactory(cycle=cycle)
    in_event = _document(
        staff_user, title_en="Workshop on health", cycle=cycle, event=event, kind="report"
    )
    in_cycle = _document(staff_user, title_en="Paper on health", cycle=cycle, kind="other")
    elsewhere = _document(staff_user, title_en="Note on health", cycle=other_cycle)
    anonymous = AnonymousUser()
    assert set(_found(anonymous, "health")) == {in_event, in_cycle, elsewhere}
    assert set(_found(anonymous, "health", cycle=cycle.pk)) == {in_event, in_cycle}
    assert set(_found(anonymous, "health", cycle=str(cycle.pk))) == {in_event, in_cycle}
    assert _found(anonymous, "health", event=event.pk) == [in_event]
    assert _found(anonymous, "health", kind="other") == [in_cycle]
    assert _found(anonymous, "health", cycle=cycle.pk, kind="report") == [in_event]
    assert _found(anonymous, "health", event=event.pk, kind="other") == []


def test_language_filter_searches_that_language_only(staff_user):
    document = _document(staff_user, title_en="Climate change", title_fr="Changement climatique")
    assert _found(AnonymousUser(), "climatique", language="fr") == [document]
    assert _found(AnonymousUser(), "climatique", language="en") == []
    assert _found(AnonymousUser(), "climate", language="es") == []
    hit = search.search_documents(AnonymousUser(), "chang", language="fr").hits[0]
    assert hit.language == "fr"


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"cycle": "2007"}, None),
        ({"cycle": "IDM 2007"}, "cycle"),
        ({"cycle": True}, "cycle"),
        ({"event": "one"}, "event"),
        ({"event": 1.5}, "event"),
        ({"event": "99999999999999999999"}, "event"),
        ({"event": " 12 "}, None),
        ({"kind": "poem"}, "kind"),
        ({"kind": 3}, "kind"),
        ({"language": "de"}, "language"),
        ({"language": "EN"}, "language"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_invalid_filters_are_refused_naming_the_field(db, filters, field):
    if field is None:
        search.search_documents(AnonymousUser(), "migration", **filters)
        return
    with pytest.raises(DomainError) as refused:
        search.search_documents(AnonymousUser(), "migration", **filters)
    assert refused.value.field == field


# Visibility


@pytest.fixture
def matrix(staff_user):
    """One document per visibility and status, all titled with the same word."""
    documents = {}
    for visibility, status in itertools.product(
        (PUBLIC, MEMBERS, STAFF), (DRAFT, PUBLISHED, WITHDRAWN)
    ):
        documents[(visibility, status)] = _document(
            staff_user,
            title_en=f"Visibilitycheck {visibility} {status}",
            text=f"Bodycheck {visibility} {status}",
            visibility=visibility,
            status=status,
        )
    return documents


EVERY_KEY = set(itertools.product((PUBLIC, MEMBERS, STAFF), (DRAFT, PUBLISHED, WITHDRAWN)))


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", {(PUBLIC, PUBLISHED)}),
        ("account_without_delegation", {(PUBLIC, PUBLISHED)}),
        ("delegate", {(PUBLIC, PUBLISHED), (MEMBERS, PUBLISHED)}),
        ("focal_point", {(PUBLIC, PUBLISHED), (MEMBERS, PUBLISHED)}),
        ("observer_delegate", {(PUBLIC, PUBLISHED), (MEMBERS, PUBLISHED)}),
        ("inactive_delegate", {(PUBLIC, PUBLISHED)}),
        ("staff", EVERY_KEY),
    ],
)
def test_search_finds_only_the_documents_the_viewer_may_see(request, matrix, viewer, expected):
    users = {
        "anonymous": AnonymousUser,
        "account_without_delegation": UserFactory,
        "delegate": lambda: request.getfixturevalue("delegate").user,
        "focal_point": lambda: request.getfixturevalue("focal_point").user,
        "observer_delegate": _observer_delegate,
        "inactive_delegate": lambda: PersonFactory(with_account=True, is_active=False).user,
        "staff": lambda: request.getfixturevalue("staff_user"),
    }
    user = users[viewer]()
    by_document = {document.pk: key for key, document in matrix.items()}
    for query in ("visibilitycheck", "bodycheck"):
        results = search.search_documents(user, query, limit=100)
        assert {by_document[hit.document.pk] for hit in results.hits} == expected
        assert results.total == len(expected)


def test_members_only_document_never_appears_to_the_public(staff_user):
    _document(staff_user, title_en="Confidential consultation record", visibility=MEMBERS)
    assert search.search_documents(AnonymousUser(), "confidential").total == 0


def test_draft_language_version_text_is_found_by_staff_only(staff_user, delegate):
    document = _document(staff_user, title_en="Public report", text="Published wording.")
    _upload(staff_user, document, "Brouillon secretissime.", "fr", publish=False)
    assert _found(staff_user, "secretissime") == [document]
    assert _found(delegate.user, "secretissime") == []
    assert _found(AnonymousUser(), "secretissime") == []
    assert _found(AnonymousUser(), "public report") == [document]
    staff_hit = search.search_documents(staff_user, "secretissime").hits[0]
    assert ("secretissime", True) in staff_hit.snippet


def test_withdrawn_document_vanishes_for_delegates(staff_user, delegate):
    document = _document(staff_user, title_en="Superseded guidance", visibility=MEMBERS)
    assert _found(delegate.user, "superseded") == [document]
    services.document_withdraw(actor=staff_user, document=document)
    assert _found(delegate.user, "superseded") == []
    assert _found(staff_user, "superseded") == [document]


# The index follows the services


def test_the_index_follows_each_service(staff_user):
    anonymous = AnonymousUser()
    document = services.document_save(
        actor=staff_user, data={"kind": "report", "title_en": "Seasonal workers"}
    )
    assert _found(staff_user, "seasonal") == [document]
    assert _found(anonymous, "seasonal") == []

    document = services.document_save(
        actor=staff_user, document=document, data={"title_en": "Circular workers"}
    )
    assert _found(staff_user, "seasonal") == []
    assert _found(staff_user, "circular") == [document]

    version = _upload(staff_user, document, "Pastoral nomadism.", publish=False)
    assert _found(staff_user, "nomadism") == [document]
    version = services.version_publish(actor=staff_user, version=version)
    document = services.document_publish(actor=staff_user, document=document)
    assert _found(anonymous, "nomadism") == [document]
    assert _found(anonymous, "circular") == [document]

    replaced = _upload(staff_user, document, "Transhumance corridors.", publish=False)
    assert replaced.status == LanguageVersion.Status.PUBLISHED
    assert _found(anonymous, "nomadism") == []
    assert _found(anonymous, "transhumance") == [document]

    series = services.series_create(actor=staff_user, name_en="IDM Series")
    services.document_assign_next_number(actor=staff_user, document=document, series=series)
    assert _found(anonymous, "transhumance") == [document]

    services.document_withdraw(actor=staff_user, document=document)
    assert _found(anonymous, "transhumance") == []
    assert _found(staff_user, "transhumance") == [document]


def test_a_refused_change_leaves_the_index_unchanged(staff_user):
    document = _document(staff_user, title_en="Urban refugees")
    with pytest.raises(DomainError):
        services.document_save(actor=staff_user, document=document, data={"title_en": " "})
    assert _found(AnonymousUser(), "urban") == [document]


def test_only_the_beginning_of_a_very_long_text_is_indexed(staff_user, monkeypatch):
    monkeypatch.setattr(search, "BODY_MAX_CHARS", 40)
    document = _document(
        staff_user, title_en="Long report", text="Early words about asylum. " + "x " * 30 + "Late"
    )
    assert _found(AnonymousUser(), "asylum") == [document]
    assert _found(AnonymousUser(), "late") == []


def test_rebuild_index_restores_every_entry(staff_user):
    documents = [_document(staff_user, title_en=f"Rebuilt document {n}") for n in range(3)]
    before = sorted(SearchEntry.objects.values_list("document_id", "language", "body"))
    SearchEntry.objects.all().delete()
    assert search.search_documents(AnonymousUser(), "rebuilt").total == 0
    assert search.rebuild_index() == 3
    assert sorted(SearchEntry.objects.values_list("document_id", "language", "body")) == before
    assert set(_found(AnonymousUser(), "rebuilt")) == set(documents)


def test_reindex_documents_command_reports_the_count(staff_user):
    _document(staff_user, title_en="Indexed by the command")
    SearchEntry.objects.all().delete()
    out = io.StringIO()
    call_command("reindex_documents", stdout=out)
    assert "1 documents indexed." in out.getvalue()
    assert search.search_documents(AnonymousUser(), "command").total == 1


# Queries as user input


OPERATOR_QUERIES = [
    '"migration"',
    '"migration',
    'migration"',
    "migration*",
    "-migration",
    "+migration",
    "^migration",
    "(migration)",
    "migration)",
    "title:migration",
    "{title body}: migration",
    "migration:*",
    "migration & !labour",
    "migration | labour",
    "migration <-> labour",
    "migration NEAR/2",
    "NEAR(migration labour)",
    "migration\x00",
    "migration\x00labour",
    "'migration'",
    "migration'; DROP TABLE documents_document; --",
    "migration\\",
    "migration %s %%",
    "migration _",
    "\tmigration\n",
    "migration 🙂",
    "🙂 migration 🌍",
]


@pytest.mark.parametrize("query", OPERATOR_QUERIES)
def test_operators_and_quotes_are_plain_words(staff_user, query):
    document = _document(
        staff_user,
        title_en="Migration labour title body near",
        text="Drop table documents_document, 2 s.",
    )
    results = search.search_documents(AnonymousUser(), query)
    assert "migration" in results.terms
    assert [hit.document for hit in results.hits] == [document]


@pytest.mark.parametrize(
    "query",
    [
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "*",
        '"',
        '""',
        "-",
        ":",
        "()",
        "^",
        "\x00",
        "🙂",
        "&|!<->",
        "AND OR NOT",
    ],
)
def test_bare_operators_never_raise(staff_user, query):
    _document(staff_user, title_en="Migration and borders, or not")
    results = search.search_documents(AnonymousUser(), query)
    assert results.total == len(results.hits)


@pytest.mark.parametrize("query", ["", "   ", "!!!", "***", "🙂🙂", "\x00", "- : ( )"])
def test_a_query_without_words_finds_nothing_without_asking_the_database(
    db, django_assert_num_queries, query
):
    with django_assert_num_queries(0):
        results = search.search_documents(AnonymousUser(), query)
    assert results == search.SearchResults(query=query.strip(), terms=[], hits=[], total=0)


def test_a_too_long_query_is_refused(db):
    with pytest.raises(DomainError) as refused:
        search.search_documents(AnonymousUser(), "m" * (search.MAX_QUERY_LENGTH + 1))
    assert refused.value.field == "q"
    padded = "  " + "m" * search.MAX_QUERY_LENGTH + "  "
    assert search.search_documents(AnonymousUser(), padded).total == 0


QUERY_PIECES = [
    "AND",
    "OR",
    "NOT",
    "NEAR",
    '"',
    "'",
    "*",
    "-",
    ":",
    "(",
    ")",
    "^",
    "&",
    "|",
    "!",
    "<->",
    ":*",
    "\\",
    "%",
    "\x00",
    "migration",
    "évolution",
    "Türkiye",
    "🌍",
]


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(
        st.text(max_size=search.MAX_QUERY_LENGTH + 20),
        st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map(" ".join),
        st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join),
    )
)
def test_any_text_query_runs_or_is_refused_for_its_length(staff_user, query):
    if not SearchEntry.objects.exists():
        _document(staff_user, title_en="Migration, borders and «évolution» 🌍")
    try:
        results = search.search_documents(staff_user, query)
    except DomainError as refused:
        assert refused.field == "q"
        assert len(query.strip()) > search.MAX_QUERY_LENGTH
        return
    assert results.total >= len(results.hits)
    for hit in results.hits:
        assert all(isinstance(text, str) for text, _matched in hit.snippet)


# Pagination and snippets


def test_pages_cover_every_match_once_and_count_them_all(staff_user):
    documents = {_document(staff_user, title_en=f"Paged report {n}") for n in range(23)}
    pages = [
        search.search_documents(AnonymousUser(), "paged", limit=10, offset=o) for o in (0, 10, 20)
    ]
    assert [len(page.hits) for page in pages] == [10, 10, 3]
    assert {page.total for page in pages} == {23}
    found = [hit.document for page in pages for hit in page.hits]
    assert len(found) == 23
    assert set(found) == documents
    for offset in (40, 10**30):
        beyond = search.search_documents(AnonymousUser(), "paged", limit=10, offset=offset)
        assert beyond.hits == []
        assert beyond.total == 23


def test_hits_come_with_series_cycle_and_event_loaded(staff_user, django_assert_num_queries):
    cycle = CycleFactory()
    event = EventFactory(cycle=cycle)
    document = _document(staff_user, title_en="Loaded report", cycle=cycle, event=event)
    series = PublicationSeries.objects.create(name_en="IDM Series")
    services.document_assign_next_number(actor=staff_user, document=document, series=series)
    (hit,) = search.search_documents(AnonymousUser(), "loaded").hits
    with django_assert_num_queries(0):
        assert (hit.document.series, hit.document.cycle, hit.document.event) == (
            series,
            cycle,
            event,
        )


def test_snippet_marks_matched_words_around_the_first_match(staff_user):
    words = [f"filler{n}" for n in range(60)]
    text = " ".join([*words[:40], "Migración", "laboral", *words[40:]])
    document = _document(staff_user, title_en="Labour", text=text, language="es")
    (hit,) = search.search_documents(staff_user, "migración labor").hits
    assert hit.document == document
    assert ("Migración", True) in hit.snippet
    assert ("laboral", True) in hit.snippet
    joined = "".join(piece for piece, _matched in hit.snippet)
    assert joined.startswith("… filler30 ")
    assert joined.endswith(" …")
    assert "filler29" not in joined
    assert len(joined.split()) <= search.SNIPPET_WORDS + 2


def test_snippet_folds_case_and_accents_and_is_plain_text():
    entry = SearchEntry(
        title="<b>Title</b>", summary="", body="La <script>migración</script>\n\nde Côte-d'Ivoire"
    )
    assert search.snippet(entry, ["migracion", "cote"]) == [
        ("La <script>", False),
        ("migración", True),
        ("</script> de ", False),
        ("Côte", True),
        ("-d'Ivoire", False),
    ]


def test_snippet_falls_back_to_summary_then_title():
    entry = SearchEntry(title="Remittances", summary="Money sent home.", body="Other words.")
    assert search.snippet(entry, ["money"]) == [("Money", True), (" sent home.", False)]
    assert search.snippet(entry, ["remit"]) == [("Remittances", True)]
    assert search.snippet(entry, ["remitted"]) == [("Money sent home.", False)]
