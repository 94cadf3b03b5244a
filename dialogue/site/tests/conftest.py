"""Fixtures of the public website's tests.

Pages are built afresh for every request unless a test turns the page cache on
(`page_cache`), so that what a test changes shows at once and query counts
measure the page itself.
"""

import pytest

from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, PersonFactory


@pytest.fixture(autouse=True)
def _no_page_cache_and_media_in_tmp(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def page_cache(settings):
    """The shared database cache, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dialogue_cache",
        }
    }


@pytest.fixture
def observer_delegate(db):
    """A delegate of an observer State, with a login."""
    observer = MemberFactory(
        code="VAT", name_en="Holy See", kind=Member.Kind.OBSERVER_STATE, region="europe"
    )
    return PersonFactory(delegation=observer, with_account=True)
