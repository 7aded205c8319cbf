"""The shape of a posted usage event and its one validation function, `parse_events`.

msgspec validates a batch of hundreds in about a millisecond (a DRF serializer costs ~1 ms an
event); the OpenAPI schema is generated from the same struct (skills/api/schemas.py).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from django.conf import settings

from ..models import SEMVER_RE
from .errors import EventsTooLarge, InvalidEvents

SKILL_ID_PATTERN = r"^[-a-zA-Z0-9_]{1,100}$"
PLUGIN_PATTERN = r"^([-a-zA-Z0-9_.@]{1,200})?$"
NOT_AN_EVENT = "Send one event (a JSON object) or a batch (a JSON list of objects)."
BATCH_EMPTY = "A batch must contain at least one event."
BATCH_TOO_LARGE = "A batch may hold at most {limit} events; this one has {size}. Split it into smaller batches."
FIELD_TOO_LARGE = "is {size:,} bytes serialized; the limit is {limit:,} bytes"
# cost_usd, in US dollars: a decimal string (exact: at most 8 digits before and 6 after the point)
# or a JSON number (from 0 to COST_MAX, rounded half-even to the micro-dollar, as floats are inexact).
COST_PATTERN = r"^(0|[1-9][0-9]{0,7})(\.[0-9]{1,6})?$"
COST_MAX = 99999999.999999
MICRO_DOLLAR = Decimal("0.000001")
Cost = Annotated[str, msgspec.Meta(pattern=COST_PATTERN)] | Annotated[float, msgspec.Meta(ge=0, le=COST_MAX)]
NUL_CHARACTER = "must not contain NUL (\\u0000) characters"
TIME_OUT_OF_RANGE = "must fall between the years 1 and 9999 once converted to UTC"
TIME_IN_FUTURE = "is more than a day in the future"
TIME_TOO_OLD = "is older than the retention window of {days} days"
INT32 = 2**31 - 1
# An event's follow-up actions: a few short names (issue 24: 100,000 of them in one event made every
# read of the skill 6 MB); more is a 400 naming the field and the cap.
FOLLOW_UPS_MAX = 20
FOLLOW_UP_MAX_LENGTH = 200
SIZE_LIMITED_FIELDS = ("state_snapshot", "artifacts")
FUTURE_TOLERANCE = timedelta(days=1)


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
    follow_up_actions: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=FOLLOW_UP_MAX_LENGTH)]], msgspec.Meta(max_length=FOLLOW_UPS_MAX)
    ] = []
    input_hash: Annotated[str, msgspec.Meta(max_length=128)] = ""
    tokens_used: Annotated[int, msgspec.Meta(ge=0, le=INT32)] = 0
    tokens_saved: Annotated[int, msgspec.Meta(ge=-INT32, le=INT32)] = 0
    cost_usd: Cost = "0"
    state_snapshot: dict[str, Any] = {}
    artifacts: dict[str, Any] = {}
    project_path: Annotated[str, msgspec.Meta(max_length=500)] = ""
    schema_version: Annotated[int, msgspec.Meta(ge=1, le=32767)] = 1
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None
    # Who ran which skill, as the agent says (Claude Code's plugin, marketplace, skill.source and
    # invocation_trigger). A plugin makes the skill's identity `plugin:skill_id`. Last, so that an
    # event without them hashes as it did before they existed (see AGENT_FIELDS_UNSET).
    plugin: Annotated[str, msgspec.Meta(pattern=PLUGIN_PATTERN)] = ""
    marketplace: Annotated[str, msgspec.Meta(max_length=200)] = ""
    skill_source: Annotated[str, msgspec.Meta(max_length=50)] = ""
    invocation_trigger: Annotated[str, msgspec.Meta(max_length=50)] = ""


# How msgspec encodes the fields above when all are unset (fields are encoded in order): cut from
# the payload before hashing, so that a retry of an event stored before they existed is recognised.
AGENT_FIELDS_UNSET = b',"plugin":"","marketplace":"","skill_source":"","invocation_trigger":""}'


class ParsedEvent(msgspec.Struct, gc=False):
    """A valid event, its time in UTC (the time of receipt when it gave none) and its payload's
    hash (a retry must carry the same payload)."""

    data: EventIn
    occurred_at: datetime
    payload_sha256: str


def parse_events(body: Any, *, now: datetime, max_batch: int | None = None) -> list[ParsedEvent]:
    """A decoded request body — one event object or a list of them — as parsed events.

    All or nothing: raises InvalidEvents naming every bad item ({index, field: [messages]}),
    or EventsTooLarge (a batch over `max_batch`, a JSON field over its size limit)."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise InvalidEvents([{"index": None, "non_field_errors": [BATCH_EMPTY]}])
    if max_batch is not None and len(items) > max_batch:
        raise EventsTooLarge(BATCH_TOO_LARGE.format(limit=max_batch, size=len(items)), [])
    try:
        events = msgspec.convert(items, list[EventIn])
    except msgspec.ValidationError:
        # Item by item, only to name every bad one.
        shapes = [(index, _shape_errors(item)) for index, item in enumerate(items)]
        raise InvalidEvents([{"index": index, **errors} for index, errors in shapes if errors]) from None
    _check_sizes(events)
    window = _TimeWindow(earliest=now - timedelta(days=settings.EVENTS_MAX_AGE_DAYS), latest=now + FUTURE_TOLERANCE)
    checked = [_checked(event, now, window) for event in events]
    errors = [{"index": index, **item_errors} for index, (_, item_errors) in enumerate(checked) if item_errors]
    if errors:
        raise InvalidEvents(errors)
    return [event for event, _ in checked]


_FIELD_AT = re.compile(r"- at `\$\.([A-Za-z_]+)")
_FIELD_NAMED = re.compile(r"field `([A-Za-z_]+)`")


def _shape_errors(item: Any) -> dict[str, list[str]]:
    """{field: [message]} for an item that is not a valid EventIn; empty when it is one."""
    if not isinstance(item, dict):
        return {"non_field_errors": [NOT_AN_EVENT]}
    try:
        msgspec.convert(item, EventIn)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _FIELD_AT.search(message) or _FIELD_NAMED.search(message)
        return {match.group(1) if match else "non_field_errors": [message.split(" - at ")[0]]}
    return {}


def _check_sizes(events: list[EventIn]) -> None:
    """413 naming each JSON field over its limit: the log keeps whatever it takes in, for good."""
    limit = settings.EVENTS_MAX_JSON_FIELD_BYTES
    errors = []
    for index, event in enumerate(events):
        for field in SIZE_LIMITED_FIELDS:
            value = getattr(event, field)
            size = len(msgspec.json.encode(value)) if value else 0
            if size > limit:
                errors.append({"index": index, field: [FIELD_TOO_LARGE.format(size=size, limit=limit)]})
    if errors:
        fields = sorted({name for error in errors for name in error if name != "index"})
        raise EventsTooLarge(f"{', '.join(fields)} may hold at most {limit:,} bytes serialized.", errors)


# A NUL character as JSON encodes it: \u0000 after an even number of backslashes (an odd number
# means the text holds a literal backslash followed by "u0000", which is allowed).
_ENCODED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class _TimeWindow(NamedTuple):
    """The times an event may carry: within the retention window, at most a day ahead."""

    earliest: datetime
    latest: datetime


def _checked(event: EventIn, now: datetime, window: _TimeWindow) -> tuple[ParsedEvent | None, dict[str, list[str]]]:
    """What the struct's types cannot say: the time's range and no NUL; the cost made a Decimal."""
    event.cost_usd = _cost(event.cost_usd)
    occurred_at, time_error = _in_utc(event.occurred_at, now, window)
    if time_error:
        return None, {"occurred_at": [time_error]}
    payload = msgspec.json.encode(event)
    if b"\\u0000" in payload and _ENCODED_NUL.search(payload):  # the substring test is fast; the regex is exact
        # PostgreSQL text and jsonb cannot hold NUL; name the field rather than fail at insert.
        field = next(
            name for name in event.__struct_fields__ if _ENCODED_NUL.search(msgspec.json.encode(getattr(event, name)))
        )
        return None, {field: [NUL_CHARACTER]}
    if payload.endswith(AGENT_FIELDS_UNSET):
        payload = payload[: -len(AGENT_FIELDS_UNSET)] + b"}"
    return ParsedEvent(event, occurred_at, hashlib.sha256(payload).hexdigest()), {}


def _cost(value: str | float) -> Decimal:
    if isinstance(value, str):
        return Decimal(value)
    return Decimal(repr(value)).quantize(MICRO_DOLLAR, rounding=ROUND_HALF_EVEN)


def _in_utc(occurred_at: datetime | None, now: datetime, window: _TimeWindow) -> tuple[datetime, str]:
    """The event's time in UTC, or an error: outside datetime's range in UTC, more than a day
    ahead (a clock gone wrong would pin a skill's last use in the future for good), or older
    than the retention window."""
    if occurred_at is None:
        return now, ""
    try:
        in_utc = occurred_at.astimezone(UTC)
    except OverflowError:
        return now, TIME_OUT_OF_RANGE
    if in_utc > window.latest:
        return now, TIME_IN_FUTURE
    if in_utc < window.earliest:
        return now, TIME_TOO_OLD.format(days=settings.EVENTS_MAX_AGE_DAYS)
    return in_utc, ""
