import datetime

from dialogue.mail import rules

NOW = datetime.datetime(2008, 3, 3, 8, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def test_line_breaks_and_runs_of_spaces_become_one_space():
    assert rules.one_line("Name\r\nBcc: victim@x\u2028 \t end ") == "Name Bcc: victim@x end"


def test_each_retry_waits_for_its_configured_delay(settings):
    settings.MAIL_RETRY_DELAYS = [60, 300, 900]
    assert rules.max_attempts() == 4
    assert [rules.next_attempt(attempts, NOW) for attempts in (1, 2, 3, 4)] == [
        NOW + MINUTE,
        NOW + 5 * MINUTE,
        NOW + 15 * MINUTE,
        None,
    ]


def test_the_default_schedule_is_one_five_fifteen_sixty_and_two_hundred_forty_minutes(settings):
    del settings.MAIL_RETRY_DELAYS
    delays = [rules.next_attempt(n, NOW) - NOW for n in range(1, rules.max_attempts())]
    assert delays == [MINUTE * m for m in (1, 5, 15, 60, 240)]
    assert rules.next_attempt(rules.max_attempts(), NOW) is None
