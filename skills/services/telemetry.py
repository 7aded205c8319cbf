"""Ingestion of usage events, with every aggregate moved in the same transaction.

Concurrency: a batch first locks the SkillMetrics rows of the skills it touches
(in skill_id order, so two batches cannot deadlock). Every aggregate row belongs
to one skill, so while a batch holds those locks no other batch can change the
aggregates it reads, or insert an event of those skills: the duplicate check and
the counters are therefore exact under concurrent writers, and retries are
counted once.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC

import msgspec
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from skills.ingest import EventIn, ParsedEvent, as_structs, check_events, parse_events
from skills.models import (
    Outcome,
    Skill,
    SkillMetrics,
    SkillVersion,
    UsageEvent,
    UsageEventKey,
)

from .fetched import CompiledQuery, FetchedRows, PendingRows, fetch_together, one_of
from .rollups import BatchRollups

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

    `events` are payload dicts, or EventIn structs as the API's parser decodes them; `user` is
    the caller, to whom events are attributed unless they name another user (which needs the
    `skills.ingest_for_any_user` permission).
    """
    structs = as_structs(events)
    if structs is None:
        _parsed, errors = parse_events(events)  # names every bad item
        raise InvalidEvents(errors)
    _check_attribution(structs, user)
    with transaction.atomic():
        return _record(structs, user)


def _check_attribution(events: list[EventIn], user) -> None:
    named = {event.user for event in events if event.user is not None}
    own_id = getattr(user, "pk", None)
    if not named - {own_id}:
        return
    may_attribute = user is not None and user.has_perm("skills.ingest_for_any_user")
    existing = (
        set(get_user_model().objects.filter(pk__in=named).values_list("pk", flat=True)) if may_attribute else set()
    )
    errors = []
    for index, event in enumerate(events):
        named_id = event.user
        if named_id is None or named_id == own_id:
            continue
        if not may_attribute:
            errors.append({"index": index, "user": [USER_NOT_ALLOWED]})
        elif named_id not in existing:
            errors.append({"index": index, "user": [USER_UNKNOWN]})
    if errors:
        raise InvalidEvents(errors)


# Set after the reads: the upserts and the COPY that follow are undone together when the COPY
# finds events received before (a retry), without undoing the locks.
SAVEPOINT = "SAVEPOINT events_batch"
ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT events_batch"
RELEASE_SAVEPOINT = "RELEASE SAVEPOINT events_batch"


def _record(events: list[EventIn], user) -> RecordResult:
    first_of_id = _first_of_each_event_id(events)
    unique = [events[index] for index in first_of_id.values()]
    rows = _event_rows(unique, user, timezone.now())
    skill_ids = sorted({row["skill_id"] for row in rows})
    locked = _select_locked(skill_ids)
    versions = _VersionIds(unique)
    rollups = BatchRollups(rows)
    # One round trip. The lock comes first: the roll-up rows are read once this batch holds it.
    # While the server takes it and reads, Python checks and hashes the events (a bad batch is
    # rolled back whole).
    parsed = fetch_together(
        [*_constraints_per_statement(), locked, *versions.reads(), *rollups.reads(), SAVEPOINT],
        while_waiting=lambda: _checked(events),
    )
    _check_duplicates_agree(parsed, first_of_id)
    for row, index in zip(rows, first_of_id.values(), strict=True):
        row["payload_sha256"] = parsed[index].payload_sha256
    metrics = _lock_missing_metrics(skill_ids, locked)
    if len(metrics) > 1:
        # Rows of skills that had no metrics row were read before this batch held their lock.
        fetch_together([*rollups.reads(), SAVEPOINT])
    versions.fill(rows, unique)
    try:
        # Optimistic: most batches are new, so insert without looking their ids up first. A retry
        # makes the event-id registry refuse the statement; undo it and insert only what is new.
        _store(rollups, metrics)
    except IntegrityError:
        # Back to a good state, the savepoint: bulk_create's atomic block (the few-rows path) had
        # marked the whole transaction as broken.
        transaction.set_rollback(False)
        fetch_together([ROLLBACK_TO_SAVEPOINT])
        rows = _drop_already_received(parsed, rows)
        # The metrics rows stay locked (taken before the savepoint), their fetched values
        # unchanged; the roll-up rows are read again for the events that are new.
        rollups = BatchRollups(rows)
        fetch_together(rollups.reads())
        try:
            _store(rollups, metrics)
        except IntegrityError as error:
            # Only a racing batch with the same event id and another skill gets here.
            detail = f"{EVENT_ID_CONFLICT} ({error})"
            raise EventConflict([{"index": None, "event_id": None, "detail": detail}]) from error
    rollups.write()
    return RecordResult(
        received=len(events),
        created=len(rows),
        duplicates=len(events) - len(rows),
        event_ids=[row["event_id"] for row in rows],
    )


def _checked(events: list[EventIn]) -> list[ParsedEvent]:
    parsed, errors = check_events(events)
    if errors:
        raise InvalidEvents(errors)
    return parsed


def _first_of_each_event_id(events: list[EventIn]) -> dict:
    """event_id → the index of its first event in the batch (a batch may repeat an event)."""
    first: dict = {}
    for index, event in enumerate(events):
        first.setdefault(event.event_id, index)
    return first


def _check_duplicates_agree(parsed: list[ParsedEvent], first_of_id: dict) -> None:
    """409 naming each event whose id came earlier in the batch with another payload."""
    conflicts = [
        {"index": index, "event_id": str(event.data.event_id), "detail": EVENT_ID_CONFLICT}
        for index, event in enumerate(parsed)
        if parsed[first_of_id[event.data.event_id]].payload_sha256 != event.payload_sha256
    ]
    if conflicts:
        raise EventConflict(conflicts)


def _constraints_per_statement() -> list[str]:
    """Foreign keys are checked as each statement ends rather than all at COMMIT: the events'
    checks then run on the server during the COPY, while Python computes the roll-ups."""
    return ["SET CONSTRAINTS ALL IMMEDIATE"] if connection.vendor == "postgresql" else []


def _store(rollups: BatchRollups, metrics: list[FetchedRows]) -> None:
    """Inserts the events; their roll-ups are computed while the server stores them."""
    if rollups.rows:
        _insert_events(rollups.rows, while_storing=lambda: rollups.compute(metrics))


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


_LOCKED_METRICS = CompiledQuery(
    lambda: (
        SkillMetrics.objects.select_for_update().filter(one_of(SkillMetrics, "skill_id", "skills")).order_by("skill_id")
    )
)


def _select_locked(skill_ids: list[str]) -> FetchedRows:
    """The skills' SkillMetrics rows, locked in skill_id order (so two batches cannot deadlock)
    when fetched; their instances are built later (while the COPY runs)."""
    return _LOCKED_METRICS(skills=skill_ids)


def _lock_missing_metrics(skill_ids: list[str], locked: FetchedRows) -> list[FetchedRows]:
    """The locked rows, with those of skills that had no metrics row created and locked too."""
    if locked.row_count == len(skill_ids):
        return [locked]
    present = set(locked.column("skill_id"))
    missing = [skill_id for skill_id in skill_ids if skill_id not in present]
    if not missing:
        return [locked]
    # Created outside the savepoint: undoing a retried COPY must not undo them.
    fetch_together([RELEASE_SAVEPOINT])
    # A skill with a metrics row is registered (FK), so only these can be unknown.
    _register_unknown_skills(missing)
    SkillMetrics.objects.bulk_create([SkillMetrics(skill_id=skill_id) for skill_id in missing], ignore_conflicts=True)
    return [locked, _select_locked(missing).fetch()]


def _drop_already_received(parsed: list[ParsedEvent], rows: list[dict]) -> list[dict]:
    """The rows of events not received before; 409 naming each item received before with another payload."""
    # The registry, not the log: one index on PostgreSQL's partitioned log, and archived events count too.
    stored = _stored_payload_hashes([row["event_id"] for row in rows])
    conflicts = [
        {"index": index, "event_id": str(event.data.event_id), "detail": EVENT_ID_CONFLICT}
        for index, event in enumerate(parsed)
        if event.data.event_id in stored and stored[event.data.event_id] != event.payload_sha256
    ]
    if conflicts:
        raise EventConflict(conflicts)
    return [row for row in rows if row["event_id"] not in stored]


def _stored_payload_hashes(event_ids: list) -> dict:
    if connection.vendor == "postgresql":
        # One array parameter: building and binding an IN list of hundreds of ids costs more than the lookup.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT event_id, payload_sha256 FROM {UsageEventKey._meta.db_table} WHERE event_id = ANY(%s::uuid[])",
                [event_ids],
            )
            return dict(cursor.fetchall())
    return dict(UsageEventKey.objects.filter(event_id__in=event_ids).values_list("event_id", "payload_sha256"))


class _VersionIds:
    """The SkillVersion id of each event: the version it names, else the one current at receipt."""

    def __init__(self, events: list[EventIn]) -> None:
        self.current = _CURRENT_VERSIONS(skills={event.skill_id for event in events})
        self.named = {(event.skill_id, event.skill_version) for event in events if event.skill_version}
        self.found = _versions_query(self.named) if self.named else None

    def reads(self) -> list[PendingRows]:
        """The lookups, for `fetch_together`."""
        return [self.current] if self.found is None else [self.current, self.found]

    def fill(self, rows: list[dict], events: list[EventIn]) -> None:
        """Sets each row's skill_version_id (rows and events in the same order)."""
        ids: dict = {(skill_id, None): pk for skill_id, pk in self.current.rows}
        if self.found is not None:
            ids.update(self._named_ids())
        for row, event in zip(rows, events, strict=True):
            row["skill_version_id"] = ids.get((event.skill_id, event.skill_version))

    def _named_ids(self) -> dict:
        found = _named_found(self.named, self.found)
        missing = self.named - found.keys()
        if missing:
            # A version the registry has not seen yet is recorded (not current) so the event keeps its attribution.
            SkillVersion.objects.bulk_create(
                [
                    SkillVersion(skill_id=skill_id, version=version, changelog="Auto-registered from telemetry.")
                    for skill_id, version in missing
                ],
                ignore_conflicts=True,
            )
            found = _named_found(self.named, _versions_query(self.named).fetch())
        return found


_CURRENT_VERSIONS = CompiledQuery(
    lambda: SkillVersion.objects.filter(one_of(SkillVersion, "skill_id", "skills"), is_current=True).values_list(
        "skill_id", "id"
    )
)
_VERSIONS = CompiledQuery(
    lambda: SkillVersion.objects.filter(
        one_of(SkillVersion, "skill_id", "skills"), one_of(SkillVersion, "version", "versions")
    ).values_list("skill_id", "version", "id")
)


def _versions_query(named: set[tuple[str, str]]) -> PendingRows:
    return _VERSIONS(skills={skill_id for skill_id, _ in named}, versions={version for _, version in named})


def _named_found(named: set[tuple[str, str]], query: PendingRows) -> dict:
    return {(skill_id, version): pk for skill_id, version, pk in query.rows if (skill_id, version) in named}


def _event_rows(events: list[EventIn], user, now) -> list[dict]:
    """The log's columns of each event; payload_sha256 and skill_version_id are set once known."""
    own_id = getattr(user, "pk", None)
    rows = []
    for data in events:
        rows.append(
            {
                "event_id": data.event_id,
                "payload_sha256": "",
                "skill_id": data.skill_id,
                "skill_version_id": None,
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
COPY_THRESHOLD = 20
JSON_COLUMNS = {"follow_up_actions", "state_snapshot", "artifacts"}


def _insert_events(rows: list[dict], while_storing: Callable[[], None]) -> None:
    """Inserts the rows and calls `while_storing` (which must not query) before it returns."""
    # COPY's set-up costs round trips; a handful of rows goes faster as one INSERT.
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        _copy_events(rows, while_storing)
    else:
        UsageEvent.objects.bulk_create([UsageEvent(**row) for row in rows])
        while_storing()


def _copy_events(rows: list[dict], while_storing: Callable[[], None]) -> None:
    """COPY is the fastest way into PostgreSQL; it runs inside the batch's transaction.

    Once every row is sent, the end of the COPY (the server storing the last rows, checking
    their foreign keys, filling the event-id registry) is awaited on another thread: that
    wait releases the GIL, so `while_storing` runs meanwhile instead of after it."""
    columns = ", ".join(EVENT_COLUMNS)
    encode = msgspec.json.encode
    # wrap_database_errors: psycopg's own errors become Django's (IntegrityError), as cursor.execute's do.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        copying = cursor.cursor.copy(f"COPY skills_usageevent ({columns}) FROM STDIN")
        copy = copying.__enter__()
        try:
            for row in rows:
                copy.write_row([encode(row[c]).decode() if c in JSON_COLUMNS else row[c] for c in EVENT_COLUMNS])
        except BaseException:
            if not copying.__exit__(*sys.exc_info()):
                raise
        with _in_background(lambda: copying.__exit__(None, None, None)):
            while_storing()


@contextmanager
def _in_background(function: Callable[[], object]):
    """Runs `function` on another thread while the block runs; re-raises its error after the block."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, name="events-copy-end", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if errors:
        raise errors[0]


__all__ = [
    "EVENT_ID_CONFLICT",
    "EventConflict",
    "InvalidEvents",
    "RecordResult",
    "usage_events_record",
]
