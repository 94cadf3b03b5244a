"""Pure event rules: how a date known only to some precision is written, and checked."""

import datetime
import re

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

SEASONS = ("spring", "summer", "autumn", "winter")
DAY_FORMATS = {"en": "j F Y", "fr": "j F Y", "es": r"j \d\e F \d\e Y"}
MONTH_FORMATS = {"en": "F Y", "fr": "F Y", "es": r"F \d\e Y"}


def _day(value: datetime.date, language: str) -> str:
    pattern = DAY_FORMATS.get(language, DAY_FORMATS["en"])
    if language == "fr" and value.day == 1:
        pattern = r"j\e\r F Y"
    return formats.date_format(value, pattern)


def _first_day(value: datetime.date, language: str) -> str:
    return "1er" if language == "fr" and value.day == 1 else str(value.day)


def _spanish_or(text: str) -> str:
    """Spanish writes "u" instead of "o" before a word starting with an o sound."""
    return re.sub(r"\bo (?=h?[oó])", "u ", text)


def _season_name(season: str) -> str:
    names = {
        "spring": pgettext("season", "spring"),
        "summer": pgettext("season", "summer"),
        "autumn": pgettext("season", "autumn"),
        "winter": pgettext("season", "winter"),
    }
    return names[season]


# The years an event's dates may fall in: wide enough for any real dialogue, narrow
# enough that every date can be shifted by a time zone and a day and still be a date.
FIRST_YEAR = 1950
LAST_YEAR = 2200


def check_dates(
    *,
    precision: str,
    year: int | None,
    month: int | None,
    seasons: list[str],
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
) -> tuple[str, str] | None:
    """(field, message) of the first problem with an event's dates, or None if they hold."""
    if precision == "day":
        if start_date is None:
            return "start_date", _("Give the first day.")
        for field, day in (("start_date", start_date), ("end_date", end_date)):
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                return field, _("Give a day between the years %(first)d and %(last)d.") % {
                    "first": FIRST_YEAR,
                    "last": LAST_YEAR,
                }
        if end_date is not None and end_date < start_date:
            return "end_date", _("The event cannot end before it starts.")
        if (
            start_time
            and end_time
            and (end_date is None or end_date == start_date)
            and end_time <= start_time
        ):
            return "end_time", _("The event cannot end before it starts.")
        return None
    if precision in ("month", "season", "year") and not year:
        return "year", _("Give the year.")
    if precision in ("month", "season", "year") and not FIRST_YEAR <= year <= LAST_YEAR:
        return "year", _("Give a year between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if precision == "month" and not (month and 1 <= month <= 12):
        return "month", _("Give the month.")
    valid_seasons = (
        bool(seasons) and len(set(seasons)) == len(seasons) and set(seasons) <= set(SEASONS)
    )
    if precision == "season" and not valid_seasons:
        return "seasons", _("Give one or more seasons: spring, summer, autumn or winter.")
    if precision not in ("day", "month", "season", "year", "tbd"):
        return "precision", _("Unknown precision.")
    return None


def describe_dates(
    *,
    precision: str,
    year: int | None,
    month: int | None,
    seasons: list[str],
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    language: str | None = None,
) -> str:
    """The event's dates as precisely as they are known, and never more precisely.

    "18-19 June 2007" (with an en dash), "October 2007", "summer or autumn 2007", "2008", or
    "Date to be determined", in the given (or active) language.
    """
    language = (language or translation.get_language() or "en")[:2]
    with translation.override(language):
        if precision == "day" and start_date:
            if not end_date or end_date == start_date:
                return _day(start_date, language)
            if (start_date.year, start_date.month) == (end_date.year, end_date.month):
                return _("%(first)s–%(last)s") % {  # noqa: RUF001 (an en dash between days)
                    "first": _first_day(start_date, language),
                    "last": _day(end_date, language),
                }
            return _("%(first)s to %(last)s") % {
                "first": _day(start_date, language),
                "last": _day(end_date, language),
            }
        if precision == "month" and year and month:
            return formats.date_format(
                datetime.date(year, month, 1), MONTH_FORMATS.get(language, MONTH_FORMATS["en"])
            )
        if precision == "season" and year and seasons:
            names = [_season_name(s) for s in seasons]
            joined = (
                names[0]
                if len(names) == 1
                else _("%(first)s or %(last)s")
                % {
                    "first": ", ".join(names[:-1]),
                    "last": names[-1],
                }
            )
            text = _("%(seasons)s %(year)d") % {"seasons": joined, "year": year}
            return _spanish_or(text) if language == "es" else text
        if precision == "year" and year:
            return str(year)
        return _("Date to be determined")
