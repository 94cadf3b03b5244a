"""Fuzz the member file reader, `members.imports.read_member_file`, as CSV and as XLSX.

The last byte of the input picks the file name (`.csv` or `.xlsx`) and the language of the
messages; the rest is the file. The reader's refusal is `ImportErrors`, whose issues must
all print; any other exception is a crash. A file that is read must hold only known
columns, values within their limits and without control characters, dates as dates, and
every text value must survive the formula escaping of the export unchanged.
"""

import datetime
import sys

import atheris

with atheris.instrument_imports(include=["dialogue"]):
    import common

    common.setup_django()

    from django.utils import translation

    from dialogue.members import imports

NAMES = ("members.csv", "members.xlsx")


def check_member_file(member_file: imports.MemberFile) -> None:
    """Raise AssertionError where a file that was read breaks the reader's promises."""
    if member_file.file_format not in ("csv", "xlsx"):
        raise AssertionError(f"format {member_file.file_format!r}")
    if len(member_file.rows) > imports.MAX_ROWS:
        raise AssertionError(f"{len(member_file.rows)} rows")
    for issue in member_file.issues:
        str(issue)
    for row in member_file.rows:
        for column, value in row.data.items():
            if column not in imports.COLUMNS:
                raise AssertionError(f"line {row.line}: unknown column {column!r}")
            if column in imports.DATE_COLUMNS:
                if value is not None and not isinstance(value, datetime.date):
                    raise AssertionError(f"line {row.line}: {column} is {value!r}")
                continue
            if not isinstance(value, str):
                raise AssertionError(f"line {row.line}: {column} is {value!r}")
            if imports.CONTROL_CHARACTERS.search(value):
                raise AssertionError(f"line {row.line}: {column} holds a control character")
            if len(value) > imports._max_length(column):
                raise AssertionError(f"line {row.line}: {column} is {len(value)} long")
            if imports.unescape_cell(imports.escape_cell(value)) != value:
                raise AssertionError(f"line {row.line}: {value!r} does not survive escaping")


def TestOneInput(data: bytes) -> None:
    """One file: refused with printable issues, or read into rows that keep the promises."""
    provider = atheris.FuzzedDataProvider(data)
    choice = provider.ConsumeIntInRange(0, len(NAMES) * len(common.LANGUAGES) - 1)
    name = NAMES[choice % len(NAMES)]
    language = common.LANGUAGES[choice // len(NAMES)]
    content = provider.ConsumeBytes(provider.remaining_bytes())
    with translation.override(language):
        try:
            member_file = imports.read_member_file(content, name)
        except imports.ImportErrors as error:
            for issue in error.issues:
                str(issue)
            return
        check_member_file(member_file)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
