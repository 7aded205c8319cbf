"""Feedback, and the exact rebuild of every aggregate from the log."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Sum

from skills.aggregates import Aggregate, EventFacts, merge_into_daily, merge_into_metrics, refresh_derived
from skills.models import (
    Feedback,
    Outcome,
    SessionSkill,
    Skill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    UsageEvent,
)

SKILL_UNKNOWN = "no skill with this id"
EVENT_UNKNOWN = "no event of yours with this event_id"
EVENT_OTHER_SKILL = "this event belongs to another skill"
RATING_RANGE = "must be an integer from 1 to 5, or null"


@transaction.atomic
def feedback_record(
    *, user, skill_id: str, rating: int | None = None, tags: list | None = None, notes: str = "", event_id=None
) -> Feedback:
    """Stores feedback and moves the skill's rating aggregates in the same transaction."""
    skill = Skill.objects.filter(skill_id=skill_id).first()
    if skill is None:
        raise ValidationError({"skill_id": [SKILL_UNKNOWN]})
    event = _feedback_event(user, skill, event_id)
    feedback = Feedback(user=user, skill=skill, event=event, rating=rating, tags=tags or [], notes=notes)
    feedback.full_clean()
    feedback.save()
    if rating is not None:
        metrics = _locked_metrics(skill)
        metrics.rating_count += 1
        metrics.rating_sum += rating
        refresh_derived(metrics)
        metrics.save()
    return feedback


def _feedback_event(user, skill: Skill, event_id) -> UsageEvent | None:
    if event_id is None:
        return None
    event = UsageEvent.objects.filter(event_id=event_id, user=user).first()
    if event is None:
        raise ValidationError({"event_id": [EVENT_UNKNOWN]})
    if event.skill_id != skill.skill_id:
        raise ValidationError({"event_id": [EVENT_OTHER_SKILL]})
    return event


def _locked_metrics(skill: Skill) -> SkillMetrics:
    SkillMetrics.objects.get_or_create(skill=skill)
    return SkillMetrics.objects.select_for_update().get(skill=skill)


@dataclass
class RebuildReport:
    events: int
    skills: int
    sessions: int
    days: int


FACT_FIELDS = [
    "skill_id",
    "outcome",
    "latency_ms",
    "error_type",
    "workflow_path",
    "follow_up_actions",
    "tokens_used",
    "tokens_saved",
    "cost_usd",
    "occurred_at",
    "user_id",
    "session_id",
]


@transaction.atomic
def metrics_rebuild() -> RebuildReport:
    """Recomputes SkillMetrics, SessionSkill and the roll-ups from the log alone.

    Counts, sums, minima and maxima are exact; percentiles come from the same
    sketch the ingest path keeps, built from every logged latency, so a rebuild
    equals the incrementally kept values.
    """
    if connection.vendor == "postgresql":
        # Writers wait until the rebuild commits, so it sees a log that does not move.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE skills_usageevent IN SHARE MODE")
    per_skill: dict[str, Aggregate] = defaultdict(Aggregate)
    per_day: dict[tuple, Aggregate] = defaultdict(Aggregate)
    sessions: dict[tuple, SessionSkill] = {}
    users: dict[tuple, SkillUserUsage] = {}
    events = 0
    for values in UsageEvent.objects.order_by().values_list(*FACT_FIELDS).iterator(chunk_size=5000):
        fact = EventFacts(*values)
        events += 1
        per_skill[fact.skill_id].add(fact)
        per_day[(fact.skill_id, fact.occurred_at.date())].add(fact)
        _add_session(sessions, fact)
        _add_user(users, fact)
    _replace_aggregates(per_skill, per_day, sessions, users)
    return RebuildReport(events=events, skills=len(per_skill), sessions=len(sessions), days=len(per_day))


def _add_session(sessions: dict, fact: EventFacts) -> None:
    if not fact.session_id:
        return
    row = sessions.get((fact.session_id, fact.skill_id))
    if row is None:
        row = sessions[(fact.session_id, fact.skill_id)] = SessionSkill(
            session_id=fact.session_id,
            skill_id=fact.skill_id,
            first_invoked_at=fact.occurred_at,
            last_invoked_at=fact.occurred_at,
        )
    row.invocation_count += 1
    row.success_count += fact.outcome == Outcome.SUCCESS
    row.first_invoked_at = min(row.first_invoked_at, fact.occurred_at)
    row.last_invoked_at = max(row.last_invoked_at, fact.occurred_at)
    row.total_duration_ms += fact.latency_ms or 0


def _add_user(users: dict, fact: EventFacts) -> None:
    if fact.user_id is None:
        return
    row = users.get((fact.skill_id, fact.user_id))
    if row is None:
        row = users[(fact.skill_id, fact.user_id)] = SkillUserUsage(
            skill_id=fact.skill_id,
            user_id=fact.user_id,
            first_invoked_at=fact.occurred_at,
            last_invoked_at=fact.occurred_at,
        )
    row.invocation_count += 1
    row.first_invoked_at = min(row.first_invoked_at, fact.occurred_at)
    row.last_invoked_at = max(row.last_invoked_at, fact.occurred_at)


def _replace_aggregates(per_skill: dict, per_day: dict, sessions: dict, users: dict) -> None:
    for model in (SkillMetrics, SessionSkill, SkillUserUsage, SkillDailyUsage):
        model.objects.all().delete()
    user_counts: dict[str, int] = defaultdict(int)
    for skill_id, _user_id in users:
        user_counts[skill_id] += 1
    ratings = {
        row["skill_id"]: row
        for row in Feedback.objects.filter(rating__isnull=False)
        .values("skill_id")
        .annotate(count=Count("id"), total=Sum("rating"))
    }
    metrics_rows = []
    for skill_id in set(per_skill) | set(ratings):
        metrics = SkillMetrics(skill_id=skill_id)
        rating = ratings.get(skill_id)
        if rating:
            metrics.rating_count, metrics.rating_sum = rating["count"], rating["total"]
        merge_into_metrics(metrics, per_skill.get(skill_id, Aggregate()), user_counts[skill_id])
        metrics_rows.append(metrics)
    SkillMetrics.objects.bulk_create(metrics_rows, batch_size=500)
    daily_rows = []
    for (skill_id, day), agg in per_day.items():
        daily = SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into_daily(daily, agg)
        daily_rows.append(daily)
    SkillDailyUsage.objects.bulk_create(daily_rows, batch_size=500)
    SessionSkill.objects.bulk_create(sessions.values(), batch_size=1000)
    SkillUserUsage.objects.bulk_create(users.values(), batch_size=1000)
