"""The demo is loaded once for all the demo tests, then rolled back."""

import pytest
from django.db import transaction
from django.test import override_settings

from dialogue.demo import loader


@pytest.fixture(scope="package")
def media_root(tmp_path_factory):
    """Where the letters of written survey responses are stored during the tests."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="package")
def first_run(django_db_setup, django_db_blocker, media_root):
    """Counts of a first `load_all` on an empty database; everything is rolled back afterwards."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media_root,
        ),
        transaction.atomic(),
    ):
        counts = loader.load_all()
        yield counts
        transaction.set_rollback(True)


@pytest.fixture
def demo_media(settings, media_root):
    """Keep the tests' MEDIA_ROOT on the directory the first run wrote to."""
    settings.MEDIA_ROOT = media_root
    return media_root
