"""`rebuild_metrics`: every aggregate recomputed from the usage log alone.

The log is read through GROUP BY queries (the database does the O(events) work);
Python only folds the grouped rows into the same `Aggregate` arithmetic the ingest
path uses, so the result equals the incrementally kept values. The latency sketch
is built from (latency, count) pairs with weights, which gives the same bins as
adding each event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from skills.aggregates import Aggregate, merge_into_daily, merge_into_metrics, merge_into_version
from skills.ingestion.fold import write_sessions, write_users
from skills.models import (
    Feedback,
    Outcome,
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersionUsage,
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
    # First: waits for folds in progress (they hold their queued rows) to commit.
    UsageEventPending.objects.all().delete()
    for model in (SkillMetrics, SessionSkill, SkillUserUsage, SkillDailyUsage, SkillVersionUsage):
        model.objects.all().delete()
    progress.advance()
    every_event = ("1 = 1", [])  # the fold's statements, over the whole log
    sessions = write_sessions(every_event, DEFAULT_DB_ALIAS)
    progress.advance()
    write_users(every_event, DEFAULT_DB_ALIAS)
    progress.advance()
    per_skill = log_aggregates(["skill_id"])
    progress.advance()
    per_day = log_aggregates(["skill_id", "day"])
    progress.advance()
    per_version = version_aggregates(UsageEvent.objects.all())
    progress.advance()
    _write_metrics(per_skill)
    _write_daily(per_day)
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


def _events(keys: list[str], scope: QuerySet | None = None):
    events = (UsageEvent.objects.all() if scope is None else scope).order_by()
    if "skill_version_id" in keys:
        events = events.filter(skill_version__isnull=False)
    return events.annotate(day=TruncDate("occurred_at")) if "day" in keys else events


def log_aggregates(keys: list[str], scope: QuerySet | None = None) -> dict[tuple, Aggregate]:
    """One Aggregate per group of `keys` (skill_id, and day or version for the roll-ups), over the
    events of `scope` (the whole log when None)."""
    aggs: dict[tuple, Aggregate] = defaultdict(Aggregate)
    outcome_counts = {o: Count("id", filter=Q(outcome=o)) for o in Outcome.values}
    for row in (
        _events(keys, scope)
        .values(*keys)
        .annotate(
            total=Count("id"),
            duration_count=Count("latency_ms"),
            duration_sum=Sum("latency_ms"),
            duration_min=Min("latency_ms"),
            duration_max=Max("latency_ms"),
            tokens_used=Sum("tokens_used"),
            tokens_saved=Sum("tokens_saved"),
            cost=Sum("cost_usd"),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
            **outcome_counts,
        )
    ):
        agg = aggs[tuple(row[k] for k in keys)]
        agg.total = row["total"]
        agg.outcomes = Counter({o: row[o] for o in Outcome.values if row[o]})
        agg.duration_count, agg.duration_sum = row["duration_count"], row["duration_sum"] or 0
        agg.duration_min, agg.duration_max = row["duration_min"], row["duration_max"]
        agg.tokens_used, agg.tokens_saved, agg.cost = row["tokens_used"], row["tokens_saved"], row["cost"]
        agg.first, agg.last = row["first"], row["last"]
    _add_latencies(aggs, keys, scope)
    if "skill_version_id" not in keys:  # the version roll-up keeps no counters
        _add_counters(aggs, keys, "workflow_path", "workflow_paths", scope)
        _add_counters(aggs, keys, "error_type", "error_types", scope)
    if keys == ["skill_id"]:
        _add_follow_ups(aggs, scope)
    return aggs


def version_aggregates(scope: QuerySet) -> dict[tuple, Aggregate]:
    """Per (skill, version) of the events of `scope`, with the sum of squared costs."""
    aggs = log_aggregates(["skill_id", "skill_version_id"], scope)
    rows = (
        _events(["skill_version_id"], scope).values("skill_id", "skill_version_id", "cost_usd").annotate(n=Count("id"))
    )
    for row in rows.iterator(chunk_size=10_000):
        aggs[(row["skill_id"], row["skill_version_id"])].cost_squares += row["cost_usd"] * row["cost_usd"] * row["n"]
    return aggs


def version_rows(per_version: dict[tuple, Aggregate]) -> list[SkillVersionUsage]:
    rows = []
    for (skill_id, version_id), agg in sorted(per_version.items()):
        row = SkillVersionUsage(skill_id=skill_id, skill_version_id=version_id)
        merge_into_version(row, agg)
        rows.append(row)
    return rows


def _add_latencies(aggs: dict, keys: list[str], scope: QuerySet | None) -> None:
    rows = _events(keys, scope).filter(latency_ms__isnull=False).values(*keys, "latency_ms").annotate(n=Count("id"))
    for row in rows.iterator(chunk_size=10_000):
        aggs[tuple(row[k] for k in keys)].sketch.add(row["latency_ms"], row["n"])


def _add_counters(aggs: dict, keys: list[str], column: str, counter: str, scope: QuerySet | None) -> None:
    rows = _events(keys, scope).exclude(**{column: ""}).values(*keys, column).annotate(n=Count("id"))
    for row in rows.iterator(chunk_size=10_000):
        getattr(aggs[tuple(row[k] for k in keys)], counter)[row[column]] = row["n"]


def _add_follow_ups(aggs: dict, scope: QuerySet | None) -> None:
    # Few events carry follow-up actions; their lists are unpacked here, portably.
    rows = _events([], scope).exclude(follow_up_actions=[]).values_list("skill_id", "follow_up_actions")
    for skill_id, actions in rows.iterator(chunk_size=10_000):
        aggs[(skill_id,)].follow_ups.update(str(action) for action in actions)


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
        merge_into_metrics(metrics, per_skill.get((skill_id,), Aggregate()), users.get(skill_id, 0))
        rows.append(metrics)
    SkillMetrics.objects.bulk_create(rows, batch_size=500)


def _write_daily(per_day: dict[tuple, Aggregate]) -> None:
    rows = []
    for (skill_id, day), agg in per_day.items():
        daily = SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into_daily(daily, agg)
        rows.append(daily)
    SkillDailyUsage.objects.bulk_create(rows, batch_size=500)
