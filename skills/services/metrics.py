"""Feedback, and its effect on the skill's metrics."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from skills.aggregates import refresh_derived
from skills.ingestion.identity import may_register
from skills.models import (
    METRICS,
    Feedback,
    Skill,
    SkillMetrics,
    UsageEvent,
)
from skills.services.registry import skill_id_validate

FEEDBACK_REGISTERED_DESCRIPTION = "Auto-registered from feedback: feedback named this skill before it was registered."
SKILL_NOT_REGISTERED = "no registered skill has this id (ask staff to register it)"
EVENT_UNKNOWN = "no event of yours with this event_id"
EVENT_OTHER_SKILL = "this event belongs to another skill"


@transaction.atomic
def feedback_record(
    *, user, skill_id: str, rating: int | None = None, tags: list | None = None, notes: str = "", event_id=None
) -> Feedback:
    """Stores feedback and moves the skill's rating aggregates in the same transaction. A skill id
    the registry has not seen is registered, disabled, when `user` may register skills (as
    telemetry does, `skills.ingestion.identity`), and refused naming `skill_id` otherwise: only
    operators write the registry. Refused feedback registers nothing (one transaction)."""
    skill = _skill_or_registered(skill_id, registers=may_register(user))
    event = _feedback_event(user, skill, event_id)
    feedback = Feedback(user=user, skill=skill, event=event, rating=rating, tags=tags or [], notes=notes)
    feedback.full_clean()
    feedback.save()
    if rating is not None:
        metrics = _locked_metrics(skill)
        metrics.rating_count += 1
        metrics.rating_sum += rating
        refresh_derived(metrics, METRICS)
        metrics.save()
    return feedback


def _skill_or_registered(skill_id: str, *, registers: bool) -> Skill:
    if not registers:
        skill = Skill.objects.filter(skill_id=skill_id).first()
        if skill is None:
            raise ValidationError({"skill_id": [SKILL_NOT_REGISTERED]})
        return skill
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
