"""What a deletion would undo, worked out before it happens, for the confirmation pages."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import RECOUNT_REOPENS, MilestoneStatus, PracticeActivity
from ..plan import Milestone, milestones_of
from .roadmaps import milestone_locks


@dataclass(frozen=True)
class PracticeDeletion:
    activity: PracticeActivity
    milestone: Milestone
    completions_before: int
    completions_after: int
    status_before: str
    status_after: str
    newly_locked: list[Milestone]

    @property
    def reopens(self) -> bool:
        return self.status_after != self.status_before

    @property
    def status_before_label(self) -> str:
        return MilestoneStatus(self.status_before).label.lower()

    @property
    def status_after_label(self) -> str:
        return MilestoneStatus(self.status_after).label.lower()


def practice_deletion(activity: PracticeActivity) -> PracticeDeletion:
    """The session's milestone after the deletion (the recount practice_activity_delete makes:
    a completion reached by practice and no longer reached is taken back) and the milestones
    that would lock because they wait for it."""
    progress = activity.milestone_progress
    milestones = list(milestones_of(progress.deconstruction.deconstruction_data))
    milestone = next(m for m in milestones if m.id == progress.milestone_id)
    before = progress.practice_completions
    after = before - activity.reps if activity.counted else before
    status_after = progress.status
    if before >= milestone.target > after and progress.status in RECOUNT_REOPENS:
        status_after = RECOUNT_REOPENS[progress.status]
    statuses = {row.milestone_id: row.status for row in progress.deconstruction.progress.all()}
    locked_before = milestone_locks(milestones, statuses)
    locked_after = milestone_locks(milestones, {**statuses, progress.milestone_id: status_after})
    newly_locked = [m for m in milestones if m.id in locked_after and m.id not in locked_before]
    return PracticeDeletion(activity, milestone, before, after, progress.status, status_after, newly_locked)
