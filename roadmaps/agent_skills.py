"""Where roadmaps meet the agent-skill registry: the one module of the app that reads or writes it
(the deconstruction engine's usage events go through `skills.ingestion`, as every event does).

Completing a milestone (by the Complete action, or by practice reaching reps × sets) grants the
learner each skill in its `unlocks_skills`, granted by the system, in the completion's
transaction. Resetting the milestone revokes nothing (an admin can, in the unlocks admin).
"""

from __future__ import annotations

from skills.models import Skill, SkillUnlock
from skills.services.registry import skill_unlock_grant

from .models import MilestoneProgress
from .plan import Milestone

SKILL_UNLOCK_REASON = "Completed the milestone “{milestone}” of the roadmap “{roadmap}”."
REASON_MAX_LENGTH = SkillUnlock._meta.get_field("unlock_reason").max_length


def _grant_milestone_skills(*, user, skill_ids: list[str], reason: str) -> None:
    """The one call into the skills registry's unlock service. An id not registered yet becomes a
    pending unlock that takes effect when a skill with that id is registered."""
    for skill_id in skill_ids:
        skill_unlock_grant(user=user, skill_id=skill_id, reason=reason, granted_by=None)


def milestone_skills_grant(*, progress: MilestoneProgress, milestone: Milestone) -> None:
    """Grants the completed milestone's skills. One the learner already has an unlock row for is
    left alone: completing the milestone again neither rewrites the first grant nor undoes an
    admin's revoke. No query when the milestone unlocks nothing."""
    if not milestone.unlocks_skills:
        return
    deconstruction = progress.deconstruction
    held = SkillUnlock.objects.filter(user=deconstruction.owner_id, skill_id__in=milestone.unlocks_skills)
    skill_ids = sorted(set(milestone.unlocks_skills) - set(held.values_list("skill_id", flat=True)))
    if not skill_ids:
        return
    roadmap = deconstruction.roadmaps.order_by("created_at").first()
    reason = SKILL_UNLOCK_REASON.format(
        milestone=milestone.title, roadmap=roadmap.title if roadmap else deconstruction.skill_name
    )
    _grant_milestone_skills(user=deconstruction.owner, skill_ids=skill_ids, reason=reason[:REASON_MAX_LENGTH])


def skills_loadable_by(user_id, skill_ids: set[str]) -> set[str]:
    """Which of these agent skills the learner may load now (the registry's own rule,
    `Skill.objects.available_to`); no query for none."""
    if not skill_ids:
        return set()
    return set(Skill.objects.available_to(user_id).filter(skill_id__in=skill_ids).values_list("skill_id", flat=True))
