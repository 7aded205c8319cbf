"""OpenTelemetry logs (OTLP/HTTP, JSON or protobuf, gzip or not) from Claude Code, taken in.

Names follow Claude Code's monitoring documentation (see the README's Agents section): every
event carries `session.id`, `event.name`, `event.timestamp`, `event.sequence` and `prompt.id`;
a `tool_result` event carries `tool_name`, `success`, `duration_ms`, `error_type` (a category),
`tool_use_id` and, only with OTEL_LOG_TOOL_DETAILS=1, `error` (the message), `tool_parameters`
(a JSON string; for the Skill tool its `skill_name`) and `tool_input`; `skill_activated` carries
`skill.name` (`custom_skill` for user and third-party plugin skills without
OTEL_LOG_TOOL_DETAILS=1), `skill.source`, `plugin.name`, `marketplace.name` and
`invocation_trigger`; an `api_request` event carries `model`, `cost_usd`, `duration_ms`,
`input_tokens`, `output_tokens`, `cache_read_tokens` and `cache_creation_tokens`.

Skill activations and Skill tool results are signals of skill uses, joined with the hook's and
the transcript's (skills/intake/join.py) into one usage event each; an `api_request` is kept as
an `AgentApiRequest` of its session; any other record is counted and ignored. A record that
cannot be taken in is rejected and named in the answer's `partial_success`, as OTLP asks; the
others are stored.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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

from ..ingestion.events import FUTURE_TOLERANCE, TIME_IN_FUTURE, TIME_TOO_OLD
from ..models import AgentApiRequest, Signal
from .common import SKILL_TOOL_NAMES, UNUSABLE_SKILL_NAME, event_uuid, skill_id_from_name
from .join import SkillSignal, known_name, known_plugin, skill_signals_take_in

JSON_TYPE = "application/json"
PROTOBUF_TYPE = "application/x-protobuf"
UNSUPPORTED_TYPE = "Send OTLP logs as application/json or application/x-protobuf, not {content_type!r}."
UNSUPPORTED_ENCODING = "Content-Encoding {encoding!r} is not supported: send gzip or an uncompressed body."
NOT_GZIP = "The body is not valid gzip: {error}"
NOT_OTLP_JSON = "The body is not an OTLP logs request in JSON: {error}"
NOT_OTLP_PROTOBUF = "The body is not an OTLP logs request in protobuf: {error}"
BAD_NUMBER = "{name} {value!r} is not a finite number of zero or more"
BAD_TIME = "the time {value!r} is outside the years 1–9999 in UTC"
NO_TIME = "the record has no time (time_unix_nano, observed_time_unix_nano or event.timestamp)"
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

    signals: int = 0  # Skill activations and results, joined into uses
    uses_pending: int = 0  # new uses still waiting for their other signals
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


def _checked_name(name: Any) -> str:
    """The skill's name as reported ("" for none or a placeholder); rejected when not a name at all."""
    reported = known_name(name) if isinstance(name, str) else ""
    if (name is not None and not isinstance(name, str)) or "\x00" in (name or ""):
        raise _Rejected(UNUSABLE_SKILL_NAME.format(name=name))
    if reported and skill_id_from_name(reported) is None:
        raise _Rejected(UNUSABLE_SKILL_NAME.format(name=name))
    return reported


def _sequence(attributes: dict[str, Any]) -> int | None:
    value = attributes.get("event.sequence")
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise _Rejected(BAD_NUMBER.format(name="event.sequence", value=value)) from None


def _signal_base(record: LogRecord, attributes: dict[str, Any]) -> dict:
    occurred_at = _time(record, attributes)
    if occurred_at is None:
        raise _Rejected(NO_TIME)
    now = timezone.now()
    if occurred_at > now + FUTURE_TOLERANCE:
        raise _Rejected(f"occurred_at: {TIME_IN_FUTURE}")
    if occurred_at < now - timedelta(days=settings.EVENTS_MAX_AGE_DAYS):
        raise _Rejected(f"occurred_at: {TIME_TOO_OLD.format(days=settings.EVENTS_MAX_AGE_DAYS)}")
    return {
        "session_id": _text(attributes, "session.id", 255),
        "prompt_id": _text(attributes, "prompt.id", 255),
        "sequence": _sequence(attributes),
        "occurred_at": occurred_at,
    }


def _tool_result_signal(record: LogRecord, attributes: dict[str, Any]) -> SkillSignal:
    """A Skill tool's result: outcome and duration always; the name and the error's text only with
    OTEL_LOG_TOOL_DETAILS=1 (else the error's category, `error_type`)."""
    base = _signal_base(record, attributes)
    tool_use_id = _text(attributes, "tool_use_id", 255) or f"otlp:{base['sequence']}:{base['occurred_at']}"
    succeeded = str(attributes.get("success", "")).lower() == "true"
    error = (
        "" if succeeded else (_text(attributes, "error", 200) or _text(attributes, "error_type", 200) or "tool_error")
    )
    return SkillSignal(
        kind=Signal.TOOL_RESULT,
        key=f"tool_result:{tool_use_id}",
        tool_use_id=tool_use_id,
        skill_name=_checked_name(_skill_name(attributes)),
        outcome="success" if succeeded else "error",
        latency_ms=_number(attributes, "duration_ms"),
        error_type=error,
        **base,
    )


def _activation_signal(record: LogRecord, attributes: dict[str, Any]) -> SkillSignal:
    """`skill_activated`: the skill's name (a placeholder for user and third-party plugin skills
    without OTEL_LOG_TOOL_DETAILS=1), where it was loaded from, its plugin and how it was triggered."""
    base = _signal_base(record, attributes)
    name, plugin = _checked_name(attributes.get("skill.name")), known_plugin(_text(attributes, "plugin.name", 200))
    if name and plugin and ":" not in name:
        name = f"{plugin}:{name}"  # the name the Skill tool, the hook and the transcript give it
    return SkillSignal(
        kind=Signal.ACTIVATION,
        key=f"activation:{base['sequence'] if base['sequence'] is not None else base['occurred_at'].isoformat()}",
        skill_name=name,
        plugin=plugin,
        marketplace=known_plugin(_text(attributes, "marketplace.name", 200)),
        skill_source=_text(attributes, "skill.source", 50),
        invocation_trigger=_text(attributes, "invocation_trigger", 50),
        **base,
    )


def _cost(attributes: dict[str, Any]) -> Decimal:
    value = attributes.get("cost_usd", 0) or 0
    try:
        cost = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise _Rejected(BAD_NUMBER.format(name="cost_usd", value=value)) from None
    if not cost.is_finite() or cost < 0 or cost >= 10**8:
        raise _Rejected(BAD_NUMBER.format(name="cost_usd", value=value))
    return cost


def _api_request(record: LogRecord, attributes: dict[str, Any], user, *, failed: bool = False) -> AgentApiRequest:
    """An `api_request`, or with `failed` an `api_error` (the message, HTTP status and attempt; no cost)."""
    return AgentApiRequest(
        user=user,
        record_key=event_uuid("otlp-api-request", *_record_key(attributes, record, attributes.get("request_id"))),
        session_id=_text(attributes, "session.id", 255),
        model=_text(attributes, "model", 200),
        input_tokens=_number(attributes, "input_tokens") or 0,
        output_tokens=_number(attributes, "output_tokens") or 0,
        cache_read_tokens=_number(attributes, "cache_read_tokens") or 0,
        cache_creation_tokens=_number(attributes, "cache_creation_tokens") or 0,
        cost_usd=Decimal(0) if failed else _cost(attributes),
        duration_ms=_number(attributes, "duration_ms"),
        error=(_text(attributes, "error", 500) or "api error") if failed else "",
        status_code=_status_code(attributes) if failed else None,
        attempt=_number(attributes, "attempt", cap=32767) if failed else None,
        occurred_at=_time(record, attributes) or timezone.now(),
        prompt_id=_text(attributes, "prompt.id", 255),
        sequence=_sequence(attributes),
        skill_name=_request_skill(attributes),
    )


def _status_code(attributes: dict[str, Any]) -> int | None:
    """The HTTP status of a failed request; Claude Code sends "undefined" when there was none."""
    value = attributes.get("status_code")
    try:
        code = int(value)
    except (TypeError, ValueError):
        return None
    return code if 100 <= code <= 599 else None


def _request_skill(attributes: dict[str, Any]) -> str:
    """The skill Claude Code says was active for the request, as the Skill tool names it."""
    name = known_name(_text(attributes, "skill.name", 301))
    plugin = known_plugin(_text(attributes, "plugin.name", 200))
    return f"{plugin}:{name}"[:301] if name and plugin and ":" not in name else name


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
    """Joins the Skill activations and results into skill uses (skills/intake/join.py) and stores
    the model requests of the sessions; a retry of the same records stores nothing twice."""
    intake = LogsIntake()
    signals: list[SkillSignal] = []
    requests: dict = {}
    for position, record, attributes in _records(message):
        name = _event_name(record, attributes)
        try:
            if name == "tool_result" and attributes.get("tool_name") in SKILL_TOOL_NAMES:
                signals.append(_tool_result_signal(record, attributes))
            elif name == "skill_activated":
                signals.append(_activation_signal(record, attributes))
            elif name in ("api_request", "api_error"):
                row = _api_request(record, attributes, user, failed=name == "api_error")
                requests[row.record_key] = row
            else:
                intake.ignored += 1
        except _Rejected as error:
            intake.rejected.append(REJECTED.format(position=position, name=name, reason=error))
    with transaction.atomic():
        intake.api_requests_created = _store_requests(list(requests.values()), user)
        joined = skill_signals_take_in(signals, user=user)
    intake.signals, intake.uses_pending = joined.signals, joined.uses_new
    intake.events_created, intake.events_duplicate = joined.created, joined.late
    intake.rejected += joined.rejected
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
