"""Rows read and written with SQL written once, for the few hot paths.

A response submission or an API call made with a token runs a handful of statements;
building each with the ORM costs several times more than running it. Here the SQL of a
model's select list, insert and update is built once per process and reused, while the
values go through the same field methods the ORM uses (`get_db_prep_save` on the way in,
the field's and backend's converters on the way out), and inserts and updates send the
same model signals as `Model.save()` (a multi-row insert sends none, as `bulk_create`).
"""

import functools
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.db.models.signals import post_save, pre_save


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many values of a row `columns(model, ...)` selects."""
    return len(model._meta.concrete_fields)


def columns(model: type[models.Model], alias: str) -> str:
    """The select list of every column of `model` from the table aliased `alias`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model))


@functools.cache
def _loader(model: type[models.Model], vendor: str):
    names = []
    converters = []
    for position, field in enumerate(_fields(model)):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        names.append(field.attname)
        if found:
            converters.append((position, column, found))
    return names, converters


def load(model: type[models.Model], values: Sequence) -> models.Model:
    """The instance whose columns, in `columns` order, are `values`, as read from the
    database (not a new object to insert)."""
    names, converters = _loader(model, connection.vendor)
    values = list(values)
    for position, column, found in converters:
        value = values[position]
        for convert in found:
            value = convert(value, column, connection)
        values[position] = value
    return model.from_db(connection.alias, names, values)


@functools.cache
def _insert_sql(model: type[models.Model], rows: int, vendor: str) -> tuple[str, list]:
    quote = connection.ops.quote_name
    fields = insert_fields(model)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([one] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def values(instance: models.Model, fields: Iterable[models.Field], add: bool) -> list:
    """The values of `fields` as the database takes them, after each field's pre_save
    (which stores a new file and sets an automatic date) as `save()` applies it."""
    return [field.get_db_prep_save(field.pre_save(instance, add), connection) for field in fields]


def insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields an insert of `model` writes: every column but the primary key."""
    return [f for f in _fields(model) if f is not model._meta.pk]


def before_save(instance: models.Model, names: Sequence[str] | None = None) -> None:
    """Send pre_save as `save()` does (update_fields `names` for an update)."""
    pre_save.send(
        sender=type(instance),
        instance=instance,
        raw=False,
        using=connection.alias,
        update_fields=frozenset(names) if names is not None else None,
    )


def saved(instance: models.Model, created: bool, names: Sequence[str] | None = None) -> None:
    """Mark `instance` as stored and send post_save as `save()` does."""
    instance._state.adding = False
    instance._state.db = connection.alias
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=created,
        update_fields=frozenset(names) if names is not None else None,
        raw=False,
        using=connection.alias,
    )


def insert_many(instances: Sequence[models.Model]) -> None:
    """Insert new rows of one model in one statement and set their primary keys; like
    `bulk_create`, no signal is sent."""
    if not instances:
        return
    model = type(instances[0])
    sql, fields = _insert_sql(model, len(instances), connection.vendor)
    params = [value for instance in instances for value in values(instance, fields, True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    for instance, key in zip(instances, keys, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = connection.alias


def insert(instance: models.Model) -> models.Model:
    """Insert a new row as `instance.save()` would (pre_save and post_save sent, the
    fields' pre_save applied) and return it with its primary key."""
    before_save(instance)
    insert_many([instance])
    saved(instance, created=True)
    return instance


@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...], vendor: str):
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    return sql, fields


def write_fields(instance: models.Model, names: Sequence[str]) -> None:
    """Write the fields `names` of a stored row, sending no signal; a row that is gone
    raises `model.DoesNotExist`."""
    model = type(instance)
    sql, fields = _update_sql(model, tuple(names), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values(instance, fields, False), instance.pk])
        if cursor.rowcount != 1:
            raise model.DoesNotExist(f"{model._meta.object_name} {instance.pk} is gone.")


def update(instance: models.Model, names: Sequence[str]) -> models.Model:
    """Write the fields `names` of a stored row as `instance.save(update_fields=names)`
    would, signals included; a row that is gone raises `model.DoesNotExist`."""
    before_save(instance, names)
    write_fields(instance, names)
    saved(instance, created=False, names=names)
    return instance
