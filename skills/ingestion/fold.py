"""The roll-ups: stored events folded into SkillMetrics, the daily, session and user rows.

Every stored event is queued (`UsageEventPending`, by the log's trigger). A fold claims the
oldest queued events (`SKIP LOCKED`: concurrent folds take disjoint events), then locks the
SkillMetrics rows of their skills in skill order (concurrent folds cannot deadlock, and
feedback takes the same lock); every roll-up row belongs to one skill, so its read-modify-
write below is safe. The claimed events leave the queue in the transaction that folds them:
each event is folded exactly once, and `rebuild_metrics` (which empties the queue) agrees.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Min
from django.utils import timezone

from skills.aggregates import (
    Aggregate,
    max_none,
    merge_into_daily,
    merge_into_metrics,
    merge_into_version,
    min_none,
)
from skills.models import (
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersionUsage,
    UsageEvent,
    UsageEventPending,
)

from .upsert import ADD, GREATEST, KEEP, LEAST, REPLACE, upsert

FOLD_CHUNK = 2000  # events a transaction
FOLD_WHEN_DUE = 20_000  # the most a request folds: the rest waits for the next fold
FOLDED_COLUMNS = (
    "skill_id",
    "skill_version_id",
    "user_id",
    "session_id",
    "outcome",
    "latency_ms",
    "error_type",
    "workflow_path",
    "follow_up_actions",
    "tokens_used",
    "tokens_saved",
    "cost_usd",
    "occurred_at",
)
METRICS_FIELDS = [f.name for f in SkillMetrics._meta.concrete_fields if f.name != "skill"]
DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]
SESSION_COMBINE = {
    "invocation_count": ADD,
    "success_count": ADD,
    "first_invoked_at": LEAST,
    "last_invoked_at": GREATEST,
    "total_duration_ms": ADD,
}
USER_FIELDS = ["invocation_count", "first_invoked_at", "last_invoked_at"]
VERSION_FIELDS = [
    f.name for f in SkillVersionUsage._meta.concrete_fields if f.name not in {"id", "skill", "skill_version"}
]

_last_fold = float("-inf")  # this process's, by time.monotonic()


def fold_when_due(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Folds the queue if this process has not in the last INGEST_FOLD_INTERVAL_SECONDS: under a
    steady stream of posts one request in many pays for a fold, which takes all queued events.
    A negative interval leaves folding to the scheduled job and `fold_usage`."""
    global _last_fold
    interval, now = settings.INGEST_FOLD_INTERVAL_SECONDS, time.monotonic()
    if interval < 0 or now - _last_fold < interval:
        return
    _last_fold = now
    usage_rollups_fold(using=using, max_events=FOLD_WHEN_DUE)


def usage_rollups_fold(*, using: str = DEFAULT_DB_ALIAS, max_events: int | None = None) -> int:
    """Folds queued events into the roll-ups, oldest first, until the queue is empty (or about
    `max_events` are folded); returns how many it folded."""
    folded = 0
    while max_events is None or folded < max_events:
        count = _fold_chunk(using)
        folded += count
        if count < FOLD_CHUNK:
            break
    return folded


def metrics_as_of(*, using: str = DEFAULT_DB_ALIAS) -> datetime:
    """The roll-ups hold every event received before this instant (now, when none is queued)."""
    oldest = UsageEventPending.objects.using(using).aggregate(oldest=Min("received_at"))["oldest"]
    return oldest or timezone.now()


def _fold_chunk(using: str) -> int:
    with transaction.atomic(using=using):
        claimed = list(
            UsageEventPending.objects.using(using)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:FOLD_CHUNK]
        )
        if not claimed:
            return 0
        events = list(UsageEvent.objects.using(using).filter(id__one_of=claimed).order_by().values(*FOLDED_COLUMNS))
        UsageEventPending.objects.using(using).filter(id__one_of=claimed).delete()
        _fold(events, using)
    return len(claimed)


def _fold(events: list[dict], using: str) -> None:
    metrics = _locked_metrics(sorted({event["skill_id"] for event in events}), using)
    per_day: dict[tuple[str, object], Aggregate] = defaultdict(Aggregate)
    for event in events:
        per_day[(event["skill_id"], event["occurred_at"].date())].add(event)
    _write_daily(per_day, using)
    _write_sessions(events, using)
    _write_versions(events, using)
    new_users = _write_users(events, using)
    per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
    for (skill_id, _day), day in per_day.items():
        per_skill[skill_id].merge(day)
    for skill_id, aggregate in per_skill.items():
        merge_into_metrics(metrics[skill_id], aggregate, new_users[skill_id])
    _upsert(SkillMetrics, [metrics[skill_id] for skill_id in sorted(per_skill)], ["skill"], METRICS_FIELDS, using)


def _locked_metrics(skill_ids: list[str], using: str) -> dict[str, SkillMetrics]:
    """The skills' metrics rows, locked in skill order; a skill's first fold creates its row (the
    rows of the others are not written again: a metrics row is dozens of columns)."""
    rows = _lock_metrics(skill_ids, using)
    missing = [skill_id for skill_id in skill_ids if skill_id not in rows]
    if missing:
        new_rows = [SkillMetrics(skill_id=skill_id) for skill_id in missing]
        SkillMetrics.objects.using(using).bulk_create(new_rows, ignore_conflicts=True)
        rows.update(_lock_metrics(missing, using))
    return rows


def _lock_metrics(skill_ids: list[str], using: str) -> dict[str, SkillMetrics]:
    rows = SkillMetrics.objects.using(using).select_for_update().filter(skill_id__in=skill_ids).order_by("skill_id")
    return {row.skill_id: row for row in rows}


def _write_daily(per_day: dict[tuple[str, object], Aggregate], using: str) -> None:
    stored = SkillDailyUsage.objects.using(using).filter(
        skill_id__in={skill for skill, _ in per_day}, day__in={day for _, day in per_day}
    )
    rows = {(row.skill_id, row.day): row for row in stored}
    for key, aggregate in sorted(per_day.items()):
        row = rows.setdefault(key, SkillDailyUsage(skill_id=key[0], day=key[1]))
        merge_into_daily(row, aggregate)
    written = [rows[key] for key in sorted(per_day)]
    _upsert(SkillDailyUsage, written, ["skill", "day"], DAILY_FIELDS, using)


def _write_versions(events: list[dict], using: str) -> None:
    """SkillVersionUsage: per (skill, version) counts, latency sketch, tokens and cost (events of a
    skill without versions carry none and are left out)."""
    per_version: dict[int, Aggregate] = defaultdict(Aggregate)
    cost_squares: dict[int, Decimal] = defaultdict(Decimal)
    skill_of: dict[int, str] = {}
    for event in events:
        version = event["skill_version_id"]
        if version is not None:
            per_version[version].add(event)
            cost_squares[version] += event["cost_usd"] * event["cost_usd"]
            skill_of[version] = event["skill_id"]
    if not per_version:
        return
    stored = SkillVersionUsage.objects.using(using).filter(skill_version_id__in=per_version)
    rows = {row.skill_version_id: row for row in stored}
    for version in sorted(per_version):
        row = rows.setdefault(version, SkillVersionUsage(skill_version_id=version, skill_id=skill_of[version]))
        merge_into_version(row, per_version[version], cost_squares[version])
    written = [rows[version] for version in sorted(per_version)]
    _upsert(SkillVersionUsage, written, ["skill_version"], VERSION_FIELDS, using)


def _write_sessions(events: list[dict], using: str) -> None:
    """SessionSkill: (skill, session) counts, successes, first / last use and total duration, added
    to the stored rows by the database (no read: a batch brings a row for nearly every pair)."""
    folded: dict[tuple[str, str], list] = {}
    for event in events:
        if not event["session_id"]:
            continue
        at = event["occurred_at"]
        row = folded.get((event["skill_id"], event["session_id"]))
        if row is None:
            folded[(event["skill_id"], event["session_id"])] = row = [0, 0, at, at, 0]
        row[0] += 1
        row[1] += event["outcome"] == "success"
        row[2], row[3] = min(row[2], at), max(row[3], at)
        row[4] += event["latency_ms"] or 0
    rows = [(*key, *folded[key]) for key in sorted(folded)]
    upsert(SessionSkill, keys=["skill_id", "session_id"], combine=SESSION_COMBINE, rows=rows, using=using)


def _write_users(events: list[dict], using: str) -> dict[str, int]:
    """SkillUserUsage: (skill, user) counts and first / last use; returns the new users of each skill."""
    keys = {(event["skill_id"], event["user_id"]) for event in events if event["user_id"] is not None}
    new_users: dict[str, int] = defaultdict(int)
    if not keys:
        return new_users
    stored = SkillUserUsage.objects.using(using).filter(
        skill_id__in={skill for skill, _ in keys}, user_id__in={user for _, user in keys}
    )
    folded = {(row.skill_id, row.user_id): row for row in stored if (row.skill_id, row.user_id) in keys}
    for event in events:
        key = (event["skill_id"], event["user_id"])
        if key[1] is None:
            continue
        row = folded.get(key)
        if row is None:
            new_users[key[0]] += 1
            row = folded[key] = SkillUserUsage(skill_id=key[0], user_id=key[1], first_invoked_at=event["occurred_at"])
        row.invocation_count += 1
        row.first_invoked_at = min_none(row.first_invoked_at, event["occurred_at"])
        row.last_invoked_at = max_none(row.last_invoked_at, event["occurred_at"])
    _upsert(SkillUserUsage, [folded[key] for key in sorted(folded)], ["skill", "user"], USER_FIELDS, using)
    return new_users


def _upsert(model, rows: list, unique_fields: list[str], update_fields: list[str], using: str) -> None:
    """Inserts the rows (model instances), or overwrites `update_fields` of those already stored
    (sorted: concurrent writers lock shared rows in one order)."""
    keys = [model._meta.get_field(name) for name in unique_fields]
    others = [field for field in model._meta.concrete_fields if not (field.primary_key or field in keys)]
    # pre_save: each field's value as a save would write it (`auto_now` stamps the time).
    values = [tuple(field.pre_save(row, add=True) for field in (*keys, *others)) for row in rows]
    combine = {field.attname: REPLACE if field.name in update_fields else KEEP for field in others}
    upsert(model, keys=[field.attname for field in keys], combine=combine, rows=values, using=using)
