"""Fuzz the uploaded file's name and content: `files.clean_name` and `files.check_upload`.

The last two bytes of the input give the length of the name (UTF-8, invalid bytes replaced),
the first bytes the name and the rest the content. `clean_name` must never raise, and its
result keeps what its docstring promises: no folders, no control or direction-changing
characters, 1 to 255 characters, its extension kept when it is shortened, and neither `.`
nor `..`; a name that is already clean is kept as it is. `check_upload` refuses with
DomainError; any other exception is a crash, and an accepted file's name has an extension
of its type.
"""

import sys
import unicodedata

import atheris

with atheris.instrument_imports(include=["dialogue"]):
    import common

    common.setup_django()

    from dialogue.core.errors import DomainError
    from dialogue.documents import files

MAX_NAME_BYTES = 1024
DROPPED_CATEGORIES = ("Cc", "Cf")


def needs_cleaning(name: str) -> bool:
    """Whether `name` has anything `clean_name` drops, leaving aside its length."""
    return (
        not name
        or "/" in name
        or "\\" in name
        or any(unicodedata.category(ch) in DROPPED_CATEGORIES for ch in name)
        or name != name.strip()
        or name.startswith(".")
        or name.endswith(".")
        or not unicodedata.is_normalized("NFC", name)
    )


def check_clean_name(name: str) -> None:
    """Raise AssertionError where `clean_name(name)` breaks its docstring's promises."""
    cleaned = files.clean_name(name)
    if not isinstance(cleaned, str) or not 1 <= len(cleaned) <= files.MAX_NAME_CHARS:
        raise AssertionError(f"{name!r} gave {cleaned!r}")
    if "/" in cleaned or "\\" in cleaned:
        raise AssertionError(f"{name!r} gave {cleaned!r}, with a folder")
    if any(unicodedata.category(ch) in DROPPED_CATEGORIES for ch in cleaned):
        raise AssertionError(f"{name!r} gave {cleaned!r}, with a control character")
    if cleaned in (".", ".."):
        raise AssertionError(f"{name!r} gave {cleaned!r}")
    if needs_cleaning(name):
        return
    if len(name) <= files.MAX_NAME_CHARS and cleaned != name:
        raise AssertionError(f"the clean name {name!r} became {cleaned!r}")
    _stem, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 10 and not cleaned.endswith("." + extension):
        raise AssertionError(f"{name!r} lost its extension: {cleaned!r}")


def TestOneInput(data: bytes) -> None:
    """One name and content: the name cleaned as promised, the file refused or typed."""
    provider = atheris.FuzzedDataProvider(data)
    length = provider.ConsumeIntInRange(0, MAX_NAME_BYTES)
    name = provider.ConsumeBytes(length).decode("utf-8", "replace")
    content = provider.ConsumeBytes(provider.remaining_bytes())
    check_clean_name(name)
    try:
        kind = files.check_upload(content, name)
    except DomainError:
        return
    if kind not in files.FILE_TYPES or files.extension_of(name) not in kind.extensions:
        raise AssertionError(f"{name!r} accepted as {kind!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
