"""The shape of a posted usage event, validated fast with msgspec.

DRF serializers cost ~1 ms an event; batches of hundreds need microseconds,
so the API and the legacy importer both validate with `parse_events`, and the
OpenAPI schema documents the same shape through `UsageEventInputSerializer`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from skills.models.registry import SEMVER_RE

SKILL_ID_PATTERN = r"^[-a-zA-Z0-9_]{1,100}$"
COST_NEGATIVE = "must be zero or more"
NUL_CHARACTER = "must not contain NUL (\\u0000) characters"
COST_PRECISION = "must have at most 8 digits before and 6 after the decimal point"
BATCH_EMPTY = "A batch must contain at least one event."
INT32 = 2**31 - 1


# gc=False (here and below): a batch makes hundreds, and they cannot be part of a reference cycle.
class EventIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    event_id: uuid.UUID
    skill_id: Annotated[str, msgspec.Meta(pattern=SKILL_ID_PATTERN)]
    outcome: Literal["success", "failure", "error", "abandoned"]
    skill_version: Annotated[str, msgspec.Meta(pattern=SEMVER_RE.pattern, max_length=64)] | None = None
    user: int | None = None
    session_id: Annotated[str, msgspec.Meta(max_length=255)] = ""
    latency_ms: Annotated[int, msgspec.Meta(ge=0, le=INT32)] | None = None
    error_type: Annotated[str, msgspec.Meta(max_length=200)] = ""
    workflow_path: Annotated[str, msgspec.Meta(max_length=500)] = ""
    follow_up_actions: list[Annotated[str, msgspec.Meta(max_length=200)]] = []
    input_hash: Annotated[str, msgspec.Meta(max_length=128)] = ""
    tokens_used: Annotated[int, msgspec.Meta(ge=0, le=INT32)] = 0
    tokens_saved: Annotated[int, msgspec.Meta(ge=-INT32, le=INT32)] = 0
    cost_usd: Decimal = Decimal(0)
    state_snapshot: dict[str, Any] = {}
    artifacts: dict[str, Any] = {}
    project_path: Annotated[str, msgspec.Meta(max_length=500)] = ""
    schema_version: Annotated[int, msgspec.Meta(ge=1, le=32767)] = 1
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class ParsedEvent(msgspec.Struct, gc=False):
    data: EventIn
    payload_sha256: str


# A NUL character as JSON encodes it: \u0000 after an even number of backslashes (an odd number
# means the text holds a literal backslash followed by "u0000", which is allowed).
_ENCODED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FIELD_AT = re.compile(r"- at `\$\.([A-Za-z_]+)")
_FIELD_NAMED = re.compile(r"field `([A-Za-z_]+)`")


def _error_field(message: str) -> str:
    match = _FIELD_AT.search(message) or _FIELD_NAMED.search(message)
    return match.group(1) if match else "non_field_errors"


def parse_event(item: Any) -> tuple[ParsedEvent | None, dict[str, list[str]]]:
    """One event: the parsed value, or {field: [message]} naming what is wrong."""
    try:
        event = msgspec.convert(item, EventIn)
    except msgspec.ValidationError as error:
        message = str(error)
        return None, {_error_field(message): [message.split(" - at ")[0]]}
    return _checked(event)


def _checked(event: EventIn) -> tuple[ParsedEvent | None, dict[str, list[str]]]:
    """What the struct's types cannot say: the cost's range and precision."""
    if not event.cost_usd.is_finite() or event.cost_usd < 0:
        return None, {"cost_usd": [COST_NEGATIVE]}
    if event.cost_usd.as_tuple().exponent < -6 or abs(event.cost_usd) >= 10**8:
        return None, {"cost_usd": [COST_PRECISION]}
    payload = msgspec.json.encode(event)
    if b"\\u0000" in payload and _ENCODED_NUL.search(payload):  # the substring test is fast; the regex is exact
        # PostgreSQL text and jsonb cannot hold NUL; name the field rather than fail at insert.
        field = next(
            name for name in event.__struct_fields__ if _ENCODED_NUL.search(msgspec.json.encode(getattr(event, name)))
        )
        return None, {field: [NUL_CHARACTER]}
    return ParsedEvent(event, hashlib.sha256(payload).hexdigest()), {}


_EVENTS_DECODER = msgspec.json.Decoder(list[EventIn] | EventIn)


def decode_events(body: bytes) -> list[EventIn] | EventIn | None:
    """A UTF-8 JSON body holding one valid event or a batch of them, decoded in one pass with
    no intermediate dicts; None when it holds anything else (to be parsed and reported as usual)."""
    try:
        return _EVENTS_DECODER.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def as_structs(items: list) -> list[EventIn] | None:
    """Every item as an EventIn (one C call for payload dicts), or None when any item is invalid."""
    if all(isinstance(item, EventIn) for item in items):
        return items
    try:
        return msgspec.convert(items, list[EventIn])
    except msgspec.ValidationError:
        return None


def check_events(events: list[EventIn]) -> tuple[list[ParsedEvent], list[dict]]:
    """What the struct's types cannot say, for every event, and each one's payload hash: the
    parsed events, or the errors of every bad one: [{index, field: [msg]}]."""
    return _parsed_and_errors([_checked(event) for event in events])


def parse_events(items: list) -> tuple[list[ParsedEvent], list[dict]]:
    """All events of a batch, or the errors of every bad item: [{index, field: [msg]}].
    Items are payload dicts, or events `decode_events` already decoded."""
    events = as_structs(items)
    if events is not None:
        return check_events(events)
    # Item by item only to name every bad item.
    return _parsed_and_errors([parse_event(item) for item in items])


def _parsed_and_errors(checked: list[tuple]) -> tuple[list[ParsedEvent], list[dict]]:
    errors = [{"index": index, **item_errors} for index, (_, item_errors) in enumerate(checked) if item_errors]
    return [event for event, _ in checked if event is not None], errors
