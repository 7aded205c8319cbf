"""The aggregates an ingested batch moves: SkillMetrics and the daily roll-up.

SessionSkill and SkillUserUsage are moved by the database itself, by the log's roll-up
trigger (migration 0011), as the events are inserted. Used by `usage_events_record` with
the batch's SkillMetrics rows already locked, so every read-modify-write here is safe from
concurrent batches. The work is split in three so that ingestion can overlap it with the
events' COPY: `reads` (the stored rows the batch touches, fetched with ingestion's other
reads in one round trip), `compute` (pure Python, no query), `write` (the upserts,
pipelined).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from skills.aggregates import Aggregate, merge_into_daily, merge_into_metrics
from skills.models import SkillDailyUsage, SkillMetrics, SkillUserUsage

from .fetched import CompiledQuery, FetchedRows, PendingRows, one_of
from .upsert import Statement, instance_upsert_statements, run


class BatchRollups:
    """Moves a batch's new events (dicts of the log's columns) into every aggregate."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.users = {(row["skill_id"], row["user_id"]) for row in rows if row["user_id"] is not None}
        self.days = {(row["skill_id"], row["occurred_at"].date()) for row in rows}
        # Read before the events go in: the roll-up trigger records their users as they do.
        self.known_users = (
            _KNOWN_USERS(skills={s for s, _ in self.users}, users={u for _, u in self.users}) if self.users else None
        )
        self.stored_days = (
            _STORED_DAYS(skills={s for s, _ in self.days}, days={d for _, d in self.days}) if self.days else None
        )
        self.statements: list[Statement] = []

    def reads(self) -> list[PendingRows]:
        """The stored rows the batch's read-modify-writes need, for `fetch_together` (before the
        events go in); `compute` builds their instances."""
        return [query for query in (self.known_users, self.stored_days) if query is not None]

    def compute(self, locked_metrics: list[FetchedRows]) -> None:
        """Folds the events, merges them into the fetched rows (`reads`, and the batch's SkillMetrics
        rows, locked and fetched) and builds every upsert; runs no query."""
        per_day: dict[tuple[str, object], Aggregate] = {}
        for row in self.rows:
            key = (row["skill_id"], row["occurred_at"].date())
            day = per_day.get(key)
            if day is None:
                per_day[key] = day = Aggregate()
            day.add(row)
        daily = _daily_rows(self.days, self.stored_days)
        for key, agg in per_day.items():
            merge_into_daily(daily[key], agg)
        statements = instance_upsert_statements(
            SkillDailyUsage, list(daily.values()), keys=["skill", "day"], fields=DAILY_FIELDS
        )
        # A skill's batch aggregate is the sum of its days': each event is folded in once.
        per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
        for (skill_id, _day), agg in per_day.items():
            per_skill[skill_id].merge(agg)
        known_users = set(self.known_users.rows) if self.known_users is not None else set()
        new_users: dict[str, int] = defaultdict(int)
        for skill_id, _user_id in self.users - known_users:
            new_users[skill_id] += 1
        now = timezone.now()
        metrics = {row.skill_id: row for fetched in locked_metrics for row in fetched.instances()}
        for skill_id, agg in per_skill.items():
            merge_into_metrics(metrics[skill_id], agg, new_users[skill_id])
            metrics[skill_id].updated_at = now
        statements += instance_upsert_statements(
            SkillMetrics, [metrics[s] for s in per_skill], keys=["skill"], fields=METRICS_FIELDS
        )
        self.statements = statements

    def write(self) -> None:
        """Sends the upserts; on PostgreSQL pipelined, one round trip for all."""
        with _pipelined():
            run(self.statements)


@contextmanager
def _pipelined():
    """PostgreSQL's pipeline mode: statements are sent without waiting for their results (errors
    surface when the block ends, as Django's exceptions). Elsewhere, statements run one by one."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


# Every column: the rows are locked by this batch (feedback_record takes the same lock), and the
# insert half of an upsert must satisfy NOT NULL even when it ends as an update.
METRICS_FIELDS = [f.name for f in SkillMetrics._meta.concrete_fields if f.name != "skill"]


# Compiled once; the lists are bound as parameters.
_KNOWN_USERS = CompiledQuery(
    lambda: SkillUserUsage.objects.filter(
        one_of(SkillUserUsage, "skill_id", "skills"), one_of(SkillUserUsage, "user_id", "users")
    ).values_list("skill_id", "user_id")
)
_STORED_DAYS = CompiledQuery(
    lambda: SkillDailyUsage.objects.filter(
        one_of(SkillDailyUsage, "skill_id", "skills"), one_of(SkillDailyUsage, "day", "days")
    ).order_by()
)


def _daily_rows(days: set[tuple[str, object]], stored: FetchedRows | None) -> dict[tuple[str, object], SkillDailyUsage]:
    """The stored (skill, day) rows the batch touches, new unsaved rows for the others."""
    found = {(row.skill_id, row.day): row for row in stored.instances()} if stored is not None else {}
    return {key: found.get(key) or SkillDailyUsage(skill_id=key[0], day=key[1]) for key in sorted(days)}


DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]
