"""A user's sessions: agent sessions' model requests, and one session's skills in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from skills.models import (
    AgentApiRequest,
    Outcome,
    UsageEvent,
)


def agent_sessions_of(user) -> QuerySet:
    """The caller's agent sessions with their model requests summed (tokens, cost, first / last),
    newest first: one grouped query over the user's requests (indexed by user and session)."""
    return (
        AgentApiRequest.objects.filter(user=user)
        .values("session_id")
        .annotate(
            api_requests=Count("id", filter=Q(error="")),
            api_errors=Count("id", filter=~Q(error="")),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cache_read_tokens=Sum("cache_read_tokens"),
            cache_creation_tokens=Sum("cache_creation_tokens"),
            cost_usd=Sum("cost_usd"),
            first_request_at=Min("occurred_at"),
            last_request_at=Max("occurred_at"),
        )
        .order_by("-last_request_at", "session_id")
    )


# Skill health, from the roll-ups only (SkillMetrics, SkillDailyUsage, SessionSkill): no read of the log.


SESSION_STEPS_SHOWN = 1000
STEP_COLUMNS = ["occurred_at", "skill_id", "skill_version__version", "outcome", "latency_ms", "error_type",
                "workflow_path", "tokens_used", "tokens_saved", "cost_usd"]  # fmt: skip


@dataclass
class SessionDetail:
    session_id: str
    started_at: datetime | None
    ended_at: datetime | None
    events: int
    skills: list[dict]  # one a skill, in the order first used: outcomes, latency, tokens, cost
    steps: list[dict]  # the events in order (the first SESSION_STEPS_SHOWN)
    steps_omitted: int
    totals: dict
    model_requests: dict  # the agent's model requests in the session (OpenTelemetry api_request)


def session_detail(user, session_id: str) -> SessionDetail | None:
    """The user's own events of one session (another user's events with the same id are not
    theirs to read): None when the user has none there and no model request either. Three
    queries whatever the session's length: the skills grouped, the first steps, the model requests."""
    events = UsageEvent.objects.filter(user=user, session_id=session_id).order_by()
    skills = [_session_skill_row(row) for row in _session_skill_rows(events)]
    requests = AgentApiRequest.objects.filter(user=user, session_id=session_id).aggregate(
        count=Count("id", filter=Q(error="")),
        errors=Count("id", filter=~Q(error="")),
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), Decimal(0)),
        first=Min("occurred_at"),
        last=Max("occurred_at"),
    )
    if not skills and not requests["count"] and not requests["errors"]:
        return None
    steps = list(events.order_by("occurred_at", "id").values(*STEP_COLUMNS)[:SESSION_STEPS_SHOWN])
    count = sum(row["invocations"] for row in skills)
    moments = [m for m in (requests.pop("first"), requests.pop("last")) if m is not None]
    moments += [moment for row in skills for moment in (row["first_at"], row["last_at"])]
    return SessionDetail(
        session_id=session_id, started_at=min(moments), ended_at=max(moments), events=count, skills=skills,
        steps=[{**step, "skill_version": step.pop("skill_version__version")} for step in steps],
        steps_omitted=count - len(steps), totals=_session_totals(skills), model_requests=requests,
    )  # fmt: skip


def _session_skill_rows(events: QuerySet[UsageEvent]) -> QuerySet:
    by_outcome = {outcome: Count("id", filter=Q(outcome=outcome)) for outcome in Outcome.values}
    return (
        events.values("skill_id")
        .annotate(
            invocations=Count("id"),
            **by_outcome,
            first_at=Min("occurred_at"),
            last_at=Max("occurred_at"),
            latency_count=Count("latency_ms"),
            latency_ms_total=Coalesce(Sum("latency_ms"), 0),
            tokens_used=Sum("tokens_used"),
            tokens_saved=Sum("tokens_saved"),
            cost_usd=Sum("cost_usd"),
        )  # fmt: skip
        .order_by("first_at", "skill_id")
    )


def _session_skill_row(row: dict) -> dict:
    outcomes = {outcome: row.pop(outcome) for outcome in Outcome.values}
    latency_count = row.pop("latency_count")
    average = round(row["latency_ms_total"] / latency_count, 1) if latency_count else None
    return {**row, "outcomes": outcomes, "latency_ms_avg": average}


def _session_totals(skills: list[dict]) -> dict:
    return {
        "latency_ms": sum(row["latency_ms_total"] for row in skills),
        "tokens_used": sum(row["tokens_used"] for row in skills),
        "tokens_saved": sum(row["tokens_saved"] for row in skills),
        "cost_usd": sum((row["cost_usd"] for row in skills), Decimal(0)),
    }
