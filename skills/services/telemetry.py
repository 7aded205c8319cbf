"""Ingestion of usage events, with every aggregate moved in the same transaction.

Concurrency: a batch first locks the SkillMetrics rows of the skills it touches
(in skill_id order, so two batches cannot deadlock). Every aggregate row belongs
to one skill, so while a batch holds those locks no other batch can change the
aggregates it reads, or insert an event of those skills: the duplicate check and
the counters are therefore exact under concurrent writers, and retries are
counted once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC

import msgspec
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from skills.aggregates import Aggregate, EventFacts, merge_into_daily, merge_into_metrics
from skills.ingest import ParsedEvent, parse_events
from skills.models import (
    Outcome,
    SessionSkill,
    Skill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersion,
    UsageEvent,
)

from .upsert import upsert_add, upsert_instances

EVENT_ID_CONFLICT = "event_id was already received with a different payload"
USER_NOT_ALLOWED = "you may only post events attributed to yourself (needs the ingest_for_any_user permission)"
USER_UNKNOWN = "no user with this id"
AUTO_REGISTERED_DESCRIPTION = "Auto-registered from telemetry: an event named this skill before it was registered."


class InvalidEvents(Exception):
    """Some items are invalid; nothing was written. `errors` is [{"index": i, field: [messages]}]."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors


class EventConflict(Exception):
    """Some event ids were seen before with another payload; nothing was written."""

    def __init__(self, conflicts: list[dict]) -> None:
        super().__init__(f"{len(conflicts)} conflicting event id(s)")
        self.conflicts = conflicts


@dataclass
class RecordResult:
    received: int
    created: int
    duplicates: int
    event_ids: list = field(default_factory=list, repr=False)


def usage_events_record(*, events: list, user=None) -> RecordResult:
    """Validates and stores a batch of events (all or nothing) and moves every aggregate.

    `events` are raw payload dicts or already parsed events; `user` is the caller, to
    whom events are attributed unless they name another user (which needs the
    `skills.ingest_for_any_user` permission).
    """
    parsed = _parse(events)
    _check_attribution(parsed, user)
    with transaction.atomic():
        return _record(parsed, user)


def _parse(events: list) -> list[ParsedEvent]:
    if all(isinstance(event, ParsedEvent) for event in events):
        return list(events)
    parsed, errors = parse_events(events)
    if errors:
        raise InvalidEvents(errors)
    return parsed


def _check_attribution(parsed: list[ParsedEvent], user) -> None:
    named = {event.data.user for event in parsed if event.data.user is not None}
    own_id = getattr(user, "pk", None)
    if not named - {own_id}:
        return
    may_attribute = user is not None and user.has_perm("skills.ingest_for_any_user")
    existing = (
        set(get_user_model().objects.filter(pk__in=named).values_list("pk", flat=True)) if may_attribute else set()
    )
    errors = []
    for index, event in enumerate(parsed):
        named_id = event.data.user
        if named_id is None or named_id == own_id:
            continue
        if not may_attribute:
            errors.append({"index": index, "user": [USER_NOT_ALLOWED]})
        elif named_id not in existing:
            errors.append({"index": index, "user": [USER_UNKNOWN]})
    if errors:
        raise InvalidEvents(errors)


def _record(parsed: list[ParsedEvent], user) -> RecordResult:
    unique, duplicates = _dedupe_batch(parsed)
    skill_ids = sorted({event.data.skill_id for event in unique})
    _register_unknown_skills(skill_ids)
    metrics = _lock_metrics(skill_ids)
    fresh, seen_before = _drop_already_received(unique)
    now = timezone.now()
    rows = _event_rows(fresh, user, now)
    _insert_events(rows)
    _move_aggregates(rows, metrics)
    return RecordResult(
        received=len(parsed),
        created=len(rows),
        duplicates=duplicates + seen_before,
        event_ids=[row["event_id"] for row in rows],
    )


def _dedupe_batch(parsed: list[ParsedEvent]) -> tuple[list[ParsedEvent], int]:
    by_id: dict = {}
    conflicts = []
    for index, event in enumerate(parsed):
        first = by_id.setdefault(event.data.event_id, event)
        if first.payload_sha256 != event.payload_sha256:
            conflicts.append({"index": index, "event_id": str(event.data.event_id), "detail": EVENT_ID_CONFLICT})
    if conflicts:
        raise EventConflict(conflicts)
    return list(by_id.values()), len(parsed) - len(by_id)


def _register_unknown_skills(skill_ids: list[str]) -> None:
    known = set(Skill.objects.filter(skill_id__in=skill_ids).values_list("skill_id", flat=True))
    missing = [skill_id for skill_id in skill_ids if skill_id not in known]
    if missing:
        # No telemetry is dropped: the skill is registered disabled, for an admin to review.
        Skill.objects.bulk_create(
            [
                Skill(skill_id=skill_id, display_name=skill_id, description=AUTO_REGISTERED_DESCRIPTION, enabled=False)
                for skill_id in missing
            ],
            ignore_conflicts=True,
        )


def _lock_metrics(skill_ids: list[str]) -> dict[str, SkillMetrics]:
    locked = _select_locked(skill_ids)
    missing = [skill_id for skill_id in skill_ids if skill_id not in locked]
    if missing:
        SkillMetrics.objects.bulk_create(
            [SkillMetrics(skill_id=skill_id) for skill_id in missing], ignore_conflicts=True
        )
        locked.update(_select_locked(missing))
    return locked


def _select_locked(skill_ids: list[str]) -> dict[str, SkillMetrics]:
    rows = SkillMetrics.objects.select_for_update().filter(skill_id__in=skill_ids).order_by("skill_id")
    return {metrics.skill_id: metrics for metrics in rows}


def _drop_already_received(unique: list[ParsedEvent]) -> tuple[list[ParsedEvent], int]:
    stored = dict(
        UsageEvent.objects.filter(event_id__in=[event.data.event_id for event in unique]).values_list(
            "event_id", "payload_sha256"
        )
    )
    if not stored:
        return unique, 0
    conflicts = [
        {"index": index, "event_id": str(event.data.event_id), "detail": EVENT_ID_CONFLICT}
        for index, event in enumerate(unique)
        if event.data.event_id in stored and stored[event.data.event_id] != event.payload_sha256
    ]
    if conflicts:
        raise EventConflict(conflicts)
    fresh = [event for event in unique if event.data.event_id not in stored]
    return fresh, len(unique) - len(fresh)


def _version_ids(events: list[ParsedEvent]) -> dict[tuple[str, str | None], int | None]:
    """(skill_id, version or None) → SkillVersion id; None means the version current at receipt."""
    skill_ids = {event.data.skill_id for event in events}
    current = dict(SkillVersion.objects.filter(skill_id__in=skill_ids, is_current=True).values_list("skill_id", "id"))
    ids: dict = {(skill_id, None): current.get(skill_id) for skill_id in skill_ids}
    named = {(event.data.skill_id, event.data.skill_version) for event in events if event.data.skill_version}
    if named:
        ids.update(_named_version_ids(named))
    return ids


def _named_version_ids(named: set[tuple[str, str]]) -> dict:
    found = _lookup_versions(named)
    missing = named - found.keys()
    if missing:
        # A version the registry has not seen yet is recorded (not current) so the event keeps its attribution.
        SkillVersion.objects.bulk_create(
            [
                SkillVersion(skill_id=skill_id, version=version, changelog="Auto-registered from telemetry.")
                for skill_id, version in missing
            ],
            ignore_conflicts=True,
        )
        found = _lookup_versions(named)
    return found


def _lookup_versions(named: set[tuple[str, str]]) -> dict:
    rows = SkillVersion.objects.filter(
        skill_id__in={skill_id for skill_id, _ in named}, version__in={version for _, version in named}
    ).values_list("skill_id", "version", "id")
    return {(skill_id, version): pk for skill_id, version, pk in rows if (skill_id, version) in named}


def _event_rows(events: list[ParsedEvent], user, now) -> list[dict]:
    versions = _version_ids(events) if events else {}
    own_id = getattr(user, "pk", None)
    rows = []
    for event in events:
        data = event.data
        rows.append(
            {
                "event_id": data.event_id,
                "payload_sha256": event.payload_sha256,
                "skill_id": data.skill_id,
                "skill_version_id": versions[(data.skill_id, data.skill_version)],
                "user_id": data.user if data.user is not None else own_id,
                "session_id": data.session_id,
                "outcome": data.outcome,
                "completed": data.outcome == Outcome.SUCCESS,
                "latency_ms": data.latency_ms,
                "error_type": data.error_type,
                "workflow_path": data.workflow_path,
                "follow_up_actions": data.follow_up_actions,
                "input_hash": data.input_hash,
                "tokens_used": data.tokens_used,
                "tokens_saved": data.tokens_saved,
                "cost_usd": data.cost_usd,
                "state_snapshot": data.state_snapshot,
                "artifacts": data.artifacts,
                "project_path": data.project_path,
                "schema_version": data.schema_version,
                "occurred_at": (data.occurred_at or now).astimezone(UTC),
                "received_at": now,
            }
        )
    return rows


EVENT_COLUMNS = [
    "event_id",
    "payload_sha256",
    "skill_id",
    "skill_version_id",
    "user_id",
    "session_id",
    "outcome",
    "completed",
    "latency_ms",
    "error_type",
    "workflow_path",
    "follow_up_actions",
    "input_hash",
    "tokens_used",
    "tokens_saved",
    "cost_usd",
    "state_snapshot",
    "artifacts",
    "project_path",
    "schema_version",
    "occurred_at",
    "received_at",
]
JSON_COLUMNS = {"follow_up_actions", "state_snapshot", "artifacts"}


def _insert_events(rows: list[dict]) -> None:
    if not rows:
        return
    try:
        if connection.vendor == "postgresql":
            _copy_events(rows)
        else:
            UsageEvent.objects.bulk_create([UsageEvent(**row) for row in rows])
    except IntegrityError as error:
        # Only a racing batch with the same event id and another skill gets here.
        raise EventConflict([{"index": None, "event_id": None, "detail": f"{EVENT_ID_CONFLICT} ({error})"}]) from error


def _copy_events(rows: list[dict]) -> None:
    """COPY is the fastest way into PostgreSQL; it runs inside the batch's transaction."""
    columns = ", ".join(EVENT_COLUMNS)
    encode = msgspec.json.encode
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY skills_usageevent ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([encode(row[c]).decode() if c in JSON_COLUMNS else row[c] for c in EVENT_COLUMNS])


def _facts(row: dict) -> EventFacts:
    return EventFacts(
        skill_id=row["skill_id"],
        outcome=row["outcome"],
        latency_ms=row["latency_ms"],
        error_type=row["error_type"],
        workflow_path=row["workflow_path"],
        follow_up_actions=row["follow_up_actions"],
        tokens_used=row["tokens_used"],
        tokens_saved=row["tokens_saved"],
        cost_usd=row["cost_usd"],
        occurred_at=row["occurred_at"],
        user_id=row["user_id"],
        session_id=row["session_id"],
    )


def _move_aggregates(rows: list[dict], metrics: dict[str, SkillMetrics]) -> None:
    if not rows:
        return
    facts = [_facts(row) for row in rows]
    new_users = _move_user_usage(facts)
    _move_session_skills(facts)
    _move_daily(facts)
    per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
    for fact in facts:
        per_skill[fact.skill_id].add(fact)
    now = timezone.now()
    for skill_id, agg in per_skill.items():
        merge_into_metrics(metrics[skill_id], agg, new_users.get(skill_id, 0))
        metrics[skill_id].updated_at = now
    upsert_instances(SkillMetrics, [metrics[s] for s in per_skill], keys=["skill"], fields=METRICS_FIELDS)


# Every column: the rows are locked by this batch (feedback_record takes the same lock), and the
# insert half of an upsert must satisfy NOT NULL even when it ends as an update.
METRICS_FIELDS = [f.name for f in SkillMetrics._meta.concrete_fields if f.name != "skill"]


def _move_user_usage(facts: list[EventFacts]) -> dict[str, int]:
    """Upserts (skill, user) roll-ups and returns the number of new users a skill."""
    usage: dict[tuple[str, int], list] = {}
    for fact in facts:
        if fact.user_id is None:
            continue
        row = usage.setdefault((fact.skill_id, fact.user_id), [0, fact.occurred_at, fact.occurred_at])
        row[0] += 1
        row[1], row[2] = min(row[1], fact.occurred_at), max(row[2], fact.occurred_at)
    if not usage:
        return {}
    known = set(
        SkillUserUsage.objects.filter(
            skill_id__in={s for s, _ in usage}, user_id__in={u for _, u in usage}
        ).values_list("skill_id", "user_id")
    )
    upsert_add(
        SkillUserUsage,
        keys=["skill_id", "user_id"],
        combine={"invocation_count": "add", "first_invoked_at": "least", "last_invoked_at": "greatest"},
        rows=[(s, u, n, first, last) for (s, u), (n, first, last) in usage.items()],
    )
    new_users: dict[str, int] = defaultdict(int)
    for pair in usage.keys() - known:
        new_users[pair[0]] += 1
    return new_users


def _move_session_skills(facts: list[EventFacts]) -> None:
    sessions: dict[tuple[str, str], list] = {}
    for fact in facts:
        if not fact.session_id:
            continue
        row = sessions.setdefault((fact.session_id, fact.skill_id), [0, 0, fact.occurred_at, fact.occurred_at, 0])
        row[0] += 1
        row[1] += fact.outcome == Outcome.SUCCESS
        row[2], row[3] = min(row[2], fact.occurred_at), max(row[3], fact.occurred_at)
        row[4] += fact.latency_ms or 0
    if sessions:
        upsert_add(
            SessionSkill,
            keys=["session_id", "skill_id"],
            combine={
                "invocation_count": "add",
                "success_count": "add",
                "first_invoked_at": "least",
                "last_invoked_at": "greatest",
                "total_duration_ms": "add",
            },
            rows=[(sess, skill, *values) for (sess, skill), values in sessions.items()],
        )


def _move_daily(facts: list[EventFacts]) -> None:
    per_day: dict[tuple[str, object], Aggregate] = defaultdict(Aggregate)
    for fact in facts:
        per_day[(fact.skill_id, fact.occurred_at.date())].add(fact)
    existing = {
        (row.skill_id, row.day): row
        for row in SkillDailyUsage.objects.filter(skill_id__in={s for s, _ in per_day}, day__in={d for _, d in per_day})
    }
    rows = []
    for (skill_id, day), agg in per_day.items():
        row = existing.get((skill_id, day)) or SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into_daily(row, agg)
        rows.append(row)
    upsert_instances(SkillDailyUsage, rows, keys=["skill", "day"], fields=DAILY_FIELDS)


DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]

__all__ = [
    "EVENT_ID_CONFLICT",
    "EventConflict",
    "InvalidEvents",
    "RecordResult",
    "usage_events_record",
]
