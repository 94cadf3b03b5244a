"""The shared rate limiter: fixed windows counted in the database, one statement a request."""

import datetime
import threading

import pytest
from django.db import connection, transaction

from dialogue.core import ratelimit
from dialogue.core.models import AuditEntry, RateCounter

pytestmark = pytest.mark.django_db

# 12:00:10 UTC: 10 s into a one-minute window, 10 s into a one-hour window.
T0 = datetime.datetime(2008, 3, 5, 12, 0, 10, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.RATE_LIMITS = {"test": (3, 60), "hourly": (2, 3600), "off": None}
    settings.RATE_LIMIT_FACTOR = 1
    return settings


def _allowed(*counters, now=T0, actor=None) -> list[bool]:
    return [ratelimit.hit(counter, actor=actor, now=now).allowed for counter in counters]


def test_a_limit_of_n_allows_n_requests_and_refuses_the_next():
    assert _allowed(*[("test", "user:1")] * 5) == [True, True, True, False, False]


def test_each_request_is_told_how_many_remain():
    remaining = [ratelimit.hit(("test", "user:1"), now=T0).remaining for _ in range(4)]
    assert remaining == [2, 1, 0, 0]


def test_another_key_or_scope_is_not_affected():
    _allowed(*[("test", "user:1")] * 4)
    assert _allowed(("test", "user:2"), ("hourly", "user:1")) == [True, True]
    assert _allowed(("test", "user:1")) == [False]


def test_a_new_window_starts_from_zero():
    _allowed(*[("test", "user:1")] * 4)
    last_second = T0 + 49 * SECOND  # 12:00:59
    assert _allowed(("test", "user:1"), now=last_second) == [False]
    next_window = T0 + 50 * SECOND  # 12:01:00
    assert _allowed(*[("test", "user:1")] * 4, now=next_window) == [True, True, True, False]


def test_a_refusal_says_how_many_seconds_until_the_window_ends():
    _allowed(*[("test", "user:1")] * 3)
    decision = ratelimit.hit(("test", "user:1"), now=T0)
    assert (decision.allowed, decision.retry_after) == (False, 50)
    assert ratelimit.hit(("test", "user:1"), now=T0 + 49.5 * SECOND).retry_after == 1
    assert ratelimit.hit(("test", "user:1"), now=T0).retry_after == 50


def test_enforce_raises_a_domain_error_with_the_wait_in_its_message():
    for _ in range(3):
        ratelimit.enforce(("test", "user:1"), now=T0)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.enforce(("test", "user:1"), now=T0)
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 50
    assert caught.value.message == "Too many requests in a short time; try again in 50 seconds."


def test_a_long_wait_is_told_in_minutes():
    _allowed(*[("hourly", "user:1")] * 2)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.enforce(("hourly", "user:1"), now=T0)
    assert caught.value.retry_after == 3590
    assert "try again in 60 minutes" in caught.value.message


def test_a_request_counted_against_several_limits_is_refused_when_one_is_exceeded():
    _allowed(*[("hourly", "user:1")] * 2)
    decision = ratelimit.hit(("test", "user:1"), ("hourly", "user:1"), now=T0)
    assert not decision.allowed
    assert decision.refused_scopes == ["hourly"]
    assert decision.retry_after == 3590
    assert RateCounter.objects.get(scope="test").hits == 1


def test_counting_against_several_limits_takes_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        ratelimit.hit(("test", "user:1"), ("hourly", "user:1"), ("test", "member:4"), now=T0)
    assert RateCounter.objects.count() == 3


def test_a_scope_set_to_none_or_missing_is_neither_limited_nor_counted(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        assert _allowed(*[("off", "user:1")] * 10, ("unknown", "user:1")) == [True] * 11
    assert not RateCounter.objects.exists()


def test_the_factor_multiplies_every_limit(limits):
    limits.RATE_LIMIT_FACTOR = 2
    assert _allowed(*[("test", "user:1")] * 7) == [True] * 6 + [False]


def test_only_the_first_refusal_of_a_window_is_audited(staff_user):
    _allowed(*[("test", "user:1")] * 10, actor=staff_user)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RATE_LIMITED)
    assert (entry.actor, entry.object_id, entry.object_repr) == (staff_user, "user:1", "test")
    assert entry.note == "more than 3 requests in 60 s"
    _allowed(*[("test", "user:1")] * 4, now=T0 + 60 * SECOND)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RATE_LIMITED).count() == 2


def test_an_anonymous_refusal_is_audited_as_anonymous():
    _allowed(*[("test", "ip:192.0.2.1")] * 4)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RATE_LIMITED)
    assert (entry.actor, entry.actor_label) == (None, "anonymous")


def test_a_refusal_is_logged_once_per_window(caplog, staff_user):
    with caplog.at_level("WARNING", logger="dialogue.ratelimit"):
        _allowed(*[("test", "user:1")] * 6, actor=staff_user)
    assert len(caplog.records) == 1
    assert "Rate limit test exceeded by" in caplog.records[0].getMessage()


def test_purge_deletes_the_windows_that_have_ended_only():
    _allowed(("test", "user:1"), ("hourly", "user:1"))
    assert ratelimit.purge(now=T0 + 50 * SECOND) == 1
    assert list(RateCounter.objects.values_list("scope", flat=True)) == ["hourly"]


def test_every_thousandth_hit_of_a_process_purges_old_windows(monkeypatch):
    monkeypatch.setattr(ratelimit, "PURGE_EVERY", 2)
    _allowed(("test", "user:old"), now=T0 - 3600 * SECOND)
    _allowed(("test", "user:1"), ("test", "user:2"))
    assert set(RateCounter.objects.values_list("key", flat=True)) == {"user:1", "user:2"}


def test_an_overlong_key_is_cut_to_the_column():
    long_key = "ip:" + "f" * 300
    assert _allowed(*[("test", long_key)] * 4) == [True, True, True, False]
    assert RateCounter.objects.get().key == long_key[:150]


@pytest.mark.django_db(transaction=True)
def test_a_count_made_before_a_failing_transaction_stays():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ratelimit.hit(("test", "user:1"), now=T0)
        1 / 0  # noqa: B018
    assert not RateCounter.objects.exists(), "inside the transaction the count rolls back"
    ratelimit.hit(("test", "user:1"), now=T0)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        1 / 0  # noqa: B018
    assert RateCounter.objects.get().hits == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_threads_hitting_at_once_are_allowed_exactly_the_limit(limits):
    threads, per_thread, limit = 20, 10, 50
    limits.RATE_LIMITS = {"test": (limit, 60), "other": (limit, 60)}
    barrier = threading.Barrier(threads)
    decisions: list[ratelimit.Decision] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=30)
            for _ in range(per_thread):
                decisions.append(ratelimit.hit(("test", "user:1"), ("other", "user:1"), now=T0))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    assert len(decisions) == threads * per_thread
    assert sum(decision.allowed for decision in decisions) == limit
    for scope in ("test", "other"):
        seen = sorted(c.hits for d in decisions for c in d.counts if c.scope == scope)
        assert seen == list(range(1, threads * per_thread + 1)), "a count was lost or repeated"
        assert RateCounter.objects.get(scope=scope).hits == threads * per_thread
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RATE_LIMITED).count() == 2
