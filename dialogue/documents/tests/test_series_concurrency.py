"""Documents numbered in one series at the same moment, each from its own thread and
database connection.

PostgreSQL only: this needs real concurrent transactions and row locks, and it commits,
so the database is emptied afterwards with TRUNCATE.
"""

import threading

import pytest
from django.db import connection

from dialogue.documents import services
from dialogue.documents.models import Document, PublicationSeries
from dialogue.members.tests.factories import StaffUserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def test_twenty_reports_numbered_at_once_take_twenty_distinct_numbers_in_order():
    staff = StaffUserFactory()
    series = services.series_create(actor=staff, name_en="IDM Series", next_number=7)
    documents = [
        services.document_save(
            actor=staff, data={"kind": Document.Kind.REPORT, "title_en": f"Report {i}"}
        )
        for i in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS)
    numbers: list[int | None] = [None] * THREADS
    errors: list[BaseException] = []

    def number(index):
        try:
            barrier.wait(timeout=30)
            numbered = services.document_assign_next_number(
                actor=staff, document=documents[index], series=series
            )
            numbers[index] = numbered.series_number
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=number, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(numbers) == list(range(7, 7 + THREADS))
    stored = Document.objects.filter(series=series).values_list("series_number", flat=True)
    assert sorted(stored) == list(range(7, 7 + THREADS))
    assert PublicationSeries.objects.get(pk=series.pk).next_number == 7 + THREADS


def test_one_report_numbered_twice_at_once_keeps_a_single_number():
    staff = StaffUserFactory()
    series = services.series_create(actor=staff, name_en="IDM Series")
    document = services.document_save(
        actor=staff, data={"kind": Document.Kind.REPORT, "title_en": "Report"}
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def number():
        try:
            barrier.wait(timeout=30)
            services.document_assign_next_number(actor=staff, document=document, series=series)
            outcomes.append("numbered")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=number) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["DomainError", "numbered"]
    document.refresh_from_db()
    assert document.series_number == 1
    assert PublicationSeries.objects.get(pk=series.pk).next_number == 2
