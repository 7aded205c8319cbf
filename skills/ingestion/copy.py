"""COPY of events into the log: the fastest way into PostgreSQL, for batches.

Through Django's cursor: its debug wrapper logs the statement (the query log,
`CaptureQueriesContext`), but execute wrappers (`connection.execute_wrapper`) see only
execute() and executemany(), so this one statement of ingestion is logged here as well.
"""

from __future__ import annotations

import logging
import time
from operator import itemgetter

import msgspec
from django.db import connections

from skills.models import UsageEvent

logger = logging.getLogger("skills.ingestion")

# Setting a COPY up costs round trips; a handful of rows goes faster as one INSERT.
COPY_THRESHOLD = 20
JSON_COLUMNS = frozenset({"follow_up_actions", "state_snapshot", "artifacts"})
COLUMNS = [
    field.attname for field in UsageEvent._meta.concrete_fields if field.attname != "id"
]  # the order rows are written in
_IN_ORDER = itemgetter(*COLUMNS)
_JSON_POSITIONS = [position for position, column in enumerate(COLUMNS) if column in JSON_COLUMNS]


def uses_copy(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def copy_events(rows: list[dict], using: str) -> None:
    """COPY the rows (dicts of the log's columns) into the log, in the current transaction."""
    connection = connections[using]
    sql = f"COPY {UsageEvent._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    encode = msgspec.json.encode
    started = time.perf_counter()
    # wrap_database_errors: psycopg's errors become Django's (IntegrityError), as execute()'s do.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = list(_IN_ORDER(row))
            for position in _JSON_POSITIONS:
                values[position] = encode(values[position]).decode()
            copy.write_row(values)
    logger.debug("COPY of %d events in %.1f ms", len(rows), (time.perf_counter() - started) * 1000)
