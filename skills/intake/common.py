"""What the intake adapters share: deterministic ids, skill names, and recording the valid part."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from skills.ingestion.errors import EventConflict, InvalidEvents
from skills.ingestion.record import RecordResult, usage_events_record

# Also in clients/skillsite_hook.py (standard library only); a test holds the two equal.
INTAKE_NAMESPACE = uuid.UUID("6f0b6a52-4a0e-5b8e-9a57-3c1d7f3e2b10")
SKILL_TOOL_NAMES = frozenset({"Skill"})
_NOT_SKILL_ID = re.compile(r"[^-a-zA-Z0-9_]")
UNUSABLE_SKILL_NAME = "the skill's name {name!r} cannot be made a skill id"


def event_uuid(*parts: object) -> uuid.UUID:
    """An event id derived from stable fields of the record it comes from."""
    return uuid.uuid5(INTAKE_NAMESPACE, "\x1f".join(str(part) for part in parts))


def skill_id_from_name(name: object) -> str | None:
    """The registry's id for a skill name as an agent reports it: a plugin's skill is reported as
    `plugin:skill` and registered under its own name (the last part); None when nothing usable."""
    if not isinstance(name, str):
        return None
    skill_id = name.strip().rsplit(":", 1)[-1].strip().lstrip("/")
    if not skill_id or len(skill_id) > 100 or _NOT_SKILL_ID.search(skill_id):
        return None
    return skill_id


@dataclass
class Recorded:
    result: RecordResult | None = None
    rejected: dict[int, str] = field(default_factory=dict)  # index in the events given → why

    @property
    def created(self) -> int:
        return self.result.created if self.result else 0

    @property
    def duplicates(self) -> int:
        return self.result.duplicates if self.result else 0


def record_what_is_valid(events: list[dict], *, user) -> Recorded:
    """Records the events ingestion accepts and says why it refused the others (by index).

    Ingestion is all or nothing; an agent's batch is not: one bad record must not cost the
    others. The refused ones are taken out and the rest recorded again (each round drops one or
    more, so this ends)."""
    recorded = Recorded()
    remaining = list(range(len(events)))
    while remaining:
        try:
            recorded.result = usage_events_record(events=[events[i] for i in remaining], user=user)
            return recorded
        except InvalidEvents as error:
            refused = {item["index"]: _messages(item) for item in error.errors if item.get("index") is not None}
        except EventConflict as error:
            refused = {item["index"]: item["detail"] for item in error.conflicts}
        if not refused:
            raise AssertionError("ingestion refused a batch without naming an item")
        recorded.rejected.update({remaining[i]: message for i, message in refused.items()})
        remaining = [index for position, index in enumerate(remaining) if position not in refused]
    return recorded


def _messages(item: dict) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in item.items() if name != "index")
