"""INSERT … ON CONFLICT DO UPDATE that adds to counters (PostgreSQL and SQLite).

Django's `bulk_create(update_conflicts=True)` can only overwrite a column with
the new value; roll-ups need `count = count + excluded.count`, which both
databases support in one statement.
"""

from __future__ import annotations

import msgspec
from django.db import connection

ROWS_PER_STATEMENT = 500


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


def upsert_add(model, *, keys: list[str], combine: dict[str, str], rows: list[tuple]) -> None:
    """Inserts rows (key values, then `combine`'s columns in order); on a key conflict
    combines each column with the stored value: "add", "least", "greatest" or "replace"."""
    if not rows:
        return
    table = model._meta.db_table
    columns = [*keys, *combine]
    vendor = connection.vendor
    updates = ", ".join(f'"{c}" = {_combine_sql(table, c, how, vendor)}' for c, how in combine.items())
    head = f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
    tail = f" ON CONFLICT ({', '.join(f'{chr(34)}{k}{chr(34)}' for k in keys)}) DO UPDATE SET {updates}"
    fields = [model._meta.get_field(c) for c in columns]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # All rows as one JSON document, unpacked by the server: encoding is one C call
            # (msgspec), and the statement is the same whatever the number of rows.
            record = ", ".join(f'"{c}" {f.db_type(connection)}' for c, f in zip(columns, fields, strict=True))
            document = msgspec.json.encode([dict(zip(columns, row, strict=True)) for row in rows]).decode()
            cursor.execute(head + f"SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({record})" + tail, [document])
            return
        # Elsewhere values go through the fields, so they are stored exactly as the ORM would store them.
        prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(prepared), ROWS_PER_STATEMENT):
            chunk = prepared[start : start + ROWS_PER_STATEMENT]
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(head + f"VALUES {values}" + tail, [value for row in chunk for value in row])


def upsert_instances(model, instances: list, *, keys: list[str], fields: list[str]) -> None:
    """Writes model instances whose new values were computed (under lock) in Python:
    inserted, or their `fields` overwritten on a key conflict. One statement, unlike
    bulk_update's CASE WHEN per field and row."""
    attnames = [model._meta.get_field(name).attname for name in [*keys, *fields]]
    rows = [tuple(getattr(instance, a) for a in attnames) for instance in instances]
    combine = dict.fromkeys(attnames[len(keys) :], "replace")
    upsert_add(model, keys=attnames[: len(keys)], combine=combine, rows=rows)
