"""The metrics dashboard's data, from the per (skill, day) roll-up only: the log is never read.

Queries: the roll-up rows of the date range (and skill), and the skill list for the filter.
Work is O(skills × days), whatever the number of events.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from skills.models import Skill, SkillDailyUsage, SkillVersionUsage
from skills.sketch import LatencySketch
from skills.stats import wilson, z_for

TOP_N = 10


@dataclass
class DashboardFilter:
    start: date
    end: date
    skill_id: str = ""

    @classmethod
    def default(cls) -> DashboardFilter:
        today = timezone.localdate()
        return cls(start=today - timedelta(days=29), end=today)


COLUMNS = [
    "day", "skill_id", "total", "success_count", "failure_count", "error_count", "abandoned_count",
    "tokens_used_sum", "tokens_saved_sum", "cost_usd_sum", "latency_sketch", "error_types", "workflow_paths",
]  # fmt: skip
OUTCOMES = ("success", "failure", "error", "abandoned")


def dashboard_data(filters: DashboardFilter) -> dict:
    # Plain tuples, not model instances: a month of 200 skills is 6,000 rows.
    rows = SkillDailyUsage.objects.filter(day__gte=filters.start, day__lte=filters.end).order_by("day", "skill_id")
    if filters.skill_id:
        rows = rows.filter(skill_id=filters.skill_id)
    days = [filters.start + timedelta(days=n) for n in range((filters.end - filters.start).days + 1)]
    per_day = {day: Counter() for day in days}
    per_skill: dict[str, Counter] = defaultdict(Counter)
    sketches: dict[str, list[dict]] = defaultdict(list)
    errors, paths = Counter(), Counter()
    for day, skill, total, *outcomes, used, saved, cost, sketch, error_types, workflow_paths in rows.values_list(
        *COLUMNS
    ):
        counts = per_day.setdefault(day, Counter())
        counts.update(dict(zip(OUTCOMES, outcomes, strict=True)))
        counts["tokens_used"] += used
        counts["tokens_saved"] += saved
        counts["cost"] += cost
        per_skill[skill]["total"] += total
        per_skill[skill]["success"] += outcomes[0]
        sketches[skill].append(sketch)
        errors.update(error_types)
        paths.update(workflow_paths)
    skills = sorted(per_skill, key=lambda s: (-per_skill[s]["total"], s))[:20]
    return {
        "days": [d.isoformat() for d in days],
        "usage": {o: [per_day[d][o] for d in days] for o in OUTCOMES},
        "tokens_used": [per_day[d]["tokens_used"] for d in days],
        "tokens_saved": [per_day[d]["tokens_saved"] for d in days],
        "cost": [float(per_day[d]["cost"] or Decimal(0)) for d in days],
        "skills": skills,
        "success_rate": [round(100 * per_skill[s]["success"] / per_skill[s]["total"], 1) for s in skills],
        "p95": [round(_merged(sketches[s]).quantile(0.95) or 0, 1) for s in skills],  # only the skills charted
        "errors": [[name, count] for name, count in errors.most_common(TOP_N)],
        "paths": [[name, count] for name, count in paths.most_common(TOP_N)],
        "total": sum(c["total"] for c in per_skill.values()),
        "versions": versions_success(filters.skill_id) if filters.skill_id else [],
    }


def versions_success(skill_id: str) -> list[dict]:
    """The skill's success rate by version, all time (per-version roll-up), with 95 % Wilson
    intervals, oldest version first: one query."""
    rows = (
        SkillVersionUsage.objects.filter(skill_id=skill_id)
        .select_related("skill_version")
        .order_by("skill_version__created_at", "skill_version_id")
    )
    z = z_for(0.95)
    result = []
    for row in rows:
        rate = wilson(row.success_count, row.total, z)
        percent = {key: round(100 * getattr(rate, key), 1) for key in ("value", "low", "high")}
        result.append({
            "version": row.skill_version.version, "current": row.skill_version.is_current, "uses": row.total,
            "success_rate": percent["value"], "low": percent["low"], "high": percent["high"],
        })  # fmt: skip
    return result


def _merged(sketches: list[dict]) -> LatencySketch:
    merged = LatencySketch()
    for sketch in sketches:
        merged.merge(LatencySketch(sketch))
    return merged


def skill_choices() -> list[tuple[str, str]]:
    return [("", "All skills"), *Skill.objects.order_by("skill_id").values_list("skill_id", "skill_id")]
