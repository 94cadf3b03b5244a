import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile

from dialogue.core import clock
from dialogue.documents import selectors
from dialogue.documents.models import Document, LanguageVersion
from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import MemberFactory, PersonFactory, UserFactory

VISIBILITIES = [v.value for v in Document.Visibility]
STATUSES = [Document.Status.DRAFT, Document.Status.PUBLISHED]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _make(visibility: str, status: str, version_status=LanguageVersion.Status.PUBLISHED):
    """A document with one English file, written directly for set-up."""
    document = Document.objects.create(
        kind=Document.Kind.REPORT,
        title_en=f"{visibility} {status}",
        visibility=visibility,
        status=status,
        published_at=clock.now() if status == Document.Status.PUBLISHED else None,
    )
    version = LanguageVersion(
        document=document,
        language="en",
        original_name="report.txt",
        content_type="text/plain",
        size=5,
        checksum="0" * 64,
        status=version_status,
        uploaded_at=clock.now(),
    )
    version.file.save("upload", ContentFile(b"words"), save=False)
    version.save()
    return document


@pytest.fixture
def documents(db):
    return {
        (visibility, status): _make(visibility, status)
        for visibility, status in itertools.product(VISIBILITIES, STATUSES)
    }


def _seen(user, documents) -> set[tuple[str, str]]:
    visible = set(selectors.documents_visible_to(user))
    return {key for key, document in documents.items() if document in visible}


PUBLISHED = Document.Status.PUBLISHED


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", {("public", PUBLISHED)}),
        ("account_without_delegation", {("public", PUBLISHED)}),
        ("delegate", {("public", PUBLISHED), ("members", PUBLISHED)}),
        ("focal_point", {("public", PUBLISHED), ("members", PUBLISHED)}),
        ("staff", set(itertools.product(VISIBILITIES, STATUSES))),
    ],
)
def test_documents_visible_to(request, documents, viewer, expected):
    users = {
        "anonymous": lambda: AnonymousUser(),
        "account_without_delegation": lambda: UserFactory(),
        "delegate": lambda: request.getfixturevalue("delegate").user,
        "focal_point": lambda: request.getfixturevalue("focal_point").user,
        "staff": lambda: request.getfixturevalue("staff_user"),
    }
    assert _seen(users[viewer](), documents) == expected


@pytest.mark.parametrize(
    "person_kwargs",
    [
        {"is_active": False},
        {"role": Person.Role.EXPERT, "delegation": None},
    ],
)
def test_inactive_delegate_or_expert_sees_only_public_documents(documents, person_kwargs):
    person = PersonFactory(with_account=True, **person_kwargs)
    assert _seen(person.user, documents) == {("public", PUBLISHED)}


def test_delegate_of_a_member_that_left_sees_only_public_documents(documents):
    member = MemberFactory(code="PER", status=Member.Status.LEFT)
    person = PersonFactory(with_account=True, delegation=member)
    assert _seen(person.user, documents) == {("public", PUBLISHED)}


def test_delegate_with_a_disabled_account_sees_only_public_documents(documents, delegate):
    delegate.user.is_active = False
    delegate.user.save()
    assert _seen(delegate.user, documents) == {("public", PUBLISHED)}


def test_withdrawn_document_is_seen_by_staff_only(db, staff_user, delegate):
    document = _make("public", Document.Status.WITHDRAWN)
    assert document not in selectors.documents_visible_to(AnonymousUser())
    assert document not in selectors.documents_visible_to(delegate.user)
    assert document in selectors.documents_visible_to(staff_user)


def test_visible_documents_carry_only_downloadable_versions(db, staff_user):
    document = _make("public", PUBLISHED)
    LanguageVersion.objects.create(
        document=document,
        language="fr",
        file="documents/x/fr",
        original_name="rapport.txt",
        content_type="text/plain",
        size=1,
        checksum="1" * 64,
        uploaded_at=clock.now(),
    )
    (seen,) = selectors.documents_visible_to(AnonymousUser())
    assert [v.language for v in seen.versions.all()] == ["en"]
    (seen,) = selectors.documents_visible_to(staff_user)
    assert [v.language for v in seen.versions.all()] == ["en", "fr"]


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", {("public", PUBLISHED)}),
        ("delegate", {("public", PUBLISHED), ("members", PUBLISHED)}),
        ("staff", set(itertools.product(VISIBILITIES, STATUSES))),
    ],
)
def test_version_for_download_follows_document_visibility(request, documents, viewer, expected):
    user = (
        AnonymousUser()
        if viewer == "anonymous"
        else (request.getfixturevalue("staff_user"))
        if viewer == "staff"
        else request.getfixturevalue("delegate").user
    )
    allowed = set()
    for key, document in documents.items():
        try:
            selectors.version_for_download(user, document.versions.get().pk)
        except LanguageVersion.DoesNotExist:
            continue
        allowed.add(key)
    assert allowed == expected


def test_draft_version_of_a_published_document_is_for_staff_only(db, staff_user, delegate):
    document = _make("public", PUBLISHED, version_status=LanguageVersion.Status.DRAFT)
    version = document.versions.get()
    for user in (AnonymousUser(), delegate.user):
        with pytest.raises(LanguageVersion.DoesNotExist):
            selectors.version_for_download(user, version.pk)
    assert selectors.version_for_download(staff_user, version.pk) == version


@pytest.mark.parametrize("version_id", ["abc", None, "1 OR 1=1", 10**12])
def test_version_for_download_with_a_bad_id_is_not_found(db, staff_user, version_id):
    with pytest.raises(LanguageVersion.DoesNotExist):
        selectors.version_for_download(staff_user, version_id)
