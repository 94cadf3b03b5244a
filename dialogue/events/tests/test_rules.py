"""The pure event rules: dates known to a precision, checked without a database."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogue.events import rules

FIELDS = {"precision", "year", "month", "seasons", "start_date", "end_date", "end_time"}


def check(**given_values):
    values = {
        "precision": "tbd",
        "year": None,
        "month": None,
        "seasons": [],
        "start_date": None,
        "end_date": None,
    }
    values.update(given_values)
    return rules.check_dates(**values)


# Dates far outside any dialogue


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"precision": "day", "start_date": datetime.date(1, 1, 1)}, "start_date"),
        ({"precision": "day", "start_date": datetime.date(9999, 12, 31)}, "start_date"),
        (
            {
                "precision": "day",
                "start_date": datetime.date(2200, 12, 30),
                "end_date": datetime.date(2201, 1, 2),
            },
            "end_date",
        ),
        ({"precision": "year", "year": 1949}, "year"),
        ({"precision": "month", "year": 2201, "month": 3}, "year"),
    ],
)
def test_a_date_outside_the_years_a_dialogue_spans_is_refused(values, field):
    problem = check(**values)
    assert problem is not None and problem[0] == field
    assert "1950" in problem[1] and "2200" in problem[1]


def test_the_first_and_last_years_hold():
    assert check(precision="day", start_date=datetime.date(1950, 1, 1)) is None
    assert check(precision="year", year=2200) is None


# Every precision, when complete


def test_an_event_of_one_day_holds():
    assert check(precision="day", start_date=datetime.date(2007, 7, 6)) is None


def test_an_event_over_several_days_holds():
    assert (
        check(
            precision="day",
            start_date=datetime.date(2007, 10, 8),
            end_date=datetime.date(2007, 10, 9),
        )
        is None
    )


def test_an_event_of_one_day_with_its_hours_holds():
    assert (
        check(
            precision="day",
            start_date=datetime.date(2007, 7, 6),
            end_date=datetime.date(2007, 7, 6),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(13, 0),
        )
        is None
    )


def test_an_event_known_to_the_month_holds():
    assert check(precision="month", year=2007, month=10) is None


def test_an_event_known_to_the_season_holds():
    assert check(precision="season", year=2008, seasons=["summer", "autumn"]) is None


def test_an_event_known_to_the_year_holds():
    assert check(precision="year", year=2008) is None


def test_an_event_to_be_determined_needs_nothing_else():
    assert check(precision="tbd") is None


# End before start


def test_an_event_cannot_end_the_day_before_it_starts():
    assert check(
        precision="day",
        start_date=datetime.date(2007, 10, 9),
        end_date=datetime.date(2007, 10, 8),
    ) == ("end_date", "The event cannot end before it starts.")


@pytest.mark.parametrize("end_date", [None, datetime.date(2007, 7, 6)])
def test_an_event_of_one_day_cannot_end_at_an_earlier_hour_than_it_starts(end_date):
    problem = check(
        precision="day",
        start_date=datetime.date(2007, 7, 6),
        end_date=end_date,
        start_time=datetime.time(14, 0),
        end_time=datetime.time(10, 0),
    )
    assert problem == ("end_time", "The event cannot end before it starts.")


def test_an_event_of_one_day_cannot_end_at_the_hour_it_starts():
    problem = check(
        precision="day",
        start_date=datetime.date(2007, 7, 6),
        start_time=datetime.time(10, 0),
        end_time=datetime.time(10, 0),
    )
    assert problem is not None
    assert problem[0] == "end_time"


def test_an_event_over_two_days_may_end_at_an_earlier_hour_than_it_started():
    assert (
        check(
            precision="day",
            start_date=datetime.date(2007, 10, 8),
            end_date=datetime.date(2007, 10, 9),
            start_time=datetime.time(14, 0),
            end_time=datetime.time(12, 30),
        )
        is None
    )


def test_an_event_known_to_the_day_needs_its_first_day():
    assert check(precision="day", end_date=datetime.date(2007, 10, 9)) == (
        "start_date",
        "Give the first day.",
    )


# Missing year, month or season


@pytest.mark.parametrize(
    "precision, extra",
    [("month", {"month": 10}), ("season", {"seasons": ["summer"]}), ("year", {})],
)
def test_an_event_known_to_the_month_season_or_year_needs_the_year(precision, extra):
    assert check(precision=precision, **extra) == ("year", "Give the year.")


@pytest.mark.parametrize("month", [None, 0, 13, -1])
def test_an_event_known_to_the_month_needs_a_month_from_1_to_12(month):
    assert check(precision="month", year=2007, month=month) == ("month", "Give the month.")


def test_an_event_known_to_the_season_needs_a_season():
    field, message = check(precision="season", year=2008, seasons=[])
    assert field == "seasons"
    assert "spring, summer, autumn or winter" in message


@pytest.mark.parametrize("seasons", [["monsoon"], ["Summer"], ["summer", "dry season"], [""]])
def test_an_unknown_season_is_refused(seasons):
    assert check(precision="season", year=2008, seasons=seasons)[0] == "seasons"


def test_the_same_season_given_twice_is_refused():
    assert check(precision="season", year=2008, seasons=["summer", "summer"])[0] == "seasons"


def test_an_unknown_precision_is_refused():
    assert check(precision="week", year=2008) == ("precision", "Unknown precision.")


# Any input at all

PRECISIONS = st.one_of(
    st.sampled_from(["day", "month", "season", "year", "tbd"]), st.text(max_size=8)
)
SEASONS = st.lists(st.one_of(st.sampled_from(rules.SEASONS), st.text(max_size=8)), max_size=6)


@given(
    precision=PRECISIONS,
    year=st.none() | st.integers(),
    month=st.none() | st.integers(),
    seasons=SEASONS,
    start_date=st.none() | st.dates(),
    end_date=st.none() | st.dates(),
    start_time=st.none() | st.times(),
    end_time=st.none() | st.times(),
)
def test_any_combination_of_dates_gives_none_or_a_field_and_a_message(
    precision, year, month, seasons, start_date, end_date, start_time, end_time
):
    problem = rules.check_dates(
        precision=precision,
        year=year,
        month=month,
        seasons=seasons,
        start_date=start_date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
    )
    if problem is not None:
        field, message = problem
        assert field in FIELDS
        assert isinstance(message, str)
        assert message


DIALOGUE_DAYS = st.dates(
    min_value=datetime.date(rules.FIRST_YEAR, 1, 1),
    max_value=datetime.date(rules.LAST_YEAR, 12, 31),
)


@given(start=DIALOGUE_DAYS, end=DIALOGUE_DAYS)
def test_an_event_known_to_the_day_holds_exactly_when_it_does_not_end_before_it_starts(start, end):
    problem = check(precision="day", start_date=start, end_date=end)
    assert (problem is None) == (end >= start)
