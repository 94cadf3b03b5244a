import pytest
from django.contrib.auth.models import AnonymousUser

from dialogue.cycles.tests.factories import CycleFactory
from dialogue.documents import selectors
from dialogue.documents.models import Document
from dialogue.events.tests.factories import EventFactory
from dialogue.site.tests.document_factories import make_document, make_series

pytestmark = pytest.mark.django_db

PUBLIC = Document.Visibility.PUBLIC
MEMBERS = Document.Visibility.MEMBERS
STAFF = Document.Visibility.STAFF


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_public_documents_hold_only_published_public_documents():
    public = make_document()
    make_document(visibility=MEMBERS)
    make_document(visibility=STAFF)
    make_document(status=Document.Status.DRAFT)
    make_document(status=Document.Status.WITHDRAWN)
    assert list(selectors.public_documents()) == [public]


def test_documents_for_event_are_the_events_visible_documents(delegate):
    event = EventFactory()
    public = make_document(event=event)
    members = make_document(event=event, visibility=MEMBERS)
    make_document(event=EventFactory())
    assert set(selectors.documents_for_event(AnonymousUser(), event)) == {public}
    assert set(selectors.documents_for_event(delegate.user, event)) == {public, members}


def test_latest_publications_are_published_latest_first_even_for_staff(staff_user):
    older, newer = make_document(), make_document()
    make_document(status=Document.Status.DRAFT)
    assert selectors.latest_publications(staff_user, 5) == [newer, older]
    assert selectors.latest_publications(AnonymousUser(), 1) == [newer]


def test_document_list_filters_by_series_kind_and_cycle():
    series, cycle = make_series(), CycleFactory()
    numbered = [make_document(series=series, series_number=n) for n in (10, 11)]
    note = make_document(kind=Document.Kind.DISCUSSION_NOTE, cycle=cycle)
    anonymous = AnonymousUser()
    assert list(selectors.document_list(anonymous, series=series)) == numbered[::-1]
    assert list(selectors.document_list(anonymous, kind=Document.Kind.DISCUSSION_NOTE)) == [note]
    assert list(selectors.documents_for_cycle(anonymous, cycle)) == [note]


def test_series_with_documents_lists_only_series_with_something_visible(delegate):
    shown, members_only, _empty = make_series("IDM Series"), make_series("Notes"), make_series("X")
    make_document(series=shown, series_number=1)
    make_document(series=members_only, series_number=1, visibility=MEMBERS)
    assert list(selectors.series_with_documents(AnonymousUser())) == [shown]
    assert list(selectors.series_with_documents(delegate.user)) == [shown, members_only]


def test_document_get_refuses_what_the_viewer_may_not_see_and_bad_ids(delegate):
    members = make_document(visibility=MEMBERS)
    assert selectors.document_get(delegate.user, members.pk) == members
    for value in (members.pk, "abc", None):
        with pytest.raises(Document.DoesNotExist):
            selectors.document_get(AnonymousUser(), value)
