"""Pure rules of outgoing mail: header-safe text and the retry schedule."""

import datetime

from django.conf import settings

DEFAULT_RETRY_DELAYS = (60, 5 * 60, 15 * 60, 60 * 60, 4 * 60 * 60)
DEFAULT_SENDING_LEASE = 10 * 60


def one_line(text: object) -> str:
    """`text` with every run of whitespace (line breaks included) made one space."""
    return " ".join(str(text).split())


def retry_delays() -> list[datetime.timedelta]:
    """The waits before the second, third, ... attempt (setting MAIL_RETRY_DELAYS, seconds)."""
    delays = getattr(settings, "MAIL_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
    return [datetime.timedelta(seconds=int(seconds)) for seconds in delays]


def max_attempts() -> int:
    """How many times a message is tried before it is marked failed."""
    return len(retry_delays()) + 1


def next_attempt(attempts: int, now: datetime.datetime) -> datetime.datetime | None:
    """When to try again after `attempts` failed tries, or None when none is left."""
    delays = retry_delays()
    return now + delays[attempts - 1] if 0 < attempts <= len(delays) else None


def sending_lease() -> datetime.timedelta:
    """How long a worker may take over one attempt before the sweep hands it to another
    (setting MAIL_SENDING_LEASE, seconds; keep it well above EMAIL_TIMEOUT)."""
    return datetime.timedelta(
        seconds=int(getattr(settings, "MAIL_SENDING_LEASE", DEFAULT_SENDING_LEASE))
    )
