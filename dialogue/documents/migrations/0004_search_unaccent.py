"""On PostgreSQL, search ignores accents as it does on SQLite: "evolution" finds
"évolution", "migracion" finds "migración".

Each language gets its own text search configuration (dialogue_english, dialogue_french,
dialogue_spanish), a copy of PostgreSQL's with the unaccent dictionary before the stemmer,
and the generated search column is rebuilt with them. Where the unaccent extension cannot
be created (a database user without the right to), the configurations are plain copies:
search then works as before, with accents.
"""

from django.db import migrations, transaction

LANGUAGES = (("en", "english"), ("fr", "french"), ("es", "spanish"))


def _column(prefix: str) -> str:
    config = (
        f"CASE language WHEN 'fr' THEN '{prefix}french'::regconfig "
        f"WHEN 'es' THEN '{prefix}spanish'::regconfig ELSE '{prefix}english'::regconfig END"
    )
    return f"""
    ALTER TABLE documents_searchentry ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector({config}, coalesce(title, '')), 'A')
        || setweight(to_tsvector({config}, coalesce(summary, '')), 'B')
        || setweight(to_tsvector({config}, coalesce(body, '')), 'C')
    ) STORED
    """


def _rebuild_column(schema_editor, prefix: str) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS documents_searchentry_vector")
    schema_editor.execute("ALTER TABLE documents_searchentry DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(_column(prefix))
    schema_editor.execute(
        "CREATE INDEX documents_searchentry_vector ON documents_searchentry "
        "USING GIN (search_vector)"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        unaccent = True
    except Exception:  # noqa: BLE001 - no right to create it: search keeps its accents
        unaccent = False
    for _code, name in LANGUAGES:
        schema_editor.execute(
            f"CREATE TEXT SEARCH CONFIGURATION dialogue_{name} (COPY = pg_catalog.{name})"
        )
        if unaccent:
            schema_editor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION dialogue_{name} "
                f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {name}_stem"
            )
    _rebuild_column(schema_editor, "dialogue_")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _rebuild_column(schema_editor, "")
    for _code, name in LANGUAGES:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS dialogue_{name}")


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_note_draft")]
    operations = [migrations.RunPython(forward, backward)]
