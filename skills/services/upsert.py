"""INSERT … ON CONFLICT DO UPDATE that adds to counters (PostgreSQL and SQLite).

Django's `bulk_create(update_conflicts=True)` can only overwrite a column with
the new value; roll-ups need `count = count + excluded.count`, which both
databases support in one statement.

Building a statement and running it are separate (`upsert_statements`, `run`), so
ingestion can build its statements while the connection is still busy with the COPY.
"""

from __future__ import annotations

import msgspec
import psycopg
from django.db import connection

ROWS_PER_STATEMENT = 500

Statement = tuple[str, list]


def _combine_sql(table: str, column: str, how: str, vendor: str) -> str:
    old, new = f'"{table}"."{column}"', f'excluded."{column}"'
    if how == "replace":
        return new
    if how == "add":
        return f"{old} + {new}"
    function = {"least": "LEAST", "greatest": "GREATEST"}[how]
    if vendor == "sqlite":  # SQLite's scalar MIN / MAX play LEAST / GREATEST
        function = {"LEAST": "MIN", "GREATEST": "MAX"}[function]
    return f"{function}({old}, {new})"


def upsert_statements(model, *, keys: list[str], combine: dict[str, str], rows: list[tuple]) -> list[Statement]:
    """The statements that insert rows (key values, then `combine`'s columns in order) and, on
    a key conflict, combine each column with the stored value: "add", "least", "greatest" or
    "replace". Builds them without touching the database."""
    if not rows:
        return []
    table = model._meta.db_table
    columns = [*keys, *combine]
    vendor = connection.vendor
    updates = ", ".join(f'"{c}" = {_combine_sql(table, c, how, vendor)}' for c, how in combine.items())
    head = f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
    tail = f" ON CONFLICT ({', '.join(f'{chr(34)}{k}{chr(34)}' for k in keys)}) DO UPDATE SET {updates}"
    fields = [model._meta.get_field(c) for c in columns]
    if vendor == "postgresql":
        # All rows as one JSON document, unpacked by the server: encoding is one C call
        # (msgspec), and the statement is the same whatever the number of rows.
        record = ", ".join(f'"{c}" {f.db_type(connection)}' for c, f in zip(columns, fields, strict=True))
        document = msgspec.json.encode([dict(zip(columns, row, strict=True)) for row in rows]).decode()
        return [(head + f"SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({record})" + tail, [document])]
    # Elsewhere values go through the fields, so they are stored exactly as the ORM would store them.
    prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    statements = []
    for start in range(0, len(prepared), ROWS_PER_STATEMENT):
        chunk = prepared[start : start + ROWS_PER_STATEMENT]
        values = ", ".join([placeholders] * len(chunk))
        statements.append((head + f"VALUES {values}" + tail, [value for row in chunk for value in row]))
    return statements


def instance_upsert_statements(model, instances: list, *, keys: list[str], fields: list[str]) -> list[Statement]:
    """Statements writing model instances whose new values were computed (under lock) in Python:
    inserted, or their `fields` overwritten on a key conflict. One statement, unlike
    bulk_update's CASE WHEN per field and row."""
    attnames = [model._meta.get_field(name).attname for name in [*keys, *fields]]
    rows = [tuple(getattr(instance, a) for a in attnames) for instance in instances]
    combine = dict.fromkeys(attnames[len(keys) :], "replace")
    return upsert_statements(model, keys=attnames[: len(keys)], combine=combine, rows=rows)


def run(statements: list[Statement]) -> None:
    if connection.vendor == "postgresql":
        # Bound server-side: the JSON documents travel as parameters, not as literals inlined in
        # the SQL text (Django's client-side binding) that the server would have to lex.
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        return
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
