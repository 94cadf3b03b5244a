import datetime

import pytest

from dialogue.documents.models import Document
from dialogue.events.models import Event, Registration
from dialogue.events.registration_tasks import follow_up_message
from dialogue.events.tests.factories import EventFactory
from dialogue.members.tests.factories import MemberFactory, PersonFactory
from dialogue.site.tests.document_factories import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _registration(event, language="en") -> Registration:
    person = PersonFactory(delegation=MemberFactory(code="CIV"), preferred_language=language)
    now = datetime.datetime(2007, 10, 1, tzinfo=datetime.UTC)
    return Registration.objects.create(
        event=event,
        person=person,
        status=Registration.Status.REGISTERED,
        affiliation="Permanent Mission of Côte d'Ivoire",
        affiliation_kind=Registration.AffiliationKind.GOVERNMENT,
        registered_at=now,
        changed_at=now,
    )


def test_follow_up_lists_the_published_public_materials_with_their_links(settings):
    event = EventFactory(dated=True, status=Event.Status.HELD)
    report = make_document(event=event, title_en="Seminar report", title_fr="Rapport du séminaire")
    elsewhere = make_document(
        event=event,
        title_en="Keynote",
        kind=Document.Kind.PRESENTATION,
        external_url="https://www.example.org/keynote.pdf",
        languages=(),
    )

    message = follow_up_message(_registration(event, language="fr"))

    site = settings.SITE_URL.rstrip("/")
    assert "Rapport du séminaire" in message.body
    assert f"{site}/fr/publications/{report.pk}/" in message.body
    assert "Keynote" in message.body
    assert elsewhere.external_url in message.body


def test_follow_up_never_lists_members_only_draft_or_withdrawn_documents():
    event = EventFactory(dated=True, status=Event.Status.HELD)
    make_document(event=event, title_en="Members note", visibility=Document.Visibility.MEMBERS)
    make_document(event=event, title_en="Staff memo", visibility=Document.Visibility.STAFF)
    make_document(event=event, title_en="Draft report", status=Document.Status.DRAFT)
    make_document(event=event, title_en="Old report", status=Document.Status.WITHDRAWN)
    make_document(title_en="Another event's report", event=EventFactory())

    body = follow_up_message(_registration(event)).body

    for title in ("Members note", "Staff memo", "Draft report", "Old report", "Another event"):
        assert title not in body
    assert "Published so far" not in body
    assert "published on its page as they become available" in body
