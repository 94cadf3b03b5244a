"""The one place the current time comes from, so rules can be given `now` explicitly."""

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    """The current instant, timezone-aware, in UTC."""
    return timezone.now()


def today() -> datetime.date:
    """Today's date in the project's time zone (Geneva)."""
    return timezone.localdate()
