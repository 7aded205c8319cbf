"""`usage_events_record`: validates events and stores them in the log, all or nothing.

The log's triggers (migration 0002) register each event's id for its user and queue the event
for the roll-ups; nothing here takes a lock shared by other writers, so any number of clients
can post at once. The roll-ups are folded from that queue (`fold.py`), by this process when a
fold is due, by the scheduled job, and by `rebuild_metrics`.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from skillsite.lookups import one_of_sql

from ..models import Outcome, Skill, SkillVersion, UsageEvent, UsageEventKey
from .copy import COPY_THRESHOLD, copy_events, uses_copy
from .errors import EventConflict, EventsForbidden, InvalidEvents
from .events import ParsedEvent, parse_events
from .fold import fold_when_due

EVENT_ID_CONFLICT = "event_id was already received with a different payload"
USER_NOT_ALLOWED = "you may only post events attributed to yourself (needs the ingest_for_any_user permission)"
USER_UNKNOWN = "no user with this id"
AUTO_REGISTERED_DESCRIPTION = "Auto-registered from telemetry: an event named this skill before it was registered."
AUTO_REGISTERED_VERSION = "Auto-registered from telemetry."
NO_USER_KEY = 0  # the registry's user_key of events with no user
STORE_ATTEMPTS = 5


@dataclass(frozen=True)
class RecordResult:
    received: int
    created: int
    duplicates: int


def usage_events_record(
    *, events: Any, user=None, max_batch: int | None = None, using: str = DEFAULT_DB_ALIAS
) -> RecordResult:
    """Stores a decoded request body — one event (a dict) or a list of them — all or nothing.

    Events are attributed to `user` unless they name another user, which needs the
    `skills.ingest_for_any_user` permission. An event id is unique per attributed user: a
    retry (same id, same payload) is counted as a duplicate and stored once; the same id with
    another payload raises EventConflict. Raises InvalidEvents or EventsTooLarge for bad input
    (the API caps a batch at `max_batch` events; other callers chunk as they see fit).
    """
    now = timezone.now()
    parsed = parse_events(events, now=now, max_batch=max_batch)
    owners = _owners(parsed, user, using)
    unique = _first_of_each_id(parsed, owners)
    created = _store(unique, now, using)
    if created:
        fold_when_due(using=using)
    return RecordResult(received=len(parsed), created=created, duplicates=len(parsed) - created)


class _Owned(NamedTuple):
    event: ParsedEvent
    index: int  # in the batch, for error messages
    user_id: int | None
    key: tuple[int, object]  # the event's key in the registry: (user_key, event_id)


def _owners(parsed: list[ParsedEvent], user, using: str) -> list[int | None]:
    """The user each event is attributed to; InvalidEvents for users the caller may not name."""
    own_id = getattr(user, "pk", None)
    named = {event.data.user for event in parsed if event.data.user is not None} - {own_id}
    if named:
        may_attribute = user is not None and user.has_perm("skills.ingest_for_any_user")
        existing = set(get_user_model().objects.using(using).filter(pk__in=named).values_list("pk", flat=True))
        errors = [
            {"index": index, "user": [USER_UNKNOWN if may_attribute else USER_NOT_ALLOWED]}
            for index, event in enumerate(parsed)
            if event.data.user in named and (not may_attribute or event.data.user not in existing)
        ]
        if errors:
            raise InvalidEvents(errors) if may_attribute else EventsForbidden(errors)
    return [own_id if event.data.user is None else event.data.user for event in parsed]


def _first_of_each_id(parsed: list[ParsedEvent], owners: list[int | None]) -> list[_Owned]:
    """The batch without events it repeats; 409 naming any repeat with another payload."""
    first: dict[tuple, _Owned] = {}
    conflicts = []
    for index, (event, owner) in enumerate(zip(parsed, owners, strict=True)):
        owned = _Owned(event, index, owner, (NO_USER_KEY if owner is None else owner, event.data.event_id))
        earlier = first.setdefault(owned.key, owned)
        if earlier.event.payload_sha256 != event.payload_sha256:
            conflicts.append(_conflict(owned))
    if conflicts:
        raise EventConflict(conflicts)
    return list(first.values())


def _conflict(owned: _Owned) -> dict:
    return {"index": owned.index, "event_id": str(owned.event.data.event_id), "detail": EVENT_ID_CONFLICT}


def _store(events: list[_Owned], now, using: str) -> int:
    """Inserts the events not received before; returns how many. The events go in with one
    statement (an INSERT or a COPY, whose triggers register and queue them), atomic by itself."""
    # Inserted first: the registry's unique key decides. When it refuses the insert (a retry, or a
    # concurrent post of some of the same ids), the next attempt reads which events were received
    # before and inserts the rest. Reading first would cost every new event a lookup; a refused
    # insert costs its own work, and only a retry pays it. Each refusal means another post stored
    # some of these events meanwhile, so overlapping concurrent batches need a few attempts.
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with _savepoint_in_a_callers_transaction(using):
                new = events if attempt == 1 else _not_received_before(events, using)
                if new:
                    _insert(new, now, using)
                return len(new)
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _savepoint_in_a_callers_transaction(using: str):
    """Within a caller's transaction, a savepoint, so that a refused insert leaves the caller's
    transaction usable; outside one, nothing is needed (and nothing spent on BEGIN and COMMIT)."""
    in_a_transaction = not transaction.get_autocommit(using=using)
    return transaction.atomic(using=using) if in_a_transaction else nullcontext()


def _not_received_before(events: list[_Owned], using: str) -> list[_Owned]:
    """The events whose (user, id) the registry does not hold; 409 naming any it holds with another payload."""
    ids_by_user: dict[int, list] = {}
    for owned in events:
        user_key, event_id = owned.key
        ids_by_user.setdefault(user_key, []).append(event_id)
    condition = Q()
    for user_key, event_ids in ids_by_user.items():
        condition |= Q(user_key=user_key, event_id__one_of=event_ids)
    stored = {
        (user_key, event_id): payload_sha256
        for user_key, event_id, payload_sha256 in UsageEventKey.objects.using(using)
        .filter(condition)
        .values_list("user_key", "event_id", "payload_sha256")
    }
    conflicts = [_conflict(o) for o in events if o.key in stored and stored[o.key] != o.event.payload_sha256]
    if conflicts:
        raise EventConflict(conflicts)
    return [owned for owned in events if owned.key not in stored]


def _insert(events: list[_Owned], now, using: str) -> None:
    versions = _version_ids(events, using)
    rows = [_row(owned, versions, now) for owned in events]
    if uses_copy(using) and len(rows) >= COPY_THRESHOLD:
        copy_events(rows, using)
    elif len(rows) == 1:
        UsageEvent(**rows[0]).save(using=using, force_insert=True)  # unlike bulk_create, no BEGIN / COMMIT
    else:
        UsageEvent.objects.using(using).bulk_create([UsageEvent(**row) for row in rows])


def _version_ids(events: list[_Owned], using: str) -> dict[tuple[str, str | None], int | None]:
    """(skill_id, version) → SkillVersion id, with (skill_id, None) → the version current now.
    Skills and named versions the registry has not seen are registered (a skill disabled), so
    no telemetry is lost and every event is attributed to a version where one is known."""
    skill_ids = sorted({owned.event.data.skill_id for owned in events})
    ids = {(skill_id, None): version_id for skill_id, version_id in _current_versions(skill_ids, using)}
    unknown = [skill_id for skill_id in skill_ids if (skill_id, None) not in ids]
    if unknown:
        registered = [
            Skill(skill_id=skill_id, display_name=skill_id, description=AUTO_REGISTERED_DESCRIPTION, enabled=False)
            for skill_id in unknown
        ]
        Skill.objects.using(using).bulk_create(registered, ignore_conflicts=True)
    named = {(o.event.data.skill_id, o.event.data.skill_version) for o in events if o.event.data.skill_version}
    if named:
        ids.update(_named_version_ids(named, using))
    return ids


def _current_versions(skill_ids: list[str], using: str) -> list[tuple[str, int | None]]:
    """(skill_id, id of its current version or None) of the registered skills among `skill_ids`.
    Every request asks it: written as SQL, it costs a third of the ORM's subquery, compiled each time."""
    connection = connections[using]
    skills, params = one_of_sql("s.skill_id", Skill._meta.pk, skill_ids, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.skill_id, v.id FROM {Skill._meta.db_table} s LEFT JOIN {SkillVersion._meta.db_table} v "
            f"ON v.skill_id = s.skill_id AND v.is_current WHERE {skills}",  # one current version a skill (a constraint)
            params,
        )
        return cursor.fetchall()


def _named_version_ids(named: set[tuple[str, str]], using: str) -> dict[tuple[str, str], int]:
    def found() -> dict[tuple[str, str], int]:
        rows = SkillVersion.objects.using(using).filter(
            skill_id__in={s for s, _ in named}, version__in={v for _, v in named}
        )
        return {(s, v): pk for s, v, pk in rows.values_list("skill_id", "version", "id") if (s, v) in named}

    ids = found()
    missing = named - ids.keys()
    if missing:
        # A version the registry has not seen yet is recorded (not current) so the event keeps its attribution.
        SkillVersion.objects.using(using).bulk_create(
            [SkillVersion(skill_id=s, version=v, changelog=AUTO_REGISTERED_VERSION) for s, v in sorted(missing)],
            ignore_conflicts=True,
        )
        ids = found()
    return ids


def _row(owned: _Owned, versions: dict, now) -> dict:
    """The log's columns of one event."""
    data = owned.event.data
    return {
        "event_id": data.event_id,
        "payload_sha256": owned.event.payload_sha256,
        "skill_id": data.skill_id,
        "skill_version_id": versions.get((data.skill_id, data.skill_version)),
        "user_id": owned.user_id,
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
        "occurred_at": owned.event.occurred_at,
        "received_at": now,
    }
