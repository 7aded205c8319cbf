"""Milestone progress: the legal transitions (start, complete, fail, reset), the prerequisite
lock, and the learner's notes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..agent_skills import milestone_skills_grant
from ..models import MILESTONE_TRANSITIONS, UNKNOWN_MILESTONE, MilestoneProgress, MilestoneStatus
from ..plan import Milestone, milestones_of
from ..selectors.roadmaps import progress_waiting_for

ILLEGAL_MILESTONE_TRANSITION = "Milestone {milestone} cannot go from {current} to {target}."
MILESTONE_LOCKED = "{milestone} is locked: it waits for {waiting} to be completed first."


def progress_locked(progress: MilestoneProgress) -> MilestoneProgress:
    """The progress row again, locked until the caller's transaction ends: every change to a
    milestone's status or counters reads it this way first (milestones and practice alike)."""
    return MilestoneProgress.objects.select_for_update().select_related("deconstruction").get(pk=progress.pk)


def _named(milestone: Milestone) -> str:
    return f"“{milestone.title}” ({milestone.id})"


def _refuse_if_locked(progress: MilestoneProgress) -> None:
    """Starting a milestone, by the button or by logging practice, needs its prerequisites completed."""
    waiting = progress_waiting_for(progress)
    if waiting:
        names = ", ".join(_named(milestone) for milestone in waiting)
        raise ValidationError(
            {"waiting_for": [MILESTONE_LOCKED.format(milestone=_named(milestone_of(progress)), waiting=names)]}
        )


def progress_move(progress: MilestoneProgress, target: str) -> MilestoneProgress:
    """One legal transition of a locked row (`progress_locked`), inside the caller's transaction:
    a locked milestone cannot start, a reset uncounts its practice, a completion grants its skills."""
    if target not in MILESTONE_TRANSITIONS[progress.status]:
        current, milestone = progress.status, progress.milestone_id
        message = ILLEGAL_MILESTONE_TRANSITION.format(milestone=milestone, current=current, target=target)
        raise ValidationError({"status": [ValidationError(message, code="illegal_transition")]})
    if progress.status == MilestoneStatus.NOT_STARTED:
        _refuse_if_locked(progress)
    now = timezone.now()
    if target == MilestoneStatus.IN_PROGRESS and progress.started_at is None:
        progress.started_at = now
    if target == MilestoneStatus.COMPLETED:
        progress.completed_at = now
    if target == MilestoneStatus.NOT_STARTED:
        progress.started_at = progress.completed_at = None
        progress.practice_attempts = progress.practice_completions = 0
        # The history stays, but no longer counts: a recount after an edit must not bring it back.
        progress.activities.filter(counted=True).update(counted=False)
    progress.status = target
    progress.save()
    if target == MilestoneStatus.COMPLETED:
        milestone_skills_grant(progress=progress, milestone=milestone_of(progress))
    return progress


@transaction.atomic
def milestone_start(*, progress: MilestoneProgress) -> MilestoneProgress:
    return progress_move(progress_locked(progress), MilestoneStatus.IN_PROGRESS)


@transaction.atomic
def milestone_complete(*, progress: MilestoneProgress) -> MilestoneProgress:
    return progress_move(progress_locked(progress), MilestoneStatus.COMPLETED)


@transaction.atomic
def milestone_fail(*, progress: MilestoneProgress) -> MilestoneProgress:
    return progress_move(progress_locked(progress), MilestoneStatus.FAILED)


@transaction.atomic
def milestone_reset(*, progress: MilestoneProgress) -> MilestoneProgress:
    return progress_move(progress_locked(progress), MilestoneStatus.NOT_STARTED)


@transaction.atomic
def milestone_notes_update(*, progress: MilestoneProgress, notes: str | None) -> MilestoneProgress:
    """The learner's notes on a milestone; its status and counters are left alone."""
    progress = progress_locked(progress)
    if notes is None:  # nothing to change (a PATCH without notes)
        return progress
    progress.notes = notes
    progress.clean_fields(exclude=[f.name for f in MilestoneProgress._meta.fields if f.name != "notes"])
    progress.save(update_fields=["notes", "updated_at"])
    return progress


def milestone_of(progress: MilestoneProgress):
    """The plan's milestone this progress row tracks."""
    for milestone in milestones_of(progress.deconstruction.deconstruction_data):
        if milestone.id == progress.milestone_id:
            return milestone
    raise ValidationError({"milestone_id": [UNKNOWN_MILESTONE.format(milestone=progress.milestone_id)]})
