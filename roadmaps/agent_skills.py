"""Where roadmaps meet the agent-skill registry: the one module of the app that reads or writes it
(the deconstruction engine's usage events go through `skills.ingestion`, as every event does).

Completing a milestone (by the Complete action, or by practice reaching reps × sets) grants the
learner each skill in its `unlocks_skills`, granted by the system, in the completion's
transaction. Resetting the milestone revokes nothing (an admin can, in the unlocks admin).

Only plans whose author may grant skills unlock anything: a catalog plan, or a plan posted by
staff or by an account holding `skills.grant_unlock`. A learner's own plan naming skills is
refused when posted (400 naming them); an engine's plan never names any (the LLM's is refused
and replaced by the offline plan); and a plan stored before this rule grants nothing.
"""

from __future__ import annotations

from skills.models import Skill, SkillUnlock
from skills.services.registry import skill_unlock_grant

from .choices import PlanOrigin
from .models import MilestoneProgress, SkillDeconstruction
from .plan import Milestone, unlocks_by_path

SKILL_UNLOCK_REASON = "Completed the milestone “{milestone}” of the roadmap “{roadmap}”."
REASON_MAX_LENGTH = SkillUnlock._meta.get_field("unlock_reason").max_length
GRANT_PERMISSION = "skills.grant_unlock"
MAY_NOT_GRANT = (
    "names agent skills your plans may not unlock: {skills} (only catalog plans, staff and accounts with the "
    "skills.grant_unlock permission may); remove unlocks_skills"
)


def may_grant_skills(user) -> bool:
    """Whether plans this user posts may unlock agent skills."""
    return user.is_staff or user.has_perm(GRANT_PERMISSION)


def unlock_refusals(user, data: dict) -> dict[str, str]:
    """{JSON path: message} for each milestone of a valid plan naming skills its poster may not grant."""
    if may_grant_skills(user):
        return {}
    return {path: MAY_NOT_GRANT.format(skills=", ".join(ids)) for path, ids in unlocks_by_path(data).items()}


def plan_grants_skills(deconstruction: SkillDeconstruction) -> bool:
    """A catalog plan grants its skills; a posted plan only when its owner may grant them."""
    if deconstruction.origin == PlanOrigin.CATALOG:
        return True
    return deconstruction.origin == PlanOrigin.CUSTOM and may_grant_skills(deconstruction.owner)


def _grant_milestone_skills(*, user, skill_ids: list[str], reason: str) -> None:
    """The one call into the skills registry's unlock service. An id not registered yet becomes a
    pending unlock that takes effect when a skill with that id is registered."""
    for skill_id in skill_ids:
        skill_unlock_grant(user=user, skill_id=skill_id, reason=reason, granted_by=None)


def milestone_skills_grant(*, progress: MilestoneProgress, milestone: Milestone) -> None:
    """Grants the completed milestone's skills, when its plan may grant them. One the learner already
    has an unlock row for is left alone: completing the milestone again neither rewrites the first grant nor undoes an
    admin's revoke. No query when the milestone unlocks nothing."""
    if not milestone.unlocks_skills:
        return
    deconstruction = progress.deconstruction
    if not plan_grants_skills(deconstruction):
        return
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
