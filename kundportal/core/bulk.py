"""Writing tens of thousands of new rows at once (imports), several times faster than bulk_create.

bulk_create compiles every value of every row into statements as it goes: for the 100,000 rows of an import
of 10,000 new customers (their profiles, addresses, 60,000 folders, audit events) that took longer than the
database took to store them. Here each value is converted by its field once (a value that repeats, such as
a customer's id on each of its folders, only once in all), and the statements suit the database: SQLite
runs in this process and keeps one prepared statement, so one row per statement is cheapest there (about
half the time of many rows per statement); a database server parses every statement it is sent (Django
binds the values on the client), so there many rows go into each (for 60,000 folders on PostgreSQL, about
half the CPU time, client and server, of bulk_create or of one row per statement).

Like bulk_create: no save() and no signals; unlike it, primary keys must be set before (every UUIDModel's
is), since nothing is read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Any
from uuid import UUID

from django.db import connections, models, router

# Immutable values whose stored form can be worked out once and reused.
_REPEATABLE = frozenset({str, int, bool, type(None), UUID, datetime})
SERVER_ROWS_PER_STATEMENT = 500


def insert_objects(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """The rows bulk_create would write for `objects` (each field's value as save() would store it: defaults,
    auto_now and auto_now_add included), after which the objects count as saved."""
    if not objects:
        return
    if any(obj.pk is None for obj in objects):
        raise ValueError(f"insert_objects() needs the primary keys of the {model.__name__} objects set")
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    insert_rows(
        model,
        [field.name for field in fields],
        [[field.pre_save(obj, True) for field in fields] for obj in objects],
    )
    alias = router.db_for_write(model)
    for obj in objects:
        obj._state.adding, obj._state.db = False, alias


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """New rows of `model` from plain values, one for each name in `fields` (a foreign key takes the related
    object's primary key); a column left out gets the database's default, as an autoincrement id does."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    columns: list[Any] = [model._meta.get_field(name) for name in fields]
    converted: list[dict[Any, Any]] = [{} for _column in columns]

    def db_value(index: int, value: Any) -> Any:
        if type(value) not in _REPEATABLE or columns[index].primary_key:
            return columns[index].get_db_prep_save(value, connection)
        seen = converted[index]
        if value not in seen:
            seen[value] = columns[index].get_db_prep_save(value, connection)
        return seen[value]

    values = [[db_value(index, value) for index, value in enumerate(row)] for row in rows]
    per_statement = _rows_per_statement(connection, len(columns))
    if per_statement == 1:
        statements = values
    else:
        statements = [
            list(chain.from_iterable(values[start : start + per_statement]))
            for start in range(0, len(values), per_statement)
        ]
    shorter = len(values) % per_statement  # the rows of the last statement, when it has fewer
    last = statements.pop() if shorter else None
    with connection.cursor() as cursor:
        if statements:
            cursor.executemany(_insert_sql(connection, model, columns, per_statement), statements)
        if last is not None:
            cursor.execute(_insert_sql(connection, model, columns, shorter), last)


def _rows_per_statement(connection: Any, columns: int) -> int:
    if connection.vendor == "sqlite":
        return 1
    limit = connection.features.max_query_params or SERVER_ROWS_PER_STATEMENT * columns
    return max(1, min(SERVER_ROWS_PER_STATEMENT, limit // columns))


def _insert_sql(connection: Any, model: type[models.Model], columns: list[Any], rows: int) -> str:
    quote = connection.ops.quote_name
    row = "({})".format(", ".join(["%s"] * len(columns)))
    return "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608  # names from the model, quoted
        quote(model._meta.db_table),
        ", ".join(quote(column.column) for column in columns),
        ", ".join([row] * rows),
    )
