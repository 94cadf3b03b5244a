"""Reads of the audit trail: the entries staff filter by person, object, action and date."""

import datetime
import json

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dialogue.core import tables
from dialogue.core.models import AuditEntry

DAY = datetime.timedelta(days=1)


def audit_entries(
    *,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    text: str = "",
) -> QuerySet[AuditEntry]:
    """The audit entries matching every filter given, newest first (ties by entry number).

    `actor` matches each of its words against the recorded e-mail address or the
    person's given or family name; `since` and `until` are whole days in UTC, both
    included; `text` is looked for in the object's name as recorded.
    """
    entries = AuditEntry.objects.select_related("actor", "actor__person")
    for word in actor.split():
        entries = entries.filter(
            Q(actor_label__icontains=word)
            | Q(actor__email__icontains=word)
            | Q(actor__person__given_name__icontains=word)
            | Q(actor__person__family_name__icontains=word)
        )
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(at__gte=_start_of(since))
    if until is not None:
        entries = entries.filter(at__lt=_start_of(until) + DAY)
    if text:
        entries = entries.filter(object_repr__icontains=text)
    return entries.order_by("-at", "-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def audit_object_types() -> list[str]:
    """The kinds of object the trail has entries for ("members.member", ...), sorted."""
    return sorted(AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct())


def audit_changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """An entry's changes as (field, before, after) texts; a value recorded without a
    before (a creation) has an empty before."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    rows = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            before, after = value
        else:
            before, after = None, value
        rows.append((str(field), _text(before), _text(after)))
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_table(entries: QuerySet[AuditEntry]) -> tables.Table:
    """The entries as a table for a CSV or XLSX file, one row per entry."""
    rows = []
    for entry in entries:
        changes = "; ".join(
            f"{field}: {before} → {after}" if before else f"{field}: {after}"
            for field, before, after in audit_changes(entry)
        )
        rows.append(
            [
                tables.utc_text(entry.at),
                entry.actor_label,
                entry.get_action_display(),
                entry.object_type,
                entry.object_id,
                entry.object_repr,
                changes,
                entry.ip_address or "",
                entry.note,
            ]
        )
    return tables.Table(
        title=_("Audit trail"),
        header=[
            _("When (UTC)"),
            _("Who"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("Changes"),
            _("IP address"),
            _("Note"),
        ],
        rows=rows,
    )
