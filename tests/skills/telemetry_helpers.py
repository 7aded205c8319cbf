"""Payload builders and snapshots shared by the telemetry tests."""

import uuid
from datetime import UTC, datetime, timedelta

from skills.models import (
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    SkillVersionUsage,
    TeamDailyUsage,
    UsageEvent,
)

# Recent (the dashboard's default range shows it) and in the past: event n falls 2 hours after event
# n - 1, wrapping around after 99 days, so no event is ahead of now.
BASE_TIME = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=100)
HOURS_APART = 2
WRAP_HOURS = 99 * 24


def event_payload(n: int = 0, **overrides) -> dict:
    """A valid event payload; n varies skill, session, outcome and latency deterministically."""
    outcomes = ["success", "success", "failure", "error", "abandoned"]
    payload = {
        "event_id": str(uuid.uuid4()),
        "skill_id": f"skill-{n % 3}",
        "outcome": outcomes[n % len(outcomes)],
        "session_id": f"session-{n % 7}",
        "latency_ms": 50 + (n * 37) % 900,
        "error_type": "Timeout" if n % 5 == 3 else "",
        "workflow_path": ["plan/execute", "quick", "plan/review/execute"][n % 3],
        "follow_up_actions": ["retry"] if n % 4 == 0 else [],
        "tokens_used": 100 + n,
        "tokens_saved": 10 + n % 5,
        "cost_usd": f"0.{n % 10:02d}1000",
        "state_snapshot": {"tier": "standard", "element": "water", "realm": "code"},
        "occurred_at": (BASE_TIME + timedelta(hours=n * HOURS_APART % WRAP_HOURS)).isoformat(),
    }
    payload.update(overrides)
    return payload


def aggregates_snapshot() -> dict:
    """Every aggregate row, as comparable plain values."""

    def rows(model, order):
        return [
            {k: v for k, v in row.items() if k not in {"id", "updated_at"}}
            for row in model.objects.order_by(*order).values()
        ]

    return {
        "metrics": rows(SkillMetrics, ["skill_id"]),
        "sessions": rows(SessionSkill, ["session_id", "skill_id"]),
        "users": rows(SkillUserUsage, ["skill_id", "user_id"]),
        "daily": rows(SkillDailyUsage, ["skill_id", "day"]),
        "team_daily": rows(TeamDailyUsage, ["day"]),
        "versions": rows(SkillVersionUsage, ["skill_version_id"]),
        "events": UsageEvent.objects.count(),
    }
