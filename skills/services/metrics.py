"""Feedback, and its effect on the skill's metrics."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from skills.aggregates import refresh_derived
from skills.models import (
    Feedback,
    Skill,
    SkillMetrics,
    UsageEvent,
)
from skills.services.registry import skill_id_validate

FEEDBACK_REGISTERED_DESCRIPTION = "Auto-registered from feedback: feedback named this skill before it was registered."
EVENT_UNKNOWN = "no event of yours with this event_id"
EVENT_OTHER_SKILL = "this event belongs to another skill"
RATING_RANGE = "must be an integer from 1 to 5, or null"


@transaction.atomic
def feedback_record(
    *, user, skill_id: str, rating: int | None = None, tags: list | None = None, notes: str = "", event_id=None
) -> Feedback:
    """Stores feedback and moves the skill's rating aggregates in the same transaction. A skill id
    the registry has not seen is registered, disabled, as telemetry does (`usage_events_record`):
    no feedback is lost, and refused feedback registers nothing (one transaction)."""
    skill = _skill_or_registered(skill_id)
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


def _skill_or_registered(skill_id: str) -> Skill:
    skill, _created = Skill.objects.get_or_create(
        skill_id=skill_id_validate(skill_id),
        defaults={"display_name": skill_id, "description": FEEDBACK_REGISTERED_DESCRIPTION, "enabled": False},
    )
    return skill


def _feedback_event(user, skill: Skill, event_id) -> UsageEvent | None:
    if event_id is None:
        return None
    event = UsageEvent.objects.filter(event_id=event_id, user=user).first()
    if event is None:
        raise ValidationError({"event_id": [ValidationError(EVENT_UNKNOWN, code="does_not_exist")]})
    if event.skill_id != skill.skill_id:
        raise ValidationError({"event_id": [EVENT_OTHER_SKILL]})
    return event


def _locked_metrics(skill: Skill) -> SkillMetrics:
    SkillMetrics.objects.get_or_create(skill=skill)
    return SkillMetrics.objects.select_for_update().get(skill=skill)
