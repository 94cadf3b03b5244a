"""The pure survey rules: no database, the time is always given."""

import datetime
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogue.surveys import rules

UTC = datetime.UTC
OPENS = datetime.datetime(2008, 3, 3, 8, 0, tzinfo=UTC)
CLOSES = datetime.datetime(2008, 3, 17, 8, 0, tzinfo=UTC)
OPEN = rules.Window("open", OPENS, CLOSES)
TICK = datetime.timedelta(microseconds=1)


# refusal


def test_an_open_survey_accepts_from_its_opening_instant_included():
    assert rules.refusal(OPEN, OPENS) is None


def test_an_open_survey_refuses_one_microsecond_before_its_opening():
    assert rules.refusal(OPEN, OPENS - TICK) == "This survey is not open yet."


def test_an_open_survey_accepts_one_microsecond_before_its_close():
    assert rules.refusal(OPEN, CLOSES - TICK) is None


def test_an_open_survey_refuses_at_its_closing_instant_and_names_it_in_utc():
    message = rules.refusal(OPEN, CLOSES)
    assert message == (
        "This survey closed at 2008-03-17 08:00:00 UTC: no response can be accepted."
    )


def test_the_closing_instant_is_named_in_utc_whatever_the_zone_it_was_given_in():
    geneva = zoneinfo.ZoneInfo("Europe/Zurich")
    window = rules.Window("open", OPENS, CLOSES.astimezone(geneva))
    assert "08:00:00 UTC" in rules.refusal(window, CLOSES + TICK)


@pytest.mark.parametrize("status", ["closed", "results_published"])
def test_a_closed_survey_refuses_even_inside_its_former_window(status):
    window = rules.Window(status, OPENS, CLOSES)
    assert "closed" in rules.refusal(window, OPENS + datetime.timedelta(days=1))


@pytest.mark.parametrize(
    "window",
    [
        rules.Window("draft", OPENS, CLOSES),
        rules.Window("open", None, CLOSES),
        rules.Window("open", OPENS, None),
    ],
)
def test_a_survey_without_a_published_window_refuses(window):
    assert rules.refusal(window, OPENS) == "This survey has not been published."


IANA_ZONES = sorted(zoneinfo.available_timezones())


@pytest.mark.skipif(not IANA_ZONES, reason="no time zone database")
@given(
    offset=st.integers(min_value=-(10**6), max_value=20 * 24 * 3600 * 10**6),
    zone=st.sampled_from(IANA_ZONES or ["UTC"]),
)
def test_the_decision_depends_on_the_instant_not_on_the_zone_it_is_given_in(offset, zone):
    now = OPENS - datetime.timedelta(seconds=1) + datetime.timedelta(microseconds=offset)
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    accepted = OPENS <= now < CLOSES
    assert (rules.refusal(OPEN, local) is None) == accepted
    assert rules.refusal(OPEN, local) == rules.refusal(OPEN, now)


# check_choices


def test_a_valid_choice_passes():
    assert rules.check_choices("choose_one", 1, [2], {1, 2, 3}) is None


def test_an_empty_choice_passes_the_choice_rules():
    assert rules.check_choices("choose_up_to", 2, [], {1, 2, 3}) is None


def test_an_option_given_twice_is_refused():
    assert rules.check_choices("rank", 3, [1, 2, 1], {1, 2, 3}) == (
        "An option appears more than once."
    )


def test_an_option_of_another_question_is_refused_and_named():
    assert rules.check_choices("choose_up_to", 2, [1, 99], {1, 2, 3}) == (
        "Option 99 is not an option of this question."
    )


def test_two_options_for_a_choose_one_question_are_refused():
    assert rules.check_choices("choose_one", 1, [1, 2], {1, 2, 3}) == "Choose only one option."


def test_more_choices_than_k_are_refused():
    assert rules.check_choices("choose_up_to", 2, [1, 2, 3], {1, 2, 3}) == (
        "Choose at most 2 options."
    )


def test_a_ranking_of_up_to_k_options_passes_in_any_order():
    assert rules.check_choices("rank", 3, [3, 1, 2], {1, 2, 3, 4}) is None


@given(
    kind=st.sampled_from(["choose_one", "choose_up_to", "rank"]),
    k=st.integers(min_value=1, max_value=6),
    valid=st.sets(st.integers(min_value=1, max_value=12), min_size=2, max_size=8),
    chosen=st.lists(st.integers(min_value=-3, max_value=15), max_size=10),
)
def test_a_choice_passes_exactly_when_it_is_a_short_enough_list_of_distinct_valid_options(
    kind, k, valid, chosen
):
    k = 1 if kind == "choose_one" else k
    expected = len(set(chosen)) == len(chosen) and set(chosen) <= valid and len(chosen) <= k
    assert (rules.check_choices(kind, k, chosen, valid) is None) == expected


# reminder_due


@pytest.mark.parametrize(
    ("now", "days", "due"),
    [
        (CLOSES - datetime.timedelta(days=7) - TICK, 7, False),
        (CLOSES - datetime.timedelta(days=7), 7, True),
        (CLOSES - datetime.timedelta(days=3), 7, True),
        (CLOSES - datetime.timedelta(days=3), 2, False),
        (CLOSES - datetime.timedelta(days=2), 2, True),
        (CLOSES - TICK, 2, True),
        (CLOSES, 2, False),
        (CLOSES + datetime.timedelta(days=1), 7, False),
    ],
)
def test_a_reminder_is_due_from_its_offset_before_the_close_until_the_close(now, days, due):
    assert rules.reminder_due(CLOSES, days, now) is due


def test_the_default_window_is_two_weeks_with_reminders_a_week_and_two_days_before():
    assert rules.DEFAULT_WINDOW.days == 14
    assert rules.DEFAULT_REMINDER_DAYS == (7, 2)
