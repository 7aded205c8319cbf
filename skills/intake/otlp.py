"""OpenTelemetry logs (OTLP/HTTP, JSON or protobuf, gzip or not) from Claude Code, taken in.

Names follow Claude Code's monitoring documentation (see the README's Agents section): every
event carries `session.id`, `event.name`, `event.timestamp`, `event.sequence` and `prompt.id`;
a `tool_result` event carries `tool_name`, `success`, `duration_ms`, `error`, `tool_use_id` and,
with OTEL_LOG_TOOL_DETAILS=1, `tool_parameters` (a JSON string; for the Skill tool it names the
skill) and `tool_input`; an `api_request` event carries `model`, `cost_usd`, `duration_ms`,
`input_tokens`, `output_tokens`, `cache_read_tokens` and `cache_creation_tokens`.

A Skill tool's result becomes a usage event; an `api_request` is kept as an `AgentApiRequest`
of its session; any other record is counted and ignored. A record that cannot be taken in is
rejected and named in the answer's `partial_success`, as OTLP asks; the others are stored.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from skillsite.parsers import TOO_DEEP, TOO_LARGE, nesting_exceeds

from ..models import AgentApiRequest
from .common import SKILL_TOOL_NAMES, event_uuid, record_what_is_valid, skill_id_from_name

JSON_TYPE = "application/json"
PROTOBUF_TYPE = "application/x-protobuf"
UNSUPPORTED_TYPE = "Send OTLP logs as application/json or application/x-protobuf, not {content_type!r}."
UNSUPPORTED_ENCODING = "Content-Encoding {encoding!r} is not supported: send gzip or an uncompressed body."
NOT_GZIP = "The body is not valid gzip: {error}"
NOT_OTLP_JSON = "The body is not an OTLP logs request in JSON: {error}"
NOT_OTLP_PROTOBUF = "The body is not an OTLP logs request in protobuf: {error}"
NO_SKILL_NAME = (
    "a Skill tool result without the skill's name (set OTEL_LOG_TOOL_DETAILS=1 so tool_parameters carries it)"
)
BAD_NUMBER = "{name} {value!r} is not a finite number of zero or more"
BAD_TIME = "the time {value!r} is outside the years 1–9999 in UTC"
NUL_IN_TEXT = "{name} contains a NUL (\\u0000) character"
TOO_DEEP_ATTRIBUTE = "{name} is JSON nested more than {limit} levels deep"
TOO_MANY_RECORDS = (
    "At most {limit:,} log records a request (EVENTS_MAX_BATCH); this one has {count:,}: send smaller batches."
)
REJECTED = "record {position} ({name}): {reason}"
MORE_REJECTED = " … and {count} more"
MAX_NAMED = 20  # rejected records named in the answer's error message
INT32 = 2**31 - 1


class OtlpBodyError(Exception):
    """A body that is not an OTLP logs request; `status` is 400, 413 or 415; nothing was stored."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _gunzip(body: bytes, limit: int) -> bytes:
    """The body decompressed, refused (413) past `limit` bytes: a small gzip can hold gigabytes."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as error:
        raise OtlpBodyError(400, NOT_GZIP.format(error=error)) from error
    if len(data) > limit:
        raise OtlpBodyError(413, TOO_LARGE.format(limit=limit))
    if not decompressor.eof:
        raise OtlpBodyError(400, NOT_GZIP.format(error="the stream is truncated"))
    return data


def logs_request_decode(body: bytes, *, content_type: str, content_encoding: str = "") -> ExportLogsServiceRequest:
    """An OTLP/HTTP logs body as a request message; OtlpBodyError when it is not one: 415 for a
    content type or encoding other than OTLP's, 413 when too large or holding more log records than
    EVENTS_MAX_BATCH (as the events API caps a batch), 400 otherwise."""
    encoding = content_encoding.strip().lower()
    if encoding == "gzip":
        body = _gunzip(body, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif encoding not in ("", "identity"):
        raise OtlpBodyError(415, UNSUPPORTED_ENCODING.format(encoding=content_encoding))
    message = ExportLogsServiceRequest()
    if content_type == JSON_TYPE:
        # JSONBodyGuard saw only the compressed bytes: the depth is checked here.
        if nesting_exceeds(body, settings.JSON_MAX_DEPTH):
            raise OtlpBodyError(400, TOO_DEEP.format(limit=settings.JSON_MAX_DEPTH))
        if not body.lstrip().startswith(b"{"):  # json_format.Parse takes a bare string or number as empty
            raise OtlpBodyError(400, NOT_OTLP_JSON.format(error="the body is not a JSON object"))
        try:
            # Strict JSON first (msgspec: no NaN, Infinity, out-of-range numbers or lone surrogates,
            # which the standard library would take); OTLP asks receivers to ignore unknown fields.
            json_format.ParseDict(msgspec.json.decode(body), message, ignore_unknown_fields=True)
        except (msgspec.DecodeError, json_format.ParseError, UnicodeDecodeError, RecursionError) as error:
            raise OtlpBodyError(400, NOT_OTLP_JSON.format(error=error)) from error
    elif content_type == PROTOBUF_TYPE:
        try:
            message.ParseFromString(body)
        except (DecodeError, RecursionError) as error:
            raise OtlpBodyError(400, NOT_OTLP_PROTOBUF.format(error=error)) from error
    else:
        raise OtlpBodyError(415, UNSUPPORTED_TYPE.format(content_type=content_type))
    count = sum(len(scope.log_records) for resource in message.resource_logs for scope in resource.scope_logs)
    if count > settings.EVENTS_MAX_BATCH:
        raise OtlpBodyError(413, TOO_MANY_RECORDS.format(limit=settings.EVENTS_MAX_BATCH, count=count))
    return message


@dataclass
class LogsIntake:
    """What one OTLP request brought: events stored (and already received), model requests
    stored, records ignored (neither a Skill result nor a model request) and rejected ones."""

    events_created: int = 0
    events_duplicate: int = 0
    api_requests_created: int = 0
    ignored: int = 0
    rejected: list[str] = field(default_factory=list)

    def error_message(self) -> str:
        named = "; ".join(self.rejected[:MAX_NAMED])
        more = len(self.rejected) - MAX_NAMED
        return named + (MORE_REJECTED.format(count=more) if more > 0 else "")


class _Rejected(Exception):
    pass


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind in ("array_value", "kvlist_value"):
        return json_format.MessageToDict(getattr(value, kind))
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def _attributes(pairs: list[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _event_name(record: LogRecord, attributes: dict[str, Any]) -> str:
    """`tool_result`, `api_request`, …: from the record's event name, its `event.name` attribute
    or its body (`claude_code.tool_result`), whichever it has."""
    body = record.body.string_value if record.body.WhichOneof("value") == "string_value" else ""
    name = record.event_name or str(attributes.get("event.name") or "") or body
    return name.removeprefix("claude_code.")


def _number(attributes: dict[str, Any], name: str, *, cap: int = INT32) -> int | None:
    value = attributes.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Rejected(BAD_NUMBER.format(name=name, value=value)) from None
    if not (number >= 0 and math.isfinite(number)):  # NaN, inf and "inf" too
        raise _Rejected(BAD_NUMBER.format(name=name, value=value))
    return min(int(number), cap)


def _text(attributes: dict[str, Any], name: str, max_length: int) -> str:
    """A string attribute as stored (cut to the column); a NUL in it rejects the record (PostgreSQL
    cannot store one)."""
    text = str(attributes.get(name) or "")
    if "\x00" in text:
        raise _Rejected(NUL_IN_TEXT.format(name=name))
    return text[:max_length]


def _time(record: LogRecord, attributes: dict[str, Any]) -> datetime | None:
    """The record's time; one that is no time in UTC (year 1 with a positive offset, year 9999
    with a negative one) rejects the record."""
    nanos = record.time_unix_nano or record.observed_time_unix_nano
    if record.time_unix_nano == 0 and isinstance(attributes.get("event.timestamp"), str):
        try:
            return datetime.fromisoformat(attributes["event.timestamp"]).astimezone(UTC)
        except ValueError:
            pass
        except OverflowError:
            raise _Rejected(BAD_TIME.format(value=attributes["event.timestamp"])) from None
    try:
        return datetime.fromtimestamp(nanos / 1e9, tz=UTC) if nanos else None
    except (OverflowError, OSError, ValueError):
        raise _Rejected(BAD_TIME.format(value=nanos)) from None


def _record_key(attributes: dict[str, Any], record: LogRecord, *extra: object) -> tuple:
    """What makes a record itself: its session with its tool-use id, else its sequence number in
    the session, else its time — the same on every export of the record."""
    session = attributes.get("session.id") or ""
    for name in ("tool_use_id", "event.sequence"):
        if attributes.get(name) not in (None, ""):
            return (session, name, attributes[name], *extra)
    return (session, "time", record.time_unix_nano or attributes.get("event.timestamp"), *extra)


def _skill_name(attributes: dict[str, Any]) -> Any:
    for name, keys in (("tool_parameters", ("skill_name", "skill")), ("tool_input", ("skill", "skill_name"))):
        raw = attributes.get(name)
        if isinstance(raw, str) and nesting_exceeds(raw.encode(), settings.JSON_MAX_DEPTH):
            raise _Rejected(TOO_DEEP_ATTRIBUTE.format(name=name, limit=settings.JSON_MAX_DEPTH))
        try:
            parameters = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if isinstance(parameters, dict):
            for key in keys:
                if parameters.get(key):
                    return parameters[key]
    return None


def _skill_event(record: LogRecord, attributes: dict[str, Any]) -> dict:
    name = _skill_name(attributes)
    if name is None:
        raise _Rejected(NO_SKILL_NAME)
    skill_id = skill_id_from_name(name)
    if skill_id is None:
        raise _Rejected(f"the skill's name {name!r} is not a skill id")
    succeeded = str(attributes.get("success", "")).lower() == "true"
    occurred_at = _time(record, attributes)
    artifacts = {
        "intake": "otlp",
        "tool_use_id": attributes.get("tool_use_id"),
        "prompt_id": attributes.get("prompt.id"),
        "event_sequence": attributes.get("event.sequence"),
        "app_version": attributes.get("app.version"),
    }
    return {
        "event_id": str(event_uuid("otlp", *_record_key(attributes, record, skill_id))),
        "skill_id": skill_id,
        "outcome": "success" if succeeded else "error",
        "session_id": _text(attributes, "session.id", 255),
        "latency_ms": _number(attributes, "duration_ms"),
        "error_type": "" if succeeded else (_text(attributes, "error", 200) or "tool_error"),
        "occurred_at": occurred_at.isoformat() if occurred_at else None,
        "artifacts": {key: value for key, value in artifacts.items() if value not in (None, "")},
    }


def _cost(attributes: dict[str, Any]) -> Decimal:
    value = attributes.get("cost_usd", 0) or 0
    try:
        cost = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise _Rejected(BAD_NUMBER.format(name="cost_usd", value=value)) from None
    if not cost.is_finite() or cost < 0 or cost >= 10**8:
        raise _Rejected(BAD_NUMBER.format(name="cost_usd", value=value))
    return cost


def _api_request(record: LogRecord, attributes: dict[str, Any], user) -> AgentApiRequest:
    return AgentApiRequest(
        user=user,
        record_key=event_uuid("otlp-api-request", *_record_key(attributes, record, attributes.get("request_id"))),
        session_id=_text(attributes, "session.id", 255),
        model=_text(attributes, "model", 200),
        input_tokens=_number(attributes, "input_tokens") or 0,
        output_tokens=_number(attributes, "output_tokens") or 0,
        cache_read_tokens=_number(attributes, "cache_read_tokens") or 0,
        cache_creation_tokens=_number(attributes, "cache_creation_tokens") or 0,
        cost_usd=_cost(attributes),
        duration_ms=_number(attributes, "duration_ms"),
        occurred_at=_time(record, attributes) or timezone.now(),
    )


def _records(message: ExportLogsServiceRequest):
    """(position, record, attributes) of every record, the resource's attributes under the record's."""
    position = 0
    for resource_logs in message.resource_logs:
        resource = _attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield position, record, {**resource, **_attributes(record.attributes)}
                position += 1


def otlp_logs_take_in(message: ExportLogsServiceRequest, *, user) -> LogsIntake:
    """Stores the Skill results as usage events and the model requests of the sessions; a retry
    of the same records stores nothing twice (their ids derive from the records)."""
    intake = LogsIntake()
    events: list[tuple[int, str, dict]] = []
    requests: dict = {}
    for position, record, attributes in _records(message):
        name = _event_name(record, attributes)
        try:
            if name == "tool_result" and attributes.get("tool_name") in SKILL_TOOL_NAMES:
                events.append((position, name, _skill_event(record, attributes)))
            elif name == "api_request":
                row = _api_request(record, attributes, user)
                requests[row.record_key] = row
            else:
                intake.ignored += 1
        except _Rejected as error:
            intake.rejected.append(REJECTED.format(position=position, name=name, reason=error))
    with transaction.atomic():
        intake.api_requests_created = _store_requests(list(requests.values()), user)
        recorded = record_what_is_valid([event for _, _, event in events], user=user)
    intake.events_created, intake.events_duplicate = recorded.created, recorded.duplicates
    for index, reason in sorted(recorded.rejected.items()):
        position, name, _ = events[index]
        intake.rejected.append(REJECTED.format(position=position, name=name, reason=reason))
    return intake


def _store_requests(rows: list[AgentApiRequest], user) -> int:
    if not rows:
        return 0
    stored = set(
        AgentApiRequest.objects.filter(user=user, record_key__in=[row.record_key for row in rows]).values_list(
            "record_key", flat=True
        )
    )
    new = [row for row in rows if row.record_key not in stored]
    # A concurrent export of the same records: the unique key keeps one of each.
    AgentApiRequest.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
