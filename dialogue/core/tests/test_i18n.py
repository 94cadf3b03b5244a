import pytest
from django.utils import translation

from dialogue.core.i18n import is_fallback, localized
from dialogue.members.models import Member

pytestmark = pytest.mark.django_db


def _member(**names):
    return Member(kind="observer_organization", code="ORG", region="international", **names)


def test_content_follows_the_active_language():
    member = _member(name_en="Order of Malta", name_fr="Ordre de Malte", name_es="Orden de Malta")
    with translation.override("fr"):
        assert member.name == "Ordre de Malte"
    with translation.override("es"):
        assert member.name == "Orden de Malta"


def test_missing_translation_falls_back_to_english():
    member = _member(name_en="Order of Malta", name_fr="", name_es="")
    with translation.override("es"):
        assert localized(member, "name") == "Order of Malta"
        assert is_fallback(member, "name")
    with translation.override("en"):
        assert not is_fallback(member, "name")


def test_fallback_text_is_marked_as_english_in_pages(client):
    Member.objects.create(
        kind="observer_organization", code="ORG", region="international", name_en="Only English"
    )
    page = client.get("/fr/members/").content.decode()
    assert '<span lang="en">Only English</span>' in page


def test_unsupported_language_falls_back_to_english():
    member = _member(name_en="Order of Malta", name_fr="Ordre de Malte")
    with translation.override("de"):
        assert member.name == "Order of Malta"
