"""The aggregates an ingested batch moves: SkillMetrics and the daily roll-up.

SessionSkill and SkillUserUsage are moved by the database itself, by the log's roll-up
trigger (migration 0011), as the events are inserted. Used by `usage_events_record` with
the batch's SkillMetrics rows already locked, so every read-modify-write here is safe from
concurrent batches. The work is split in three so that ingestion can overlap it with the
events' COPY: `read` (the stored rows the batch touches), `compute` (pure Python, no
query), `write` (the upserts, pipelined).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from skills.aggregates import Aggregate, merge_into_daily, merge_into_metrics
from skills.models import SkillDailyUsage, SkillMetrics, SkillUserUsage

from .fetched import FetchedRows
from .upsert import Statement, instance_upsert_statements, run


class BatchRollups:
    """Moves a batch's new events (dicts of the log's columns) into every aggregate."""

    def __init__(self, rows: list[dict], locked_metrics: list[FetchedRows]) -> None:
        """`locked_metrics`: the batch's SkillMetrics rows, locked and fetched."""
        self.rows = rows
        self.locked_metrics = locked_metrics
        self.statements: list[Statement] = []

    def read(self) -> None:
        """Fetches the stored rows the batch's read-modify-writes need (`compute` builds their instances)."""
        rows = self.rows
        self.users = {(row["skill_id"], row["user_id"]) for row in rows if row["user_id"] is not None}
        # Read before the events go in: the roll-up trigger records their users as they do.
        self.known_users = _known_users(self.users)
        self.days = {(row["skill_id"], row["occurred_at"].date()) for row in rows}
        self.stored_days = FetchedRows(
            SkillDailyUsage.objects.filter(
                skill_id__in={s for s, _ in self.days}, day__in={d for _, d in self.days}
            ).order_by()
        )

    def compute(self) -> None:
        """Folds the events, merges them into the fetched rows and builds every upsert; runs no query."""
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
        new_users: dict[str, int] = defaultdict(int)
        for skill_id, _user_id in self.users - self.known_users:
            new_users[skill_id] += 1
        now = timezone.now()
        metrics = {row.skill_id: row for fetched in self.locked_metrics for row in fetched.instances()}
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


def _known_users(pairs: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The (skill, user) pairs of the batch that have invoked the skill before."""
    if not pairs:
        return set()
    return set(
        SkillUserUsage.objects.filter(
            skill_id__in={s for s, _ in pairs}, user_id__in={u for _, u in pairs}
        ).values_list("skill_id", "user_id")
    )


def _daily_rows(days: set[tuple[str, object]], stored: FetchedRows) -> dict[tuple[str, object], SkillDailyUsage]:
    """The stored (skill, day) rows the batch touches, new unsaved rows for the others."""
    found = {(row.skill_id, row.day): row for row in stored.instances()}
    return {key: found.get(key) or SkillDailyUsage(skill_id=key[0], day=key[1]) for key in sorted(days)}


DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]
