"""Monthly partitions of the usage log on PostgreSQL: create ahead, archive whole old ones.

The SQL functions live in migration 0004; these calls run them. Archiving moves whole
partitions (DETACH, then SET SCHEMA), never rows, and proves by counting that nothing
was lost. Aggregates are separate tables, so archiving leaves every metric as it was,
and the event-id registry keeps archived ids, so their retries are still recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction

from skills.progress import NO_PROGRESS, Progress

ARCHIVE_SCHEMA = "skills_archive"
PARTITION_NAME = re.compile(r"^skills_usageevent_(\d{4})_(\d{2})$")
NOT_POSTGRES = "Partitions are a PostgreSQL feature; on this database the usage log is a plain table."
COUNTS_DIFFER = "Archiving would lose events: {before} before, {live} live + {archived} archived. Rolled back."


class PartitionsUnsupported(Exception):
    pass


@dataclass
class ArchiveReport:
    before: int
    live: int
    archived: int
    partitions: list[str] = field(default_factory=list)


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise PartitionsUnsupported(NOT_POSTGRES)


def month_start(value: date, months: int = 0) -> date:
    """The first day of the month `months` after (or before, when negative) the one of `value`."""
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@transaction.atomic
def partitions_ensure(*, today: date, months_ahead: int = 3) -> list[str]:
    """Creates the partitions of this month and the next `months_ahead` that are missing."""
    _require_postgres()
    created = []
    with connection.cursor() as cursor:
        for n in range(months_ahead + 1):
            cursor.execute("SELECT skills_usageevent_ensure_partition(%s)", [month_start(today, n)])
            name = cursor.fetchone()[0]
            if name:
                created.append(name)
    return created


def partitions_list() -> list[tuple[str, int]]:
    """(partition name, rows) of the live log, oldest first; the default partition last."""
    _require_postgres()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'skills_usageevent'::regclass "
            "ORDER BY c.relname = 'skills_usageevent_default', c.relname"
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = []
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            counts.append((name, cursor.fetchone()[0]))
    return counts


def _live_count(cursor) -> int:
    cursor.execute("SELECT count(*) FROM skills_usageevent")
    return cursor.fetchone()[0]


@transaction.atomic
def partitions_archive(*, before: date, progress: Progress = NO_PROGRESS) -> ArchiveReport:
    """Moves every monthly partition that ends on or before `before` to the archive schema;
    `progress` counts the partitions looked at."""
    _require_postgres()
    with connection.cursor() as cursor:
        _split_old_months_out_of_default(cursor, before)
        total = _live_count(cursor)
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
        moved, archived = [], 0
        partitions = partitions_list()
        progress.start(len(partitions), "archive (partitions)")
        for name, rows in partitions:
            progress.advance()
            match = PARTITION_NAME.match(name)
            if not match or month_start(date(int(match[1]), int(match[2]), 1), 1) > before:
                continue
            cursor.execute(f'ALTER TABLE skills_usageevent DETACH PARTITION "{name}"')
            cursor.execute(f'ALTER TABLE "{name}" SET SCHEMA {ARCHIVE_SCHEMA}')
            moved.append(name)
            archived += rows
        live = _live_count(cursor)
    progress.finish()
    if live + archived != total:
        raise RuntimeError(COUNTS_DIFFER.format(before=total, live=live, archived=archived))
    return ArchiveReport(before=total, live=live, archived=archived, partitions=moved)


def _split_old_months_out_of_default(cursor, before: date) -> None:
    """Old events the default partition caught get a partition of their own first, so they archive too."""
    cursor.execute(
        "SELECT DISTINCT date_trunc('month', occurred_at)::date FROM skills_usageevent_default WHERE occurred_at < %s",
        [before],
    )
    for (month,) in cursor.fetchall():
        cursor.execute("SELECT skills_usageevent_ensure_partition(%s)", [month])


def archived_count() -> int:
    """Rows in the archive schema's partitions."""
    _require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [ARCHIVE_SCHEMA])
        total = 0
        for (name,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM {ARCHIVE_SCHEMA}."{name}"')
            total += cursor.fetchone()[0]
    return total
