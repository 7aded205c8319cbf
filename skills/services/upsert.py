"""INSERT … ON CONFLICT DO UPDATE that adds to counters (PostgreSQL and SQLite).

Django's `bulk_create(update_conflicts=True)` can only overwrite a column with
the new value; roll-ups need `count = count + excluded.count`, which both
databases support in one statement.
"""

from __future__ import annotations

from django.db import connection

ROWS_PER_STATEMENT = 500


def _combine_sql(table: str, column: str, how: str, vendor: str) -> str:
    old, new = f'"{table}"."{column}"', f'excluded."{column}"'
    if how == "add":
        return f"{old} + {new}"
    function = {"least": "LEAST", "greatest": "GREATEST"}[how]
    if vendor == "sqlite":  # SQLite's scalar MIN / MAX play LEAST / GREATEST
        function = {"LEAST": "MIN", "GREATEST": "MAX"}[function]
    return f"{function}({old}, {new})"


def upsert_add(model, *, keys: list[str], combine: dict[str, str], rows: list[tuple]) -> None:
    """Inserts rows (key values, then `combine`'s columns in order); on a key conflict
    combines each column with the stored value: "add", "least" or "greatest"."""
    table = model._meta.db_table
    columns = [*keys, *combine]
    vendor = connection.vendor
    updates = ", ".join(f'"{c}" = {_combine_sql(table, c, how, vendor)}' for c, how in combine.items())
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    column_sql = ", ".join(f'"{c}"' for c in columns)
    key_sql = ", ".join(f'"{k}"' for k in keys)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(
                f'INSERT INTO "{table}" ({column_sql}) VALUES {values} ON CONFLICT ({key_sql}) DO UPDATE SET {updates}',
                [value for row in chunk for value in row],
            )
