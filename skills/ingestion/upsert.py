"""An upsert through Django's cursor: `INSERT … ON CONFLICT DO UPDATE`, each column combined with
the stored value as asked — added (`n = n + excluded.n`), the least or greatest, or replaced.

Django's `bulk_create(update_conflicts=True)` can only replace, and it hands psycopg a parameter
per value (or an array per column, quoted element by element in Python): for the roll-ups a fold
writes — SessionSkill's additive rows, and the daily, user, version and metrics rows of dozens of
columns — preparing them cost more than the statement. Here, on PostgreSQL, the rows travel as
one JSON document (msgspec encodes it in C), read as the table's own row type
(`json_populate_recordset`). SQLite (3.24+) speaks the same upsert; it takes the rows as bound
VALUES, prepared by the fields, and names LEAST / GREATEST MIN / MAX.
"""

from __future__ import annotations

import msgspec
from django.db import connections

# How a column combines the stored value with the new one (KEEP: written only by the insert).
ADD, LEAST, GREATEST, REPLACE, KEEP = "add", "least", "greatest", "replace", "keep"
_SQLITE_NAMES = {LEAST: "MIN", GREATEST: "MAX"}
_POSTGRES_NAMES = {LEAST: "LEAST", GREATEST: "GREATEST"}
SQLITE_PARAMETERS = 32_000  # within SQLite's limit of bound parameters a statement (32,766)


def upsert(model, *, keys: list[str], combine: dict[str, str], rows: list[tuple], using: str) -> None:
    """Inserts `rows` (values of `keys`, then of `combine`'s columns, by attname) or, where a row
    with those keys is stored, combines each column with the stored value. Sort `rows` by key:
    concurrent writers then lock shared rows in one order."""
    if not rows:
        return
    connection = connections[using]
    insert, conflict = _statement(model, keys, combine, connection)
    columns = [*keys, *combine]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows as JSON objects keyed by column; the server casts each value to its column's type
            # (aware datetimes are encoded with their offset).
            quote = connection.ops.quote_name
            document = msgspec.json.encode([dict(zip(columns, row, strict=True)) for row in rows]).decode()
            selected = ", ".join(quote(c) for c in columns)
            source = f"SELECT {selected} FROM json_populate_recordset(NULL::{quote(model._meta.db_table)}, %s::json)"
            cursor.execute(insert + source + conflict, [document])
            return
        # SQLite keeps values as the fields prepare them (datetimes as UTC text, for one).
        fields = [model._meta.get_field(column) for column in columns]
        prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        per_statement = SQLITE_PARAMETERS // len(columns)
        for start in range(0, len(prepared), per_statement):
            chunk = prepared[start : start + per_statement]
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(insert + f"VALUES {values}" + conflict, [value for row in chunk for value in row])


def upsert_selected(model, *, keys: list[str], combine: dict[str, str], select: str, params: list, using: str) -> int:
    """The same upsert for the rows a query selects (`select`, with `params`: a SELECT of the keys'
    then `combine`'s columns, in that order, with a WHERE clause, which SQLite needs there, and sorted
    by key); the database computes and writes them without a round trip. Returns the rows written."""
    connection = connections[using]
    insert, conflict = _statement(model, keys, combine, connection)
    with connection.cursor() as cursor:
        cursor.execute(insert + select + conflict, params)
        return cursor.rowcount


def _statement(model, keys: list[str], combine: dict[str, str], connection) -> tuple[str, str]:
    """The upsert's INSERT clause and its ON CONFLICT clause, around the rows' source."""
    names = _POSTGRES_NAMES if connection.vendor == "postgresql" else _SQLITE_NAMES
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    updates = ", ".join(
        f"{quote(c)} = {_combined(how, table, quote(c), names)}" for c, how in combine.items() if how != KEEP
    )
    insert = f"INSERT INTO {table} ({', '.join(quote(c) for c in [*keys, *combine])}) "
    conflict = f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {updates}"
    return insert, conflict


def _combined(how: str, table: str, column: str, names: dict[str, str]) -> str:
    # The stored value qualified by the table's name: PostgreSQL finds a bare name ambiguous.
    if how == REPLACE:
        return f"excluded.{column}"
    if how == ADD:
        return f"{table}.{column} + excluded.{column}"
    return f"{names[how]}({table}.{column}, excluded.{column})"
