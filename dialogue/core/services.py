"""Shared write helpers: validate, save and audit in one step."""

import contextlib
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction

from dialogue.core import audit, tables
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry


def validation_to_domain_error(
    error: ValidationError, model: type[models.Model] | None = None
) -> DomainError:
    """The first message of a ValidationError as a DomainError naming its field."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        message = "; ".join(str(m) for e in errors for m in e.messages)
        if field == "__all__":
            return DomainError(message)
        label = field
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = str(model._meta.get_field(field).verbose_name)
        return DomainError(f"{label}: {message}", field=field)
    return DomainError("; ".join(error.messages))


def save_audited(
    obj: models.Model,
    *,
    actor,
    fields: Iterable[str],
    before: dict | None = None,
    note: str = "",
    exclude_from_validation: Iterable[str] = (),
    extra: dict | None = None,
) -> models.Model:
    """Validate `obj`, save it and append an audit entry of what changed in `fields`.

    `before` is the snapshot taken before the change; without it the save is a
    creation. Returns the object unchanged (and writes nothing) when no field changed.
    `extra` adds values that are not fields (e.g. many-to-many choices) to a creation's entry.
    """
    fields = list(fields)
    try:
        obj.full_clean(exclude=list(exclude_from_validation))
    except ValidationError as error:
        raise validation_to_domain_error(error, type(obj)) from error
    after = audit.snapshot(obj, fields)
    if before is None:
        obj.save()
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=obj,
            changes={**after, **(extra or {})},
            note=note,
        )
        return obj
    changes = audit.diff(before, after)
    if not changes:
        return obj
    obj.save()
    audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=obj, changes=changes, note=note)
    return obj


@transaction.atomic
def audit_trail_export(*, actor, entries, file_format: str) -> tables.ExportFile:
    """The given audit entries as a CSV or XLSX file; the export itself is audited."""
    from dialogue.core import selectors

    require_staff(actor)
    tables.check_format(file_format)
    table = selectors.audit_table(entries)
    content = tables.table_csv(table) if file_format == "csv" else tables.tables_xlsx([table])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type=AuditEntry._meta.label_lower,
        object_repr="audit trail",
        note=f"{len(table.rows)} rows",
    )
    return tables.ExportFile(
        filename=f"audit-trail.{file_format}",
        content_type=tables.CONTENT_TYPES[file_format],
        content=content,
        rows=len(table.rows),
    )
