"""Import of seed 001's JSON-file metrics storage into the usage log.

Accepted file shapes (documented in the README):
  * a list of invocations, each naming its skill: [{"skill_name": "pdf-extract", ...}, ...]
  * an object keyed by skill name, each value a list of invocations or {"invocations": [...]}

An invocation has seed 001's fields: id (optional), skill_name, invoked_at, workflow_path,
completed, duration_seconds, error_type, session_id, follow_up_actions, schema_version,
project_path, user_context. Event ids are derived from the record (its `id` if it has one,
else its content), so importing the same files again stores nothing twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from skills.ingestion.errors import EventsTooLarge, InvalidEvents
from skills.ingestion.record import usage_events_record
from skills.progress import NO_PROGRESS, Progress

LEGACY_NAMESPACE = uuid.UUID("6f1d2c3e-5b7a-4c8d-9e0f-a1b2c3d4e5f6")
CHUNK = 500
NOT_JSON = "not valid JSON: {error}"
BAD_SHAPE = "expected a list of invocations or an object keyed by skill name"
NOT_AN_OBJECT = "an invocation must be a JSON object"
NO_SKILL = "missing skill_name"
BAD_TIME = "invoked_at must be an ISO 8601 date-time"
BAD_DURATION = "duration_seconds must be a number ≥ 0"


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)


def legacy_metrics_import(*, paths: list[Path], user=None, progress: Progress = NO_PROGRESS) -> ImportReport:
    """`progress` counts the files read."""
    report = ImportReport()
    progress.start(len(paths), "import_legacy_metrics (files)")
    for path in paths:
        events: list[tuple[str, dict]] = []
        for position, record in _records(path, report):
            report.read += 1
            event, error = _to_event(record)
            if error:
                report.failures.append(f"{path} {position}: {error}")
            else:
                events.append((position, event))
        for start in range(0, len(events), CHUNK):
            _import_chunk(events[start : start + CHUNK], path, user, report)
        progress.advance()
    progress.finish()
    return report


def _import_chunk(events: list[tuple[str, dict]], path: Path, user, report: ImportReport) -> None:
    """Records the chunk; the events ingestion refuses are reported by position and the rest recorded."""
    while events:
        try:
            # An operator runs the import: the skills its history names are registered.
            result = usage_events_record(events=[event for _, event in events], user=user, registers=True)
        except (InvalidEvents, EventsTooLarge) as refused:
            bad = {error["index"]: _message(error) for error in refused.errors if error["index"] is not None}
            if not bad:
                raise  # not about any one event (a batch over EVENTS_MAX_BATCH)
            for index in sorted(bad):
                report.failures.append(f"{path} {events[index][0]}: {bad[index]}")
            events = [item for index, item in enumerate(events) if index not in bad]
            continue
        report.imported += result.created
        report.duplicates += result.duplicates
        return


def _message(error: dict) -> str:
    return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in error.items() if field != "index")


def _records(path: Path, report: ImportReport) -> Iterator[tuple[str, dict]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        report.failures.append(f"{path}: {NOT_JSON.format(error=error)}")
        return
    if isinstance(data, list):
        for index, record in enumerate(data):
            yield f"[{index}]", record
    elif isinstance(data, dict):
        for skill_name, value in data.items():
            invocations = value.get("invocations") if isinstance(value, dict) else value
            if not isinstance(invocations, list):
                report.failures.append(f"{path} [{skill_name!r}]: {BAD_SHAPE}")
                continue
            for index, record in enumerate(invocations):
                if isinstance(record, dict):
                    record = {"skill_name": skill_name, **record}
                yield f"[{skill_name!r}][{index}]", record
    else:
        report.failures.append(f"{path}: {BAD_SHAPE}")


def _to_event(record) -> tuple[dict | None, str | None]:
    if not isinstance(record, dict):
        return None, NOT_AN_OBJECT
    if not record.get("skill_name"):
        return None, NO_SKILL
    occurred_at = _time(record.get("invoked_at"))
    if occurred_at is None:
        return None, BAD_TIME
    duration = record.get("duration_seconds")
    if duration is not None and (not isinstance(duration, int | float) or duration < 0):
        return None, BAD_DURATION
    completed = bool(record.get("completed"))
    error_type = record.get("error_type") or ""
    event = {
        "event_id": str(_event_id(record)),
        "skill_id": record["skill_name"],
        "outcome": "success" if completed else ("error" if error_type else "abandoned"),
        "session_id": record.get("session_id") or "",
        "latency_ms": round(duration * 1000) if duration is not None else None,
        "error_type": error_type,
        "workflow_path": record.get("workflow_path") or "",
        "follow_up_actions": record.get("follow_up_actions") or [],
        "project_path": record.get("project_path") or "",
        "schema_version": record.get("schema_version") or 1,
        "state_snapshot": record.get("user_context") or {},
        "occurred_at": occurred_at.isoformat(),
    }
    return event, None


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # The JSON files wrote naive UTC times (SQLite datetime('now')).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _event_id(record: dict) -> uuid.UUID:
    if record.get("id"):
        return uuid.uuid5(LEGACY_NAMESPACE, f"id:{record['id']}")
    return uuid.uuid5(LEGACY_NAMESPACE, "content:" + json.dumps(record, sort_keys=True, default=str))
