"""An upsert that adds to the stored row: `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`.

Django's `bulk_create(update_conflicts=True)` can only overwrite a column with the new value, so a
roll-up written with it must be read first and merged in Python. For SessionSkill (a row for
nearly every new (session, skill) pair a batch brings) that read costs more than the write; this
adapter sends the batch's sums and lets the database add them, through Django's cursor.
PostgreSQL and SQLite (3.24+) both speak this upsert; only the names of LEAST / GREATEST differ.
On PostgreSQL the rows travel as one JSON document, read as the table's own row type
(`json_populate_recordset`): psycopg rewrites a query's placeholders in Python, which for thousands
of them (or arrays, quoted element by element) cost more than the statement; msgspec encodes the
document in C.
"""

from __future__ import annotations

import msgspec
from django.db import connections

# How a column combines the stored value with the batch's.
ADD, LEAST, GREATEST = "add", "least", "greatest"
_SQLITE_NAMES = {LEAST: "MIN", GREATEST: "MAX"}
_POSTGRES_NAMES = {LEAST: "LEAST", GREATEST: "GREATEST"}
ROWS_PER_STATEMENT = 1000  # SQLite: within its limit of bound parameters


def additive_upsert(model, *, keys: list[str], combine: dict[str, str], rows: list[tuple], using: str) -> None:
    """Inserts `rows` (values of `keys`, then of `combine`'s columns, by attname) or, where a row
    with those keys is stored, combines each column with the stored value. Sort `rows` by key:
    concurrent writers then lock shared rows in one order."""
    if not rows:
        return
    connection = connections[using]
    names = _POSTGRES_NAMES if connection.vendor == "postgresql" else _SQLITE_NAMES
    quote = connection.ops.quote_name
    columns = [*keys, *combine]
    fields = [model._meta.get_field(column) for column in columns]
    table = quote(model._meta.db_table)
    # The stored value qualified by the table's name: PostgreSQL finds a bare name ambiguous.
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}"
        if how == ADD
        else f"{quote(c)} = {names[how]}({table}.{quote(c)}, excluded.{quote(c)})"
        for c, how in combine.items()
    )
    insert = f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
    conflict = f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows as JSON objects keyed by column; the server casts each value to its column's type
            # (aware datetimes are encoded with their offset).
            document = msgspec.json.encode([dict(zip(columns, row, strict=True)) for row in rows]).decode()
            selected = ", ".join(quote(c) for c in columns)
            source = f"SELECT {selected} FROM json_populate_recordset(NULL::{table}, %s::json)"
            cursor.execute(insert + source + conflict, [document])
            return
        # SQLite keeps values as the fields prepare them (datetimes as UTC text, for one).
        prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(prepared), ROWS_PER_STATEMENT):
            chunk = prepared[start : start + ROWS_PER_STATEMENT]
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(insert + f"VALUES {values}" + conflict, [value for row in chunk for value in row])
