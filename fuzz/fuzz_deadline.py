"""Fuzz the staff pages' time fields: `GenevaDateTimeField` and `ReminderDaysField`.

The last byte of the input picks the language (the date formats accepted follow it) and
whether the date is required; the rest is the text typed. Each field refuses with
ValidationError; any other exception is a crash. A date and time that is accepted is an
aware datetime that can be expressed in UTC, as it is stored; reminders are whole numbers
of days.
"""

import datetime
import sys

import atheris

# Django's date parsing and form fields are instrumented too; the rest of Django is not.
with atheris.instrument_imports(include=["django"]):
    from django.forms import ValidationError

with atheris.instrument_imports(include=["dialogue"]):
    import common

    common.setup_django()

    from django.utils import timezone, translation

    from dialogue.staff.survey_forms import GenevaDateTimeField, ReminderDaysField

DEADLINE_FIELDS = {True: GenevaDateTimeField(), False: GenevaDateTimeField(required=False)}
REMINDER_FIELD = ReminderDaysField(required=False)


def check_deadline(text: str, required: bool) -> None:
    """Raise AssertionError if the date field accepts `text` as anything but a storable time."""
    try:
        value = DEADLINE_FIELDS[required].clean(text)
    except ValidationError:
        return
    if value is None:
        if required or text:
            raise AssertionError(f"{text!r} cleaned to None")
        return
    if not isinstance(value, datetime.datetime) or not timezone.is_aware(value):
        raise AssertionError(f"{text!r} cleaned to {value!r}, not an aware datetime")
    try:
        value.astimezone(datetime.UTC)
    except OverflowError as error:
        raise AssertionError(f"{text!r} cleaned to {value!r}, which has no UTC time") from error


def check_reminder_days(text: str) -> None:
    """Raise AssertionError if the reminders field accepts `text` as anything but day counts."""
    try:
        days = REMINDER_FIELD.clean(text)
    except ValidationError:
        return
    if not isinstance(days, list) or not all(type(day) is int and day >= 0 for day in days):
        raise AssertionError(f"{text!r} cleaned to {days!r}")


def TestOneInput(data: bytes) -> None:
    """One text typed into both fields, in one of the languages."""
    provider = atheris.FuzzedDataProvider(data)
    choice = provider.ConsumeIntInRange(0, 2 * len(common.LANGUAGES) - 1)
    language = common.LANGUAGES[choice % len(common.LANGUAGES)]
    required = choice >= len(common.LANGUAGES)
    text = provider.ConsumeBytes(provider.remaining_bytes()).decode("utf-8", "replace")
    with translation.override(language):
        check_deadline(text, required)
        check_reminder_days(text)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
