"""`usage_events_record`: validates events and stores them in the log, all or nothing.

The log's triggers (migration 0002) register each event's id for its user and queue the event
for the roll-ups; nothing here takes a lock shared by other writers, so any number of clients
can post at once, and nothing here folds: the roll-ups are folded from that queue after the
recording commits, or by a worker (`fold.py` says who and when).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from skillsite.metrics import usage_events_counted

from ..models import Outcome, UsageEvent, UsageEventKey
from .copy import COPY_THRESHOLD, copy_events, uses_copy
from .errors import EventConflict, EventsForbidden, InvalidEvents
from .events import ParsedEvent, parse_events
from .fold import fold_after_commit
from .identity import Counted, OwnedEvent, Registers, resolve

EVENT_ID_CONFLICT = "event_id was already received with a different payload"
USER_NOT_ALLOWED = "you may only post events attributed to yourself (needs the ingest_for_any_user permission)"
USER_UNKNOWN = "no user with this id"
NO_USER_KEY = 0  # the registry's user_key of events with no user
STORE_ATTEMPTS = 5


@dataclass(frozen=True)
class RecordResult:
    received: int
    created: int
    duplicates: int
    held: int = 0  # events naming an unregistered skill, kept for staff (skills.ingestion.identity)
    counted: dict = field(default_factory=dict)  # event_id → the skill each stored event counts for


def usage_events_record(
    *,
    events: Any,
    user=None,
    max_batch: int | None = None,
    registers: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> RecordResult:
    """Stores a decoded request body — one event (a dict) or a list of them — all or nothing.

    Events are attributed to `user` unless they name another user, which needs the
    `skills.ingest_for_any_user` permission. An event id is unique per attributed user: a
    retry (same id, same payload) is counted as a duplicate and stored once; the same id with
    another payload raises EventConflict. Raises InvalidEvents or EventsTooLarge for bad input
    (the API caps a batch at `max_batch` events; other callers chunk as they see fit).
    Skills and versions the registry has not seen are registered only when `registers` (by
    default: when `user` may register); otherwise they are held or kept apart for staff
    (`skills.ingestion.identity`).
    """
    now = timezone.now()
    parsed = parse_events(events, now=now, max_batch=max_batch)
    owners = _owners(parsed, user, using)
    unique = _first_of_each_id(parsed, owners)
    # Asked only when an event names something unknown: the permission check costs queries.
    counted: dict = {}
    created, held = _store(unique, now, Registers(user, registers), using, counted)
    if created:
        fold_after_commit(using=using)
    duplicates = len(parsed) - created - held
    result = RecordResult(received=len(parsed), created=created, duplicates=duplicates, held=held, counted=counted)
    # Counted once stored for good: inside a caller's transaction, at its commit.
    transaction.on_commit(partial(usage_events_counted, created=created, duplicates=result.duplicates), using=using)
    return result


def held_events_store(events: list[OwnedEvent], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Stores events held earlier (valid, with their own time and payload hash) where the registry
    now places them; returns how many entered the log. Registers nothing."""
    created, _held = _store(events, timezone.now(), Registers(None, False), using, {})
    if created:
        fold_after_commit(using=using)
    return created


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


def _first_of_each_id(parsed: list[ParsedEvent], owners: list[int | None]) -> list[OwnedEvent]:
    """The batch without events it repeats; 409 naming any repeat with another payload."""
    first: dict[tuple, OwnedEvent] = {}
    conflicts = []
    for index, (event, owner) in enumerate(zip(parsed, owners, strict=True)):
        owned = OwnedEvent(event, index, owner, (NO_USER_KEY if owner is None else owner, event.data.event_id))
        earlier = first.setdefault(owned.key, owned)
        if earlier.event.payload_sha256 != event.payload_sha256:
            conflicts.append(_conflict(owned))
    if conflicts:
        raise EventConflict(conflicts)
    return list(first.values())


def _conflict(owned: OwnedEvent) -> dict:
    return {"index": owned.index, "event_id": str(owned.event.data.event_id), "detail": EVENT_ID_CONFLICT}


def _store(events: list[OwnedEvent], now, registers: Registers, using: str, counted: dict) -> tuple[int, int]:
    """Inserts the events not received before; returns how many went into the log and how many
    were held. The events go in with one statement (an INSERT or a COPY, whose triggers register
    and queue them), atomic by itself."""
    # Inserted first: the registry's unique key decides. When it refuses the insert (a retry, or a
    # concurrent post of some of the same ids), the next attempt reads which events were received
    # before and inserts the rest. Reading first would cost every new event a lookup; a refused
    # insert costs its own work, and only a retry pays it. Each refusal means another post stored
    # some of these events meanwhile, so overlapping concurrent batches need a few attempts.
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with _savepoint_in_a_callers_transaction(using):
                new = events if attempt == 1 else _not_received_before(events, using)
                return _insert(new, now, registers, using, counted) if new else (0, 0)
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _savepoint_in_a_callers_transaction(using: str):
    """Within a caller's transaction, a savepoint, so that a refused insert leaves the caller's
    transaction usable; outside one, nothing is needed (and nothing spent on BEGIN and COMMIT)."""
    in_a_transaction = not transaction.get_autocommit(using=using)
    return transaction.atomic(using=using) if in_a_transaction else nullcontext()


def _not_received_before(events: list[OwnedEvent], using: str) -> list[OwnedEvent]:
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


def _insert(events: list[OwnedEvent], now, registers: Registers, using: str, counted: dict) -> tuple[int, int]:
    places, held = resolve(events, registers=registers, now=now, using=using)
    rows = [_row(owned, where, now) for owned, where in zip(events, places, strict=True) if where is not None]
    if uses_copy(using) and len(rows) >= COPY_THRESHOLD:
        copy_events(rows, using)
    elif len(rows) == 1:
        UsageEvent(**rows[0]).save(using=using, force_insert=True)  # unlike bulk_create, no BEGIN / COMMIT
    elif rows:
        UsageEvent.objects.using(using).bulk_create([UsageEvent(**row) for row in rows])
    counted.update({row["event_id"]: row["skill_id"] for row in rows})
    return len(rows), held


def _row(owned: OwnedEvent, where: Counted, now) -> dict:
    """The log's columns of one event."""
    data = owned.event.data
    return {
        "event_id": data.event_id,
        "payload_sha256": owned.event.payload_sha256,
        "skill_id": where.skill_id,
        "skill_version_id": where.version_id,
        "reported_skill": where.reported_skill,
        "reported_version": where.reported_version,
        "plugin": data.plugin,
        "marketplace": data.marketplace,
        "skill_source": data.skill_source,
        "invocation_trigger": data.invocation_trigger,
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
