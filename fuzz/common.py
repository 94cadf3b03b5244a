"""What the fuzz targets share: the project's settings, loaded once, and the languages.

A target script is run directly (`python fuzz/fuzz_note.py -runs=1000`), so this module is
imported as `common`. No target opens a database: the one configured is SQLite in memory.
"""

import os

LANGUAGES = ("en", "fr", "es")


def setup_django() -> None:
    """Load Django with the development settings and an in-memory database.

    Called inside `atheris.instrument_imports()`, so that the project's modules Django
    imports while it sets up are instrumented.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "dialogue.settings"
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ.pop("DIALOGUE_ENV", None)

    import django

    django.setup()
