"""Time full-text search over 10,000 documents with a few KB of text in three languages.

Builds the documents in a throwaway SQLite database (in a temporary directory) and,
when DATABASE_URL is set, also in a throwaway database on that PostgreSQL server,
then builds the search index and runs a few hundred varied queries as an anonymous
reader, a delegate and staff. The exit status is 1 if the median query time on a
back end exceeds TARGET_MS. Usage: python bench/search.py [--documents N] [--queries N]
"""

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 100.0
SEED = 2007
ROOT = Path(__file__).resolve().parent.parent


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = {
    "en": _words("the of and to in a is that for on with as by are be this which it from at"),
    "fr": _words("de la le et les des à en du un une pour que dans sur par est qui au avec"),
    "es": _words("de la el y en los las que a del por para con un una se al es su como"),
}
SYLLABLES = {
    "en": _words("ba be con de dis en ex for in man ment mo na per pro ra re sen ter tion un ver"),
    "fr": _words("ba bé con de dé en é ex for in man ment mo na per pro ra re sen ter tion ve"),
    "es": _words("ba be ción con de des en ex for in man men mo na per pro ra re sen ter ve"),
}
TAIL_WORDS = 4000


VOCABULARY = {
    "en": _words(
        "migration migrants labour mobility remittances development diaspora return "
        "reintegration integration border management irregular trafficking smuggling "
        "protection rights health climate environment displacement refugees asylum "
        "policy dialogue cooperation regional consultative process capacity building "
        "training workshop seminar report member states observers governments partners "
        "data statistics research evidence circular seasonal workers employment skills "
        "recognition qualifications recruitment agencies women children families youth "
        "urban rural cities communities host origin destination transit corridor "
        "consular services documents identity travel visas policies programmes budget "
        "funding donors interpretation languages session agenda outcome recommendations "
        "guiding questions theme overarching effective respect human shared "
        "responsibility security economic social cultural national international"
    ),
    "fr": _words(
        "migration migrants main-d'œuvre mobilité envois de fonds développement diaspora "
        "retour réintégration intégration gestion des frontières irrégulière traite "
        "trafic protection droits santé climat environnement déplacement réfugiés asile "
        "politique dialogue coopération processus consultatif régional renforcement des "
        "capacités formation atelier séminaire rapport États membres observateurs "
        "gouvernements partenaires données statistiques recherche travailleurs "
        "saisonniers emploi compétences reconnaissance qualifications recrutement femmes "
        "enfants familles jeunes villes communautés pays d'origine destination transit "
        "services consulaires identité voyage politiques programmes budget financement "
        "donateurs interprétation langues session ordre du jour résultats "
        "recommandations questions directrices thème évolution économique sociale "
        "culturelle nationale internationale Côte d'Ivoire Sénégal Türkiye"
    ),
    "es": _words(
        "migración migrantes laboral movilidad remesas desarrollo diáspora retorno "
        "reintegración integración gestión de fronteras irregular trata tráfico "
        "protección derechos salud clima medio ambiente desplazamiento refugiados asilo "
        "política diálogo cooperación proceso consultivo regional fortalecimiento de "
        "capacidades formación taller seminario informe Estados miembros observadores "
        "gobiernos asociados datos estadísticas investigación trabajadores temporeros "
        "empleo competencias reconocimiento calificaciones contratación mujeres niños "
        "familias jóvenes ciudades comunidades países de origen destino tránsito "
        "servicios consulares identidad viaje políticas programas presupuesto "
        "financiación donantes interpretación idiomas sesión orden del día resultados "
        "recomendaciones preguntas orientadoras tema económica social cultural nacional "
        "internacional Perú México"
    ),
}

QUERIES = [
    "migration",
    "labour mobility",
    "remittances development",
    "diaspora",
    "return reintegration",
    "border management",
    "trafficking protection",
    "climate displacement",
    "health",
    "circular seasonal workers",
    "skills recognition",
    "regional consultative process",
    "capacity building training",
    "data statistics evidence",
    "women children",
    "consular services",
    "funding donors interpretation",
    "overarching theme guiding questions",
    "migr",
    "mob",
    "re",
    "mi",
    "workshop report 2007",
    "mobilité",
    "main-d'œuvre",
    "envois de fonds",
    "réintégration",
    "évolution économique",
    "travailleurs saisonniers",
    "Côte d'Ivoire",
    "Türkiye",
    "Sénégal",
    "migración",
    "migracion laboral",
    "remesas",
    "diáspora",
    "trabajadores temporeros",
    "fortalecimiento de capacidades",
    "Perú",
    "México",
    "orden del día",
    '"migration" AND NOT labour',
    "NEAR(migration labour)",
    "title:migration",
    "migration*",
    "-trafficking",
    "(border) OR (visas)",
    "zzzz nothing matches",
    "quantum chromodynamics",
    "🙂 migration",
]
FILTERS = [
    {},
    {},
    {},
    {"language": "fr"},
    {"language": "es"},
    {"kind": "report"},
    {"kind": "background_paper", "language": "en"},
    {"cycle": None},
    {"offset": 20},
]


def sentence(
    rng: random.Random, words: list[str], cumulative: list[float] | None, length: int
) -> str:
    chosen = rng.choices(words, cum_weights=cumulative, k=length)
    return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + "."


def lexicon(language: str) -> list[str]:
    """The language's words, most frequent first: its real vocabulary, then a long tail
    of made-up words, as in real text where most words are rare."""
    rng = random.Random(f"{SEED}-{language}")  # noqa: S311 - reproducible test data
    syllables = SYLLABLES[language]
    tail: list[str] = []
    seen = set(FUNCTION_WORDS[language] + VOCABULARY[language])
    while len(tail) < TAIL_WORDS:
        word = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            tail.append(word)
    return FUNCTION_WORDS[language] + VOCABULARY[language] + tail


LEXICONS = {language: lexicon(language) for language in VOCABULARY}
CUMULATIVE = {
    language: list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    for language, words in LEXICONS.items()
}


def text_of(rng: random.Random, language: str, n_words: int) -> str:
    """Sentences of words drawn by Zipf's law from the language's lexicon."""
    sentences = []
    total = 0
    while total < n_words:
        length = rng.randint(8, 24)
        sentences.append(sentence(rng, LEXICONS[language], CUMULATIVE[language], length))
        total += length
    return " ".join(sentences)


def language_versions(document, rng, now, *, words: int, drafts: float = 0.0) -> list:
    """Plain-text language versions of `document`: English always, French for about half
    and Spanish for about a third of the documents, each with `words` words of text and
    a `drafts` share left as drafts."""
    from dialogue.documents.models import LanguageVersion

    versions = []
    for language, share in (("en", 1.0), ("fr", 0.5), ("es", 0.3)):
        if rng.random() < share:
            body = text_of(rng, language, words)
            published = not drafts or rng.random() < 1 - drafts
            versions.append(
                LanguageVersion(
                    document=document,
                    language=language,
                    file=f"documents/bench/{document.pk}-{language}",
                    original_name=f"{language}.txt",
                    content_type="text/plain",
                    size=len(body.encode()),
                    checksum="0" * 64,
                    text=body,
                    status="published" if published else "draft",
                    uploaded_at=now,
                )
            )
    return versions


def build(n_documents: int, console) -> dict:
    """Create the documents (directly, as set-up) and build the index; returns timings."""
    from django.db import transaction
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from dialogue.core import clock
    from dialogue.cycles.models import Cycle
    from dialogue.documents import search
    from dialogue.documents.models import Document, LanguageVersion

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data
    cycles = [Cycle.objects.create(year=2001 + n, name_en=f"IDM {2001 + n}") for n in range(10)]
    kinds = [kind.value for kind in Document.Kind]
    now = clock.now()
    batch = 500
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    started = time.perf_counter()
    with (
        transaction.atomic(),
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task("Creating documents", total=n_documents)
        for start in range(0, n_documents, batch):
            documents = []
            for n in range(start, min(start + batch, n_documents)):
                published = rng.random() < 0.8
                documents.append(
                    Document(
                        kind=rng.choice(kinds),
                        title_en=sentence(rng, VOCABULARY["en"], None, 6)[:-1],
                        title_fr=sentence(rng, VOCABULARY["fr"], None, 6)[:-1] if n % 2 else "",
                        title_es=sentence(rng, VOCABULARY["es"], None, 6)[:-1]
                        if n % 3 == 0
                        else "",
                        summary_en=text_of(rng, "en", 40),
                        cycle=rng.choice(cycles),
                        visibility=rng.choice(["public"] * 6 + ["members"] * 3 + ["staff"]),
                        status="published" if published else "draft",
                        published_at=now if published else None,
                    )
                )
            Document.objects.bulk_create(documents)
            versions = [
                version
                for document in documents
                for version in language_versions(document, rng, now, words=350, drafts=0.1)
            ]
            LanguageVersion.objects.bulk_create(versions)
            progress.update(task, advance=len(documents))
    created = time.perf_counter() - started

    started = time.perf_counter()
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Building the search index", total=n_documents)
        search.rebuild_index(progress=lambda done, total: progress.update(task, completed=done))
    indexed = time.perf_counter() - started
    text_bytes = sum(
        len(v.encode()) for v in LanguageVersion.objects.values_list("text", flat=True)
    )
    return {
        "created": created,
        "indexed": indexed,
        "cycles": [cycle.pk for cycle in cycles],
        "text_mb": text_bytes / 1e6,
    }


def viewers():
    from django.contrib.auth.models import AnonymousUser

    from dialogue.members.models import Member, Person, User

    staff = User.objects.create(email="staff@bench.example.org", is_staff=True)
    member = Member.objects.create(
        kind=Member.Kind.MEMBER_STATE, code="CHE", name_en="Switzerland", region="europe"
    )
    account = User.objects.create(email="delegate@bench.example.org")
    Person.objects.create(
        given_name="Bench",
        family_name="Delegate",
        email="delegate@bench.example.org",
        role=Person.Role.DELEGATE,
        delegation=member,
        user=account,
    )
    return [("anonymous", AnonymousUser()), ("delegate", account), ("staff", staff)]


def run_queries(n_queries: int, cycles: list[int]) -> dict:
    from dialogue.documents import search

    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible test data
    users = viewers()
    rare = [
        " ".join(rng.sample(LEXICONS[language][200:1500], rng.randint(1, 2)))
        for language in ("en", "fr", "es")
        for _ in range(10)
    ]
    queries = QUERIES + rare
    plan = []
    for n in range(n_queries):
        filters = dict(FILTERS[n % len(FILTERS)])
        if "cycle" in filters:
            filters["cycle"] = rng.choice(cycles)
        plan.append((queries[n % len(queries)], users[n % len(users)][1], filters))
    for query, user, filters in plan[:10]:
        search.search_documents(user, query, **filters)
    timed = []
    totals = []
    for query, user, filters in plan:
        started = time.perf_counter()
        results = search.search_documents(user, query, **filters)
        timed.append(((time.perf_counter() - started) * 1000, query, filters))
        totals.append(results.total)
    timed.sort(key=lambda entry: entry[0])
    times = [entry[0] for entry in timed]
    slowest_ms, slowest_query, slowest_filters = timed[-1]
    return {
        "queries": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "max_ms": slowest_ms,
        "slowest": f"{slowest_query!r} {slowest_filters or ''}".strip(),
        "mean_hits": statistics.mean(totals),
    }


def child(args) -> int:
    """Run the benchmark on the database of DATABASE_URL; print the figures as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogue.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from rich.console import Console

    console = Console(stderr=True)
    throwaway = connection.vendor != "sqlite"
    if throwaway:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    try:
        figures = {"backend": connection.vendor}
        figures.update(build(args.documents, console))
        if connection.vendor == "postgresql":
            # Statistics as autovacuum would have gathered them after a bulk load.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        figures.update(run_queries(args.queries, figures.pop("cycles")))
    finally:
        if throwaway:
            connection.creation.destroy_test_db(
                connection.settings_dict["NAME"], verbosity=0, keepdb=False
            )
    print(json.dumps(figures))  # noqa: T201
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    command = [
        sys.executable,
        __file__,
        "--child",
        f"--documents={args.documents}",
        f"--queries={args.queries}",
    ]
    results = []
    with tempfile.TemporaryDirectory(prefix="dialogue-bench-") as directory:
        runs = [{"DATABASE_URL": f"sqlite:///{Path(directory) / 'bench.sqlite3'}"}]
        if os.environ.get("DATABASE_URL"):
            runs.append({"DATABASE_URL": os.environ["DATABASE_URL"]})
        for overrides in runs:
            env = {**os.environ, **overrides}
            done = subprocess.run(  # noqa: S603 - this script, with its own arguments
                command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
            )
            if done.returncode:
                sys.stderr.write(f"The benchmark failed on {overrides['DATABASE_URL']}.\n")
                return 2
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    out = sys.stdout
    out.write(
        f"{args.documents:,} documents (English text for each, French for about half, "
        f"Spanish for about a third); {args.queries} queries as anonymous, delegate and "
        f"staff; target: median under {TARGET_MS:g} ms.\n\n"
    )
    out.write(
        f"{'backend':<11} {'text MB':>8} {'create s':>9} {'index s':>8} "
        f"{'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'mean total':>11}\n"
    )
    for r in results:
        out.write(
            f"{r['backend']:<11} {r['text_mb']:>8.1f} {r['created']:>9.1f} {r['indexed']:>8.1f} "
            f"{r['median_ms']:>10.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} "
            f"{r['mean_hits']:>11.0f}\n"
        )
    for r in results:
        out.write(f"slowest query on {r['backend']}: {r['slowest']}\n")
    slow = [r["backend"] for r in results if r["median_ms"] > TARGET_MS]
    if slow:
        out.write(f"\nMedian over the {TARGET_MS:g} ms target: {', '.join(slow)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
