"""Pure survey rules: they take the time as an argument and touch no database."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

DEFAULT_WINDOW = datetime.timedelta(days=14)
DEFAULT_REMINDER_DAYS = (7, 2)


@dataclass(frozen=True)
class Window:
    status: str
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None


def refusal(window: Window, now: datetime.datetime) -> str | None:
    """Why a response cannot be accepted at `now`, or None when it can.

    A survey accepts responses from its opening instant (included) to its closing
    instant (excluded), and only while published.
    """
    if window.status == "draft" or window.opens_at is None or window.closes_at is None:
        return _("This survey has not been published.")
    if window.status in ("closed", "results_published"):
        return _("This survey is closed: no response can be accepted.")
    if now < window.opens_at:
        return _("This survey is not open yet.")
    if now >= window.closes_at:
        return _("This survey closed at %(closes)s UTC: no response can be accepted.") % {
            "closes": window.closes_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        }
    return None


def check_choices(
    kind: str, max_choices: int, option_ids: list[int], valid: set[int]
) -> str | None:
    """Why a list of chosen or ranked options is not a valid answer, or None if it is.

    For a ranking the list is in order of preference; for the other kinds it is a set.
    """
    if len(set(option_ids)) != len(option_ids):
        return _("An option appears more than once.")
    unknown = [o for o in option_ids if o not in valid]
    if unknown:
        return _("Option %(option)s is not an option of this question.") % {"option": unknown[0]}
    if kind == "choose_one" and len(option_ids) > 1:
        return _("Choose only one option.")
    if len(option_ids) > max_choices:
        return _("Choose at most %(k)d options.") % {"k": max_choices}
    return None


def reminder_due(closes_at: datetime.datetime, days_before: int, now: datetime.datetime) -> bool:
    """True once the reminder `days_before` the close is due and the survey is still open."""
    return closes_at - datetime.timedelta(days=days_before) <= now < closes_at
