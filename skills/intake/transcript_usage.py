"""A transcript's model usage as its session's model requests, when OpenTelemetry sent none.

Each assistant message (its `message.id`, once however many lines it spans) is one request: its
model, its `usage` tokens (input, output, cache read, cache creation) and its cost where the line
carries one (`costUSD`, written by some Claude Code versions; 0 otherwise: a transcript has no
prices). A session that already has requests — from OpenTelemetry's `api_request`, or from an
earlier import — is left as it is, so nothing is counted twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..models import AgentApiRequest
from .common import event_uuid

INT32 = 2**31 - 1


def _tokens(usage: dict, name: str) -> int:
    value = usage.get(name)
    return min(max(int(value), 0), INT32) if isinstance(value, int | float) and value == value else 0


def _cost(entry: dict) -> Decimal:
    try:
        cost = Decimal(str(entry.get("costUSD") or 0)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return Decimal(0)
    return cost if cost.is_finite() and 0 <= cost < 10**8 else Decimal(0)


def _time(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return None if moment is None else (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC))


def transcript_requests(path: Path, user) -> list[AgentApiRequest]:
    """The model requests of one transcript (lines that are not JSON are the import's to report)."""
    requests: dict[str, AgentApiRequest] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict) or entry.get("type") != "assistant":
                continue
            message = entry.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("usage"), dict) or not message.get("id"):
                continue
            occurred_at = _time(entry.get("timestamp"))
            session_id = str(entry.get("sessionId") or path.stem)[:255]
            if occurred_at is None or str(message["id"]) in requests:
                continue
            usage = message["usage"]
            requests[str(message["id"])] = AgentApiRequest(
                user=user,
                record_key=event_uuid("transcript-request", session_id, message["id"]),
                session_id=session_id,
                model=str(message.get("model") or "")[:200],
                input_tokens=_tokens(usage, "input_tokens"),
                output_tokens=_tokens(usage, "output_tokens"),
                cache_read_tokens=_tokens(usage, "cache_read_input_tokens"),
                cache_creation_tokens=_tokens(usage, "cache_creation_input_tokens"),
                cost_usd=_cost(entry),
                occurred_at=occurred_at,
            )
    return list(requests.values())


def transcript_requests_store(requests: list[AgentApiRequest], user) -> int:
    """Stores the requests of the sessions that have none yet; returns how many."""
    if user is None or not requests:
        return 0
    sessions = {request.session_id for request in requests}
    known = set(AgentApiRequest.objects.filter(user=user, session_id__in=sessions).values_list("session_id", flat=True))
    new = [request for request in requests if request.session_id not in known]
    AgentApiRequest.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
