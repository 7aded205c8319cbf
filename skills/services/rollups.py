"""The aggregates an ingested batch moves: SkillMetrics, SessionSkill and the roll-ups.

Called by `usage_events_record` with the batch's SkillMetrics rows already locked,
so every read-modify-write here is safe from concurrent batches.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from skills.aggregates import Aggregate, EventFacts, merge_into_daily, merge_into_metrics
from skills.models import Outcome, SessionSkill, SkillDailyUsage, SkillMetrics, SkillUserUsage

from .upsert import upsert_add, upsert_instances


def _facts(row: dict) -> EventFacts:
    return EventFacts(
        skill_id=row["skill_id"],
        outcome=row["outcome"],
        latency_ms=row["latency_ms"],
        error_type=row["error_type"],
        workflow_path=row["workflow_path"],
        follow_up_actions=row["follow_up_actions"],
        tokens_used=row["tokens_used"],
        tokens_saved=row["tokens_saved"],
        cost_usd=row["cost_usd"],
        occurred_at=row["occurred_at"],
        user_id=row["user_id"],
        session_id=row["session_id"],
    )


def move_aggregates(rows: list[dict], metrics: dict[str, SkillMetrics]) -> None:
    if not rows:
        return
    facts = [_facts(row) for row in rows]
    new_users = _move_user_usage(facts)
    _move_session_skills(facts)
    per_day: dict[tuple[str, object], Aggregate] = defaultdict(Aggregate)
    for fact in facts:
        per_day[(fact.skill_id, fact.occurred_at.date())].add(fact)
    _move_daily(per_day)
    # A skill's batch aggregate is the sum of its days': each event is folded in once.
    per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
    for (skill_id, _day), agg in per_day.items():
        per_skill[skill_id].merge(agg)
    now = timezone.now()
    for skill_id, agg in per_skill.items():
        merge_into_metrics(metrics[skill_id], agg, new_users.get(skill_id, 0))
        metrics[skill_id].updated_at = now
    upsert_instances(SkillMetrics, [metrics[s] for s in per_skill], keys=["skill"], fields=METRICS_FIELDS)


# Every column: the rows are locked by this batch (feedback_record takes the same lock), and the
# insert half of an upsert must satisfy NOT NULL even when it ends as an update.
METRICS_FIELDS = [f.name for f in SkillMetrics._meta.concrete_fields if f.name != "skill"]


def _move_user_usage(facts: list[EventFacts]) -> dict[str, int]:
    """Upserts (skill, user) roll-ups and returns the number of new users a skill."""
    usage: dict[tuple[str, int], list] = {}
    for fact in facts:
        if fact.user_id is None:
            continue
        row = usage.setdefault((fact.skill_id, fact.user_id), [0, fact.occurred_at, fact.occurred_at])
        row[0] += 1
        row[1], row[2] = min(row[1], fact.occurred_at), max(row[2], fact.occurred_at)
    if not usage:
        return {}
    known = set(
        SkillUserUsage.objects.filter(
            skill_id__in={s for s, _ in usage}, user_id__in={u for _, u in usage}
        ).values_list("skill_id", "user_id")
    )
    upsert_add(
        SkillUserUsage,
        keys=["skill_id", "user_id"],
        combine={"invocation_count": "add", "first_invoked_at": "least", "last_invoked_at": "greatest"},
        rows=[(s, u, n, first, last) for (s, u), (n, first, last) in usage.items()],
    )
    new_users: dict[str, int] = defaultdict(int)
    for pair in usage.keys() - known:
        new_users[pair[0]] += 1
    return new_users


def _move_session_skills(facts: list[EventFacts]) -> None:
    sessions: dict[tuple[str, str], list] = {}
    for fact in facts:
        if not fact.session_id:
            continue
        row = sessions.setdefault((fact.session_id, fact.skill_id), [0, 0, fact.occurred_at, fact.occurred_at, 0])
        row[0] += 1
        row[1] += fact.outcome == Outcome.SUCCESS
        row[2], row[3] = min(row[2], fact.occurred_at), max(row[3], fact.occurred_at)
        row[4] += fact.latency_ms or 0
    if sessions:
        upsert_add(
            SessionSkill,
            keys=["session_id", "skill_id"],
            combine={
                "invocation_count": "add",
                "success_count": "add",
                "first_invoked_at": "least",
                "last_invoked_at": "greatest",
                "total_duration_ms": "add",
            },
            rows=[(sess, skill, *values) for (sess, skill), values in sessions.items()],
        )


def _move_daily(per_day: dict[tuple[str, object], Aggregate]) -> None:
    existing = {
        (row.skill_id, row.day): row
        for row in SkillDailyUsage.objects.filter(skill_id__in={s for s, _ in per_day}, day__in={d for _, d in per_day})
    }
    rows = []
    for (skill_id, day), agg in per_day.items():
        row = existing.get((skill_id, day)) or SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into_daily(row, agg)
        rows.append(row)
    upsert_instances(SkillDailyUsage, rows, keys=["skill", "day"], fields=DAILY_FIELDS)


DAILY_FIELDS = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id", "skill", "day"}]
