"""Hand-written SQL for the few hot paths the benchmark measures, returning real model instances.

The ORM spends about a millisecond compiling each query on this hardware; a fixed SQL string run with
server-side binding is prepared once per connection by psycopg and costs a fraction of that.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model


def columns(model: type[Model], alias: str) -> str:
    """The select list for every concrete column of `model` under a table alias."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[Model], values: tuple[Any, ...] | list[Any]) -> Model:
    """A model instance from a row slice in `columns()` order, as the ORM itself would build it."""
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, names, list(values))


def fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """The first row of a fixed statement (prepared by psycopg after its second use), or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def available() -> bool:
    """Raw rows are used only on PostgreSQL, whose driver already returns typed, aware values.

    SQLite hands back text that the ORM's converters would parse, so there the ORM path is used.
    """
    return connection.vendor == "postgresql"
