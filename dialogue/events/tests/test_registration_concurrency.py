"""Simultaneous registrations, each from its own thread and database connection.

PostgreSQL only: these tests need real concurrent transactions and row locks, and they
commit, so the database is emptied afterwards with TRUNCATE.
"""

import datetime
import threading

import pytest
from django.db import connection

from dialogue.core import clock
from dialogue.core.errors import DomainError
from dialogue.events import registration as services
from dialogue.events.models import Event, Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.members.tests.factories import MemberFactory, PersonFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 30
CAPACITY = 10


def _run_at_once(work, count=THREADS):
    """Run `work(i)` in `count` threads released together; each closes its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a registration never finished"
    return results, errors


def _event(**fields) -> Event:
    start = clock.today() + datetime.timedelta(days=60)
    return EventFactory(
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        year=start.year,
        start_date=start,
        capacity=CAPACITY,
        **fields,
    )


def test_thirty_persons_registering_at_once_never_exceed_the_capacity():
    event = _event()
    member = MemberFactory(code="CHE")
    persons = [PersonFactory(delegation=member, with_account=True) for _ in range(THREADS)]

    def register(index):
        person = persons[index]
        return services.registration_create(actor=person.user, event=event, person=person).status

    results, errors = _run_at_once(register)

    assert errors == []
    assert sorted(results).count(Registration.Status.REGISTERED) == CAPACITY
    stored = Registration.objects.filter(event=event)
    assert stored.filter(status=Registration.Status.REGISTERED).count() == CAPACITY
    assert stored.filter(status=Registration.Status.WAITING).count() == THREADS - CAPACITY
    positions = sorted(
        services.waiting_position(r) for r in stored.filter(status=Registration.Status.WAITING)
    )
    assert positions == list(range(1, THREADS - CAPACITY + 1))


def test_one_person_registered_thirty_times_at_once_has_one_registration():
    event = _event()
    person = PersonFactory(delegation=MemberFactory(code="SEN"), with_account=True)

    def register(_index):
        try:
            return services.registration_create(actor=person.user, event=event, person=person).pk
        except DomainError as error:
            return error.code

    results, errors = _run_at_once(register)

    assert errors == []
    assert Registration.objects.filter(event=event).count() == 1
    assert results.count("already_registered") == THREADS - 1


def test_cancellations_and_registrations_at_once_keep_the_places_filled_and_never_over():
    event = _event()
    member = MemberFactory(code="MEX")
    holders = [PersonFactory(delegation=member, with_account=True) for _ in range(CAPACITY)]
    places = [services.registration_create(actor=p.user, event=event, person=p) for p in holders]
    newcomers = [PersonFactory(delegation=member, with_account=True) for _ in range(20)]

    def act(index):
        if index < CAPACITY:
            services.registration_cancel(actor=holders[index].user, registration=places[index])
            return "cancelled"
        person = newcomers[index - CAPACITY]
        return services.registration_create(actor=person.user, event=event, person=person).status

    _results, errors = _run_at_once(act)

    assert errors == []
    current = Registration.objects.filter(event=event)
    assert current.filter(status=Registration.Status.REGISTERED).count() == CAPACITY
    assert current.filter(status=Registration.Status.WAITING).count() == 20 - CAPACITY
    assert current.filter(status=Registration.Status.CANCELLED).count() == CAPACITY
