"""Cursor pagination: a page holds the items after the cursor in a stable order, and
`next_cursor` is an opaque, signed token of the last item's sort key.

A cursor is only valid for the list that issued it: it is signed with that list's name,
so a cursor that was altered, made up or taken from another list is refused with the
code "invalid_cursor".
"""

import datetime
import zlib
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from dialogue.api.errors import invalid_cursor

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_SALT = "dialogue.api.cursor"


@dataclass(frozen=True)
class Page:
    """The items of one page and the cursor of the next one (None on the last page)."""

    items: list
    next_cursor: str | None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(name: str, values: list) -> str:
    """An opaque signed cursor holding `values`, valid for the list `name` only."""
    return signing.dumps([_plain(v) for v in values], salt=f"{_SALT}:{name}", compress=True)


def decode_cursor(name: str, cursor: str, size: int) -> list:
    """The `size` values held by a cursor of the list `name`; raises the "invalid_cursor"
    error for anything else."""
    try:
        values = signing.loads(cursor, salt=f"{_SALT}:{name}")
    except (signing.BadSignature, ValueError, TypeError, UnicodeError, zlib.error):
        raise invalid_cursor() from None
    if not isinstance(values, list) or len(values) != size:
        raise invalid_cursor()
    try:
        return [_restore(v) for v in values]
    except (ValueError, TypeError):
        raise invalid_cursor() from None


def _after(order: list[str], values: list) -> Q:
    """Rows strictly after `values` in the order `order` (fields, "-" for descending)."""
    condition = Q()
    for index, field in enumerate(order):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[index]})
        for previous, value in zip(order[:index], values[:index], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        condition |= step
    return condition


def paginate(
    queryset: QuerySet, *, name: str, order: list[str], cursor: str | None, limit: int
) -> Page:
    """A page of `queryset` in `order` (which must end with a unique field, such as "id"),
    starting after `cursor`. None of the order's values may be null."""
    values = None
    if cursor:
        values = decode_cursor(name, cursor, len(order))
    queryset = queryset.order_by(*order)
    if values is not None:
        queryset = queryset.filter(_after(order, values))
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = encode_cursor(name, [getattr(last, f.lstrip("-")) for f in order])
    return Page(items=items, next_cursor=next_cursor)


def offset_cursor(name: str, cursor: str | None) -> int:
    """The offset held by a cursor of a ranked list (such as search results); 0 without one."""
    if not cursor:
        return 0
    (offset,) = decode_cursor(name, cursor, 1)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise invalid_cursor()
    return offset
