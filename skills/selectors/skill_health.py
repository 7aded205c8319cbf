"""Skill health, from the roll-ups only (SkillMetrics, SkillDailyUsage, SessionSkill): no read of the log."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from skills.models import (
    SessionSkill,
    Skill,
    SkillDailyUsage,
)


class Health(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    TOO_FEW_USES = "too_few_uses", "Too few uses to judge"
    DORMANT = "dormant", "Dormant"
    FAILING = "failing", "Failing"
    MISFIRING = "misfiring", "Misfiring"


TOO_FEW_USES = "{uses} use(s) in the last {days} days: too few to judge (fewer than {minimum})"


# Context cost is an estimate: about four characters a token for English text and Markdown (the
# rule of thumb Anthropic gives); no tokenizer is shipped for Claude models, and a skill's cost
# is compared with others', for which a consistent estimate serves.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class SkillHealth:
    status: str  # the first of `conditions`
    reason: str
    conditions: list[dict[str, str]]  # every condition that applies: [{"status", "reason"}], worst first
    recent_uses: int  # completed attempts (success, failure, error) counted for the success rate
    recent_success_rate: float | None  # percent of those that succeeded
    sessions: int  # sessions of the window that loaded the skill
    misfired_sessions: int  # of those, sessions where it never succeeded (abandoned or failed)


def percentiles_reliable(metrics) -> bool:
    """Whether the latency percentiles rest on enough samples: a p95 of four calls is their maximum."""
    return metrics.duration_count >= settings.SKILL_PERCENTILE_MIN_SAMPLES


def context_cost(skill: Skill) -> dict[str, int | None]:
    """Estimated tokens the skill adds to every session where it is available (its name and
    description, which the agent lists) and when loaded (its SKILL.md); `current_versions` prefetched."""
    current = getattr(skill, "current_versions", [])
    return {
        "listing_tokens": math.ceil(len(f"{skill.skill_id}: {skill.description}") / CHARS_PER_TOKEN),
        "body_tokens": math.ceil(len(current[0].content) / CHARS_PER_TOKEN) if current else None,
    }


def _recent_uses(daily: list[tuple[int, int]], wanted: int) -> tuple[int, int]:
    """(attempts, successes) of the newest days until `wanted` attempts: the last M uses, to the day."""
    attempts = successes = 0
    for day_attempts, day_successes in daily:
        if attempts >= wanted:
            break
        attempts, successes = attempts + day_attempts, successes + day_successes
    return attempts, successes


def _conditions(skill: Skill, uses: tuple[int, int], sessions: tuple[int, int], now: datetime) -> list[tuple[str, str]]:
    """Every condition that applies (failing and misfiring can both), worst first; else too few
    uses to judge, or healthy."""
    attempts, successes = uses
    found = []
    rate = 100.0 * successes / attempts if attempts else None
    if attempts >= settings.SKILL_HEALTH_MIN_USES and rate < settings.SKILL_HEALTH_FAILING_RATE:
        found.append((Health.FAILING, f"{successes} of its last {attempts} uses succeeded ({rate:.0f} %)"))
    loaded, misfired = sessions
    if loaded >= settings.SKILL_HEALTH_MISFIRE_MIN_SESSIONS and misfired > settings.SKILL_HEALTH_MISFIRE_SHARE * loaded:
        found.append((Health.MISFIRING, f"loaded in {loaded} sessions, never succeeded in {misfired} of them"))
    metrics = getattr(skill, "metrics", None)
    last_used = metrics.last_invoked if metrics else None
    # Never used: idle since it was registered, so dormant once it has been available that long.
    idle_since = last_used or skill.created_at
    if skill.enabled and idle_since < now - timedelta(days=settings.SKILL_HEALTH_DORMANT_DAYS):
        since = f"not used since {last_used:%Y-%m-%d}" if last_used else f"never used since {skill.created_at:%Y-%m-%d}"
        found.append((Health.DORMANT, f"{since}, though available"))
    if found:
        return found
    if attempts < settings.SKILL_HEALTH_MIN_USES:
        days, minimum = settings.SKILL_HEALTH_WINDOW_DAYS, settings.SKILL_HEALTH_MIN_USES
        return [(Health.TOO_FEW_USES, TOO_FEW_USES.format(uses=attempts, days=days, minimum=minimum))]
    return [(Health.HEALTHY, f"in use, succeeding ({successes} of its last {attempts} uses)")]


def skills_health(skills: Iterable[Skill] | None = None, *, now: datetime | None = None) -> dict[str, SkillHealth]:
    """Each skill's health (`skills` with metrics loaded; every skill by default), from the last
    SKILL_HEALTH_WINDOW_DAYS of roll-ups: 3 queries whatever the number of skills and events.

    failing — under SKILL_HEALTH_FAILING_RATE % of its last SKILL_HEALTH_FAILING_USES completed
    attempts succeeded (at least SKILL_HEALTH_MIN_USES; abandoned uses are misfiring's signal);
    misfiring — loaded in at least SKILL_HEALTH_MISFIRE_MIN_SESSIONS sessions and, in more than
    SKILL_HEALTH_MISFIRE_SHARE of them, never succeeded (abandoned, failed, no further work);
    dormant — enabled, and not used for SKILL_HEALTH_DORMANT_DAYS (never used: since registered);
    too few uses to judge — none of these, and fewer than SKILL_HEALTH_MIN_USES completed attempts
    in the window (never "healthy" on so little);
    healthy — none of these. Every condition that applies is listed; the first is the status."""
    now = now or timezone.now()
    skills = list(Skill.objects.select_related("metrics") if skills is None else skills)
    ids = [skill.skill_id for skill in skills]
    since = now - timedelta(days=settings.SKILL_HEALTH_WINDOW_DAYS)
    daily: dict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = SkillDailyUsage.objects.filter(skill_id__in=ids, day__gte=since.date()).order_by("skill_id", "-day")
    for skill_id, success, failure, error in rows.values_list(
        "skill_id", "success_count", "failure_count", "error_count"
    ):
        daily[skill_id].append((success + failure + error, success))
    sessions = {
        row["skill_id"]: (row["loaded"], row["misfired"])
        for row in SessionSkill.objects.filter(skill_id__in=ids, last_invoked_at__gte=since)
        .values("skill_id")
        .annotate(loaded=Count("id"), misfired=Count("id", filter=Q(success_count=0)))
    }
    health = {}
    for skill in skills:
        uses = _recent_uses(daily[skill.skill_id], settings.SKILL_HEALTH_FAILING_USES)
        loaded = sessions.get(skill.skill_id, (0, 0))
        conditions = _conditions(skill, uses, loaded, now)
        rate = round(100.0 * uses[1] / uses[0], 1) if uses[0] else None
        listed = [{"status": str(status), "reason": reason} for status, reason in conditions]
        health[skill.skill_id] = SkillHealth(*conditions[0], listed, uses[0], rate, *loaded)
    return health


def with_health(queryset: QuerySet[Skill]) -> QuerySet[Skill]:
    """The skills annotated with `health_status` (filterable, sortable), computed for every skill
    by `skills_health`: 3 queries before the queryset's own."""
    by_status: dict[str, list[str]] = defaultdict(list)
    for skill_id, health in skills_health().items():
        by_status[health.status].append(skill_id)
    whens = [
        When(skill_id__in=ids, then=Value(status)) for status, ids in by_status.items() if status != Health.HEALTHY
    ]
    return queryset.annotate(health_status=Case(*whens, default=Value(Health.HEALTHY.value), output_field=CharField()))
