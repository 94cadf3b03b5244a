"""An event's dates in English, French and Spanish, as precisely as they are known.

The expected texts are written out by hand: they are what a reader of each language
should see, not what the code happens to produce.
"""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from dialogue.events.models import Event
from dialogue.events.selectors import dates_text

DAY = {"precision": "day", "start_date": datetime.date(2007, 6, 18)}
SAME_MONTH = {
    "precision": "day",
    "start_date": datetime.date(2007, 6, 18),
    "end_date": datetime.date(2007, 6, 19),
}
CROSS_MONTH = {
    "precision": "day",
    "start_date": datetime.date(2007, 6, 30),
    "end_date": datetime.date(2007, 7, 2),
}
MONTH = {"precision": "month", "year": 2007, "month": 10}
SEASON_PAIR = {"precision": "season", "year": 2007, "seasons": ["summer", "autumn"]}
SPRING_OR_SUMMER = {"precision": "season", "year": 2008, "seasons": ["spring", "summer"]}
YEAR = {"precision": "year", "year": 2008}
TBD = {"precision": "tbd"}


def event(**dates) -> Event:
    return Event(title_en="Seminar", **dates)


@pytest.mark.parametrize(
    ("dates", "language", "expected"),
    [
        pytest.param(DAY, "en", "18 June 2007", id="day-en"),
        pytest.param(DAY, "fr", "18 juin 2007", id="day-fr"),
        pytest.param(DAY, "es", "18 de junio de 2007", id="day-es"),
        pytest.param(SAME_MONTH, "en", "18–19 June 2007", id="same-month-en"),
        pytest.param(SAME_MONTH, "fr", "18–19 juin 2007", id="same-month-fr"),
        pytest.param(SAME_MONTH, "es", "18–19 de junio de 2007", id="same-month-es"),
        pytest.param(CROSS_MONTH, "en", "30 June 2007 to 2 July 2007", id="cross-month-en"),
        pytest.param(
            CROSS_MONTH,
            "fr",
            "du 30 juin 2007 au 2 juillet 2007",
            id="cross-month-fr",
        ),
        pytest.param(
            CROSS_MONTH,
            "es",
            "del 30 de junio de 2007 al 2 de julio de 2007",
            id="cross-month-es",
        ),
        pytest.param(MONTH, "en", "October 2007", id="month-en"),
        pytest.param(MONTH, "fr", "octobre 2007", id="month-fr"),
        pytest.param(MONTH, "es", "octubre de 2007", id="month-es"),
        pytest.param(SEASON_PAIR, "en", "summer or autumn 2007", id="seasons-en"),
        pytest.param(SEASON_PAIR, "fr", "été ou automne 2007", id="seasons-fr"),
        pytest.param(SEASON_PAIR, "es", "verano u otoño de 2007", id="seasons-es"),
        pytest.param(SPRING_OR_SUMMER, "en", "spring or summer 2008", id="spring-summer-en"),
        pytest.param(
            SPRING_OR_SUMMER,
            "fr",
            "printemps ou été 2008",
            id="spring-summer-fr",
        ),
        pytest.param(
            SPRING_OR_SUMMER,
            "es",
            "primavera o verano de 2008",
            id="spring-summer-es",
        ),
        pytest.param(YEAR, "en", "2008", id="year-en"),
        pytest.param(YEAR, "fr", "2008", id="year-fr"),
        pytest.param(YEAR, "es", "2008", id="year-es"),
        pytest.param(TBD, "en", "Date to be determined", id="tbd-en"),
        pytest.param(TBD, "fr", "Date à déterminer", id="tbd-fr"),
        pytest.param(TBD, "es", "Fecha por determinar", id="tbd-es"),
    ],
)
def test_dates_are_written_as_precisely_as_known(dates, language, expected):
    assert dates_text(event(**dates), language) == expected


def render(value: Event, language: str = "en") -> str:
    with translation.override(language):
        return Template("{% load event_dates %}{% event_dates event %}").render(
            Context({"event": value})
        )


def test_known_days_are_machine_readable_from_the_first_day():
    assert render(event(**SAME_MONTH)) == '<time datetime="2007-06-18">18–19 June 2007</time>'
    assert render(event(**CROSS_MONTH)) == (
        '<time datetime="2007-06-30">30 June 2007 to 2 July 2007</time>'
    )


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (MONTH, "October 2007"),
        (SEASON_PAIR, "summer or autumn 2007"),
        (YEAR, "2008"),
        (TBD, "Date to be determined"),
    ],
)
def test_an_imprecise_date_is_plain_text_with_no_day_made_up(dates, expected):
    assert render(event(**dates)) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", '<time datetime="2007-06-18">18 June 2007</time>'),
        ("fr", '<time datetime="2007-06-18">18 juin 2007</time>'),
        ("es", '<time datetime="2007-06-18">18 de junio de 2007</time>'),
    ],
)
def test_the_tag_writes_in_the_active_language(language, expected):
    assert render(event(**DAY), language) == expected


def test_the_tag_writes_a_month_in_the_active_language():
    assert render(event(**MONTH), "fr") == "octobre 2007"
    assert render(event(**MONTH), "es") == "octubre de 2007"


def test_a_day_precision_without_its_day_is_not_given_one():
    assert render(event(precision="day")) == "Date to be determined"
