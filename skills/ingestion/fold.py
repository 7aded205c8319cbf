"""The roll-ups: stored events folded into SkillMetrics, the daily, version, session and user rows.

The queue. Every stored event is queued in `UsageEventPending` by the log's trigger
`skills_usageevent_pending` (migration 0002; on PostgreSQL one statement-level trigger a
recording's INSERT or COPY, on SQLite a row trigger), in the statement that stores it: recording
takes no lock shared with other writers, and the queue is consumed here and nowhere else.

Who folds, and when — this is the one place that says it:
- after a recording commits (`fold_after_commit`, called by `usage_events_record`): at once when
  the caller had no transaction, after its commit otherwise, never inside it; at most once every
  INGEST_FOLD_INTERVAL_SECONDS a process (`fold_when_due`), never when that is negative;
- the scheduled job `fold_rollups` (every few seconds, `skills/jobs/schedules.py`; also
  `manage.py fold_usage`), and a dedicated worker `manage.py fold_usage --follow`
  (`usage_rollups_follow`), for deployments whose web processes leave folding to it;
- `rebuild_metrics` recomputes everything from the log and empties the queue.

A fold claims the oldest queued events (`SKIP LOCKED`: concurrent folds take disjoint events),
then locks the SkillMetrics rows of their skills in skill order (concurrent folds cannot
deadlock, and feedback takes the same lock); every roll-up row belongs to one skill, so its
read-modify-write below is safe. The claimed events leave the queue in the transaction that
folds them: each event is folded exactly once, and `rebuild_metrics` agrees.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.models import Min
from django.utils import timezone

from skillsite.lookups import one_of_sql
from skillsite.metrics import fold_counted

from ..aggregates import ADDED, Aggregate, merge_into
from ..models import (
    DAILY,
    METRICS,
    TEAM_DAILY,
    VERSION,
    Outcome,
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersionUsage,
    TeamDailyUsage,
    UsageEvent,
    UsageEventPending,
)
from .upsert import ADD, GREATEST, KEEP, LEAST, REPLACE, upsert, upsert_selected

FOLD_CHUNK = 2000  # events a transaction
FOLD_WHEN_DUE = 20_000  # the most a request folds: the rest waits for the next fold
FOLLOW_IDLE_SECONDS = 0.05  # how long a fold worker waits when nothing is queued
RECONNECT_SECONDS = 1.0  # how long it waits when the database cannot be reached
# The columns the measures read (the session and user rows are counted by the database).
FOLDED_COLUMNS = ("skill_id", "skill_version_id", "user_id", *sorted({m.source for m in ADDED if m.source}))
METRICS_FIELDS = [f.name for f in SkillMetrics._meta.concrete_fields if f.name != "skill"]
DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]
TEAM_DAILY_FIELDS = [f.name for f in TeamDailyUsage._meta.concrete_fields if f.name not in {"id", "day"}]
# The session and user rows of some events of the log (a condition, `events`), counted by the
# database, in the order of `upsert_selected`'s keys and columns; `rebuild_metrics` counts them all.
SESSION_ROWS = (
    "SELECT skill_id, session_id, COUNT(*), SUM(CASE WHEN outcome = %s THEN 1 ELSE 0 END), MIN(occurred_at), "
    "MAX(occurred_at), COALESCE(SUM(latency_ms), 0) FROM {log} WHERE session_id <> '' AND {events} "
    "GROUP BY skill_id, session_id ORDER BY skill_id, session_id"
)
SESSION_COMBINE = {
    "invocation_count": ADD,
    "success_count": ADD,
    "first_invoked_at": LEAST,
    "last_invoked_at": GREATEST,
    "total_duration_ms": ADD,
}
USER_ROWS = (
    "SELECT skill_id, user_id, COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM {log} "
    "WHERE user_id IS NOT NULL AND {events} GROUP BY skill_id, user_id ORDER BY skill_id, user_id"
)
USER_COMBINE = {"invocation_count": ADD, "first_invoked_at": LEAST, "last_invoked_at": GREATEST}
VERSION_FIELDS = [
    f.name for f in SkillVersionUsage._meta.concrete_fields if f.name not in {"id", "skill", "skill_version"}
]

logger = logging.getLogger("skills.ingestion")
_last_fold = float("-inf")  # this process's, by time.monotonic()


def fold_after_commit(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """What recording asks for once its events are stored: a fold when due, after the caller's
    transaction commits (at once when there is none: the insert committed by itself). Never inside
    it, so a caller — a roadmap's creation, an OTLP post — holds no metrics row locked and pays for
    no fold before its own commit; a rolled-back caller folds nothing."""
    transaction.on_commit(partial(fold_when_due, using=using), using=using)


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
    folded, started = 0, time.perf_counter()
    while max_events is None or folded < max_events:
        count = _fold_chunk(using)
        folded += count
        if count < FOLD_CHUNK:
            break
    if folded:
        fold_counted(events=folded, seconds=time.perf_counter() - started)
    return folded


def usage_rollups_follow(
    *, stopping: Callable[[], bool], idle_seconds: float = FOLLOW_IDLE_SECONDS, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Folds queued events as they arrive until `stopping()` says so: the loop of a dedicated fold
    worker (`fold_usage --follow`) for web processes that leave folding to it. Waits `idle_seconds`
    whenever the queue is empty; returns how many events it folded.

    A lost database connection (a restart, a failover) does not end the worker: the fold's
    transaction rolled back, so its events are still queued; it reconnects and carries on."""
    folded = 0
    while not stopping():
        try:
            count = usage_rollups_fold(using=using)
        except (OperationalError, InterfaceError):
            logger.exception("fold worker: the database could not be reached; retrying in %s s", RECONNECT_SECONDS)
            connections[using].close()
            time.sleep(RECONNECT_SECONDS)
            continue
        folded += count
        if not count:
            time.sleep(idle_seconds)
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
        _fold(events, claimed, using)
    return len(claimed)


def _fold(events: list[dict], claimed: list[int], using: str) -> None:
    metrics = _locked_metrics(sorted({event["skill_id"] for event in events}), using)
    # Each event added once, to its (skill, version, day); the day, version and skill roll-ups merge those.
    groups: dict[tuple[str, int | None, date], list[dict]] = defaultdict(list)
    for event in events:
        groups[(event["skill_id"], event["skill_version_id"], event["occurred_at"].date())].append(event)
    per_day: dict[tuple[str, date], Aggregate] = defaultdict(Aggregate)
    per_version: dict[tuple[str, int], Aggregate] = defaultdict(Aggregate)
    for (skill_id, version_id, day), group in groups.items():
        aggregate = Aggregate()
        aggregate.add(group)
        per_day[(skill_id, day)].merge(aggregate)
        if version_id is not None:  # events of a skill without versions carry none
            per_version[(skill_id, version_id)].merge(aggregate)
    _write_daily(per_day, using)
    _write_team_daily(team_days(per_day), using)
    _write_versions(per_version, using)
    folded_events = one_of_sql("id", UsageEvent._meta.pk, claimed, connections[using])
    write_sessions(folded_events, using)
    new_users = _new_users(events, using)
    write_users(folded_events, using)
    per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
    for (skill_id, _day), day in per_day.items():
        per_skill[skill_id].merge(day)
    for skill_id, aggregate in per_skill.items():
        metrics[skill_id].unique_users += new_users[skill_id]
        merge_into(metrics[skill_id], METRICS, aggregate)
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
        merge_into(row, DAILY, aggregate)
    written = [rows[key] for key in sorted(per_day)]
    _upsert(SkillDailyUsage, written, ["skill", "day"], DAILY_FIELDS, using)


def team_days(per_day: dict[tuple[str, date], Aggregate]) -> dict[date, Aggregate]:
    """The skills' day aggregates added up per day: TeamDailyUsage's rows (the fold's and the rebuild's)."""
    per_team_day: dict[date, Aggregate] = defaultdict(Aggregate)
    for (_skill_id, day), aggregate in per_day.items():
        per_team_day[day].merge(aggregate)
    return per_team_day


def _write_team_daily(per_team_day: dict[date, Aggregate], using: str) -> None:
    days = sorted(per_team_day)
    TeamDailyUsage.objects.using(using).bulk_create([TeamDailyUsage(day=day) for day in days], ignore_conflicts=True)
    # Locked in day order: folds of other skills (whose metrics rows they lock, not these) add to the same days.
    stored = TeamDailyUsage.objects.using(using).select_for_update().filter(day__in=days).order_by("day")
    rows = {row.day: row for row in stored}
    for day in days:
        merge_into(rows[day], TEAM_DAILY, per_team_day[day])
    _upsert(TeamDailyUsage, [rows[day] for day in days], ["day"], TEAM_DAILY_FIELDS, using)


def _write_versions(per_version: dict[tuple[str, int], Aggregate], using: str) -> None:
    """SkillVersionUsage: per (skill, version) counts, latency sketch, tokens and cost."""
    if not per_version:
        return
    stored = SkillVersionUsage.objects.using(using).filter(skill_version_id__in=[v for _, v in per_version])
    rows = {row.skill_version_id: row for row in stored}
    for skill_id, version_id in sorted(per_version):
        row = rows.setdefault(version_id, SkillVersionUsage(skill_version_id=version_id, skill_id=skill_id))
        merge_into(row, VERSION, per_version[(skill_id, version_id)])
    written = [rows[version_id] for version_id in sorted(rows)]
    _upsert(SkillVersionUsage, written, ["skill_version"], VERSION_FIELDS, using)


def write_sessions(events: tuple[str, list], using: str) -> int:
    """SessionSkill: the (skill, session) counts, successes, first / last use and total duration of
    the events `events` selects (a condition on the log and its parameters), counted by the database
    and added to the stored rows (a batch brings a row for nearly every pair). Returns the rows written."""
    condition, params = events
    select = SESSION_ROWS.format(log=UsageEvent._meta.db_table, events=condition)
    return upsert_selected(
        SessionSkill, keys=["skill_id", "session_id"], combine=SESSION_COMBINE, select=select,
        params=[Outcome.SUCCESS, *params], using=using,
    )  # fmt: skip


def write_users(events: tuple[str, list], using: str) -> None:
    """SkillUserUsage: the (skill, user) counts and first / last use of the events `events` selects,
    counted by the database and added to the stored rows."""
    condition, params = events
    select = USER_ROWS.format(log=UsageEvent._meta.db_table, events=condition)
    upsert_selected(
        SkillUserUsage, keys=["skill_id", "user_id"], combine=USER_COMBINE, select=select, params=params, using=using
    )


def _new_users(events: list[dict], using: str) -> dict[str, int]:
    """How many users of each skill the events bring that the skill's user rows do not hold yet."""
    keys = {(event["skill_id"], event["user_id"]) for event in events if event["user_id"] is not None}
    new_users: dict[str, int] = defaultdict(int)
    if not keys:
        return new_users
    stored = set(
        SkillUserUsage.objects.using(using)
        .filter(skill_id__in={skill for skill, _ in keys}, user_id__in={user for _, user in keys})
        .values_list("skill_id", "user_id")
    )
    for skill_id, _user in keys - stored:
        new_users[skill_id] += 1
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
