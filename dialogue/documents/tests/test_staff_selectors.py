"""The reads behind the secretariat's pages of documents and publication series."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dialogue.core.actors import SYSTEM
from dialogue.cycles import services as cycle_services
from dialogue.documents import selectors, services
from dialogue.documents.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a small PDF for the tests\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _document(**data) -> Document:
    values = {"kind": Document.Kind.REPORT, "title_en": "Report of the workshop", **data}
    return services.document_save(actor=SYSTEM, data=values)


def _upload(document, language="en"):
    return services.version_upload(
        actor=SYSTEM,
        document=document,
        language=language,
        uploaded_file=SimpleUploadedFile("report.pdf", PDF),
    )


def _published(**data) -> Document:
    document = _document(**data)
    services.version_publish(actor=SYSTEM, version=_upload(document))
    return services.document_publish(actor=SYSTEM, document=document)


def test_staff_list_holds_every_status_and_visibility(db):
    draft = _document(title_en="Draft", visibility="staff")
    published = _published(title_en="Published", visibility="members")
    withdrawn = _published(title_en="Withdrawn")
    services.document_withdraw(actor=SYSTEM, document=withdrawn, note="Superseded")

    assert set(selectors.document_staff_list()) == {draft, published, withdrawn}


def test_staff_list_puts_drafts_first_then_the_latest_published(db):
    first = _published(title_en="First published")
    draft = _document(title_en="Still a draft")
    second = _published(title_en="Second published")

    assert list(selectors.document_staff_list()) == [draft, second, first]


def test_staff_list_filters_combine(db):
    cycle = cycle_services.cycle_save(actor=SYSTEM, data={"year": 2008})
    wanted = _document(title_en="Workshop report", cycle=cycle, visibility="members")
    _document(title_en="Workshop report", visibility="members")
    _document(title_en="Workshop report", cycle=cycle, visibility="public")
    _document(title_en="Background paper", cycle=cycle, visibility="members")

    found = selectors.document_staff_list(cycle=cycle, visibility="members", text="report")

    assert list(found) == [wanted]


def test_staff_list_finds_a_title_in_any_language_whatever_its_case(db):
    french = _document(title_en="Remittances", title_fr="Les envois de fonds")
    spanish = _document(title_en="Return", title_es="Migración de retorno")
    _document(title_en="Labour mobility")

    assert list(selectors.document_staff_list(text="ENVOIS")) == [french]
    assert list(selectors.document_staff_list(text="retorno")) == [spanish]
    assert set(selectors.document_staff_list(text="  ")) == set(Document.objects.all())


def test_staff_list_loads_versions_and_series_in_a_fixed_number_of_queries(
    db, django_assert_num_queries
):
    series = services.series_create(actor=SYSTEM, name_en="IDM Series")
    for number in range(4):
        document = _document(title_en=f"Paper {number}")
        _upload(document, "en")
        _upload(document, "fr")
        services.document_assign_next_number(actor=SYSTEM, document=document, series=series)

    with django_assert_num_queries(2):
        rows = [
            (d.series.name, d.cycle, d.event, [v.language for v in d.versions.all()])
            for d in selectors.document_staff_list()
        ]

    assert len(rows) == 4
    assert all(languages == ["en", "fr"] for *_, languages in rows)


def test_document_for_staff_gives_any_document_or_does_not_exist(db):
    draft = _document(visibility="staff")
    _upload(draft)

    found = selectors.document_for_staff(draft.pk)

    assert found == draft
    assert [v.language for v in found.versions.all()] == ["en"]
    with pytest.raises(Document.DoesNotExist):
        selectors.document_for_staff(draft.pk + 1)


def test_history_holds_the_document_and_its_versions_only(db):
    document = _document()
    version = _upload(document)
    services.version_publish(actor=SYSTEM, version=version)
    other = _document(title_en="Another document")
    _upload(other)

    history = list(selectors.document_history(document))

    assert [(e.object_type, e.action) for e in history] == [
        ("documents.languageversion", "update"),
        ("documents.languageversion", "create"),
        ("documents.document", "create"),
    ]
    assert all(e.object_id in (str(document.pk), str(version.pk)) for e in history)


def test_series_list_gives_each_series_its_documents_in_number_order(db, django_assert_num_queries):
    idm = services.series_create(actor=SYSTEM, name_en="International Dialogue on Migration")
    training = services.series_create(actor=SYSTEM, name_en="Capacity building", next_number=7)
    first, second = _document(title_en="First"), _document(title_en="Second")
    services.document_assign_next_number(actor=SYSTEM, document=second, series=idm)
    services.document_assign_next_number(actor=SYSTEM, document=first, series=idm)

    with django_assert_num_queries(2):
        rows = [(s, list(s.documents.all())) for s in selectors.series_list()]

    assert rows == [(training, []), (idm, [second, first])]
