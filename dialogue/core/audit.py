"""Writing to the append-only audit trail; every service calls `record` for each write."""

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from dialogue.core import clock, rows
from dialogue.core.middleware import current_ip
from dialogue.core.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-ready values of `fields` on `obj`, for comparing before and after."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value differs, as {field: [before, after]}."""
    return {
        key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)
    }


def record(**details) -> AuditEntry:
    """Append one entry (the arguments of `entry`) to the audit trail; the caller's
    transaction covers it."""
    return rows.insert(entry(**details))


def entry(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """The entry `record` appends, not yet stored (for a write that stores it together
    with what it records)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        at=clock.now(),
        actor=actor_obj,
        actor_label=(actor_obj.get_username() if actor_obj else str(actor or "system"))[:255],
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_repr[:255],
        changes=changes or {},
        ip_address=current_ip(),
        note=note[:500],
    )


def keep_refusal(error: Exception, **entry) -> None:
    """Attach to a refusal the audit entry saying so; the layer that answers the request
    writes it with `record_refusal` once the refused transaction has been rolled back."""
    error.pending_audit = entry


def record_refusal(error: Exception) -> AuditEntry | None:
    """Write, in its own transaction, the audit entry a refusal carries (at most once)."""
    entry = getattr(error, "pending_audit", None)
    if not entry:
        return None
    error.pending_audit = None
    with transaction.atomic():
        return record(action=AuditEntry.Action.REFUSED, **entry)
