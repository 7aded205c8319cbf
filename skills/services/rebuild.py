"""`rebuild_metrics`: every aggregate recomputed from the usage log alone.

The log is read through GROUP BY queries (the database does the O(events) work);
Python only folds the grouped rows into the same `Aggregate` arithmetic the ingest
path uses, so the result equals the incrementally kept values. The latency sketch
is built from (latency, count) pairs with weights, which gives the same bins as
adding each event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from skills.aggregates import ADDED, Aggregate, merge_into
from skills.ingestion.fold import team_days, write_sessions, write_users
from skills.models import (
    DAILY,
    METRICS,
    ROLLUP_KEYS,
    TEAM_DAILY,
    VERSION,
    Feedback,
    Kind,
    Measure,
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersionUsage,
    TeamDailyUsage,
    UsageEvent,
    UsageEventPending,
)
from skills.progress import NO_PROGRESS, Progress


@dataclass
class RebuildReport:
    events: int
    skills: int
    sessions: int
    days: int
    versions: int = 0


REBUILD_STEPS = 8


@transaction.atomic
def metrics_rebuild(*, progress: Progress = NO_PROGRESS) -> RebuildReport:
    """Recomputes SkillMetrics, SessionSkill and the roll-ups from the log; the queue of events
    waiting to be folded is emptied in the same transaction (they are counted here)."""
    progress.start(REBUILD_STEPS, "rebuild_metrics (steps)")
    if connection.vendor == "postgresql":
        # Writers wait until the rebuild commits, so it sees a log that does not move.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE skills_usageevent IN SHARE MODE")
    _empty(
        UsageEventPending,
        SkillMetrics,
        SessionSkill,
        SkillUserUsage,
        SkillDailyUsage,
        TeamDailyUsage,
        SkillVersionUsage,
    )
    progress.advance()
    every_event = ("1 = 1", [])  # the fold's statements, over the whole log
    sessions = write_sessions(every_event, DEFAULT_DB_ALIAS)
    progress.advance()
    write_users(every_event, DEFAULT_DB_ALIAS)
    progress.advance()
    per_skill = log_aggregates(METRICS)
    progress.advance()
    per_day = log_aggregates(DAILY)
    progress.advance()
    per_version = log_aggregates(VERSION)
    progress.advance()
    _write_metrics(per_skill)
    _write_daily(per_day)
    team_daily_write(team_days(per_day))
    progress.advance()
    SkillVersionUsage.objects.bulk_create(version_rows(per_version), batch_size=500)
    progress.advance()
    progress.finish()
    return RebuildReport(
        events=sum(agg.total for agg in per_skill.values()),
        skills=len(per_skill),
        sessions=sessions,
        days=len(per_day),
        versions=len(per_version),
    )


def _empty(*models) -> None:
    """Empties the queue and the roll-ups; first waits for folds in progress (they hold their queued
    rows) to commit. The queue by TRUNCATE on PostgreSQL: a DELETE of a large queue left every row
    dead, and `metrics_as_of` (the oldest queued event) scanned them until a vacuum. (The roll-ups
    are deleted: their foreign keys' checks may be pending in a caller's transaction, which TRUNCATE
    refuses.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {UsageEventPending._meta.db_table}")
        models = [model for model in models if model is not UsageEventPending]
    for model in models:
        model.objects.all().delete()


def _events(keys: tuple[str, ...], scope: QuerySet | None = None):
    events = (UsageEvent.objects.all() if scope is None else scope).order_by()
    if "skill_version_id" in keys:
        events = events.filter(skill_version__isnull=False)
    return events.annotate(day=TruncDate("occurred_at")) if "day" in keys else events


def log_aggregates(rollup: str, scope: QuerySet | None = None) -> dict[tuple, Aggregate]:
    """One Aggregate per group of the roll-up's keys (skill_id, and day or version), with the
    measures `rollup` keeps, over the events of `scope` (the whole log when None)."""
    keys = ROLLUP_KEYS[rollup]
    kept = [m for m in ADDED if rollup in m.columns]
    aggs: dict[tuple, Aggregate] = defaultdict(Aggregate)
    in_sql = [m for m in kept if m.rebuilt is not None]
    for row in _events(keys, scope).values(*keys).annotate(**{m.name: m.rebuilt() for m in in_sql}):
        agg = aggs[tuple(row[k] for k in keys)]
        for measure in in_sql:
            if row[measure.name] is not None:  # SUM over no value is NULL
                setattr(agg, measure.name, row[measure.name])
    for measure in kept:
        if measure.rebuilt is None:
            _add_grouped(aggs, keys, measure, scope)
    return aggs


def _add_grouped(aggs: dict, keys: tuple[str, ...], measure: Measure, scope: QuerySet | None) -> None:
    """A measure with no SQL aggregate (a sketch, counters, squares), from the log grouped by its
    column (and, for a counter, by who sent the value): each distinct value's contribution added
    with its count as the weight."""
    sender = ("user_id",) if measure.kind == Kind.COUNTER else ()
    rows = _events(keys, scope).values(*keys, measure.source, *sender).annotate(n=Count("id"))
    for row in rows.iterator(chunk_size=10_000):
        value = measure.value({measure.source: row[measure.source]})
        if value is not None:
            aggs[tuple(row[k] for k in keys)].add_weighted(measure, value, row["n"], row.get("user_id"))


def version_rows(per_version: dict[tuple, Aggregate]) -> list[SkillVersionUsage]:
    rows = []
    for (skill_id, version_id), agg in sorted(per_version.items()):
        row = SkillVersionUsage(skill_id=skill_id, skill_version_id=version_id)
        merge_into(row, VERSION, agg)
        rows.append(row)
    return rows


def _write_metrics(per_skill: dict[tuple, Aggregate]) -> None:
    users = dict(SkillUserUsage.objects.values("skill_id").annotate(n=Count("id")).values_list("skill_id", "n"))
    ratings = {
        row["skill_id"]: row
        for row in Feedback.objects.filter(rating__isnull=False)
        .values("skill_id")
        .annotate(count=Count("id"), total=Sum("rating"))
    }
    rows = []
    for skill_id in {key[0] for key in per_skill} | set(ratings):
        metrics = SkillMetrics(skill_id=skill_id)
        if skill_id in ratings:
            metrics.rating_count, metrics.rating_sum = ratings[skill_id]["count"], ratings[skill_id]["total"]
        metrics.unique_users = users.get(skill_id, 0)
        merge_into(metrics, METRICS, per_skill.get((skill_id,), Aggregate()))
        rows.append(metrics)
    SkillMetrics.objects.bulk_create(rows, batch_size=500)


def team_daily_write(per_team_day: dict) -> None:
    """TeamDailyUsage from the skills' day aggregates (the rebuild's, or the migration's that adds it)."""
    rows = []
    for day, agg in sorted(per_team_day.items()):
        row = TeamDailyUsage(day=day)
        merge_into(row, TEAM_DAILY, agg)
        rows.append(row)
    TeamDailyUsage.objects.bulk_create(rows, batch_size=500)


def _write_daily(per_day: dict[tuple, Aggregate]) -> None:
    rows = []
    for (skill_id, day), agg in per_day.items():
        daily = SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into(daily, DAILY, agg)
        rows.append(daily)
    SkillDailyUsage.objects.bulk_create(rows, batch_size=500)
