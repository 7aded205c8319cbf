"""The learner's own target beside the plan's: the numbers and units of the goal ("1 km", "by
June") shown on the roadmap, and stated on the final milestone when the plan aims elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import get_entry
from ..goal_targets import Target, parse_targets
from ..models import SkillDeconstruction
from ..plan import Milestone

DEADLINE = "deadline"


@dataclass(frozen=True)
class GoalTargets:
    targets: list[Target] = field(default_factory=list)
    differing: list[Target] = field(default_factory=list)  # measurable ones the plan's own end point does not state
    plan_end: str = ""  # where the plan takes the learner ("Can float → swimming 400 m …"), when it differs

    @property
    def text(self) -> str:
        return " · ".join(target.text for target in self.targets)

    @property
    def differing_text(self) -> str:
        return ", ".join(target.text for target in self.differing)


def _same(target: Target, stated: list[Target]) -> bool:
    return any((t.kind, t.number, t.unit) == (target.kind, target.number, target.unit) for t in stated)


def goal_targets(deconstruction: SkillDeconstruction | None, final: Milestone | None) -> GoalTargets:
    """The goal's targets, and those its plan's end point (the catalog entry's stage and the
    final milestone's success criteria) does not state: the learner's, kept in view."""
    if deconstruction is None:
        return GoalTargets()
    targets = parse_targets(deconstruction.user_query)
    entry = get_entry(deconstruction.catalog_entry) if deconstruction.catalog_entry else None
    plan_end = " ".join(filter(None, [entry.stage if entry else "", final.success_criteria if final else ""]))
    stated = parse_targets(plan_end)
    differing = [t for t in targets if t.kind != DEADLINE and not _same(t, stated)]
    return GoalTargets(targets, differing, entry.stage if entry and differing else "")
