"""Practice activities: logging a session, correcting or deleting one, and the milestone's
counters and status recounted from them."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import RECOUNT_REOPENS, MilestoneProgress, MilestoneStatus, PracticeActivity
from .milestones import milestone_of, progress_locked, progress_move
from .undo import deletion_restore

NOT_EDITABLE = "cannot be changed on a logged session"


def _complete_if_reached(progress: MilestoneProgress) -> None:
    if progress.status != MilestoneStatus.COMPLETED and progress.practice_completions >= milestone_of(progress).target:
        if progress.status != MilestoneStatus.IN_PROGRESS:
            progress_move(progress, MilestoneStatus.IN_PROGRESS)
        progress_move(progress, MilestoneStatus.COMPLETED)


@transaction.atomic
def practice_activity_log(
    *,
    progress: MilestoneProgress,
    activity_type: str,
    title: str,
    description: str = "",
    reps: int = 0,
    completion_time: int | None = None,
    difficulty_rating: int | None = None,
    user_notes: str = "",
    practiced_on: date | None = None,
) -> PracticeActivity:
    """Logs a session that covered `reps` reps: a not-started (or failed) milestone starts,
    the session is an attempt, its reps are completions, and reaching reps × sets completes
    the milestone. A completed milestone stays completed: the learner may keep practising.
    `practiced_on` is the day it happened (today when not given)."""
    progress = progress_locked(progress)
    activity = PracticeActivity(
        milestone_progress=progress,
        activity_type=activity_type,
        title=title,
        description=description,
        reps=reps,
        completed=reps > 0,
        completion_time=completion_time,
        difficulty_rating=difficulty_rating,
        user_notes=user_notes,
        practiced_on=practiced_on or timezone.localdate(),
        completed_at=timezone.now() if reps > 0 else None,
    )
    activity.full_clean()
    activity.save()
    if progress.status in (MilestoneStatus.NOT_STARTED, MilestoneStatus.FAILED):
        progress_move(progress, MilestoneStatus.IN_PROGRESS)
    progress.practice_attempts += 1
    progress.practice_completions += reps
    progress.save(update_fields=["practice_attempts", "practice_completions", "updated_at"])
    _complete_if_reached(progress)
    return activity


def _recount(progress: MilestoneProgress) -> MilestoneProgress:
    """Counters from the counted activities; a completion the recount no longer reaches is
    taken back, one it now reaches is made (a completion by the learner's button stays)."""
    target = milestone_of(progress).target
    reached_before = progress.practice_completions >= target
    totals = progress.activities.filter(counted=True).aggregate(
        attempts=Count("id"), completions=Coalesce(Sum("reps"), 0)
    )
    progress.practice_attempts, progress.practice_completions = totals["attempts"], totals["completions"]
    progress.save(update_fields=["practice_attempts", "practice_completions", "updated_at"])
    if reached_before and progress.practice_completions < target and progress.status in RECOUNT_REOPENS:
        progress.status, progress.completed_at = RECOUNT_REOPENS[progress.status], None
        progress.save(update_fields=["status", "completed_at", "updated_at"])
    elif progress.status != MilestoneStatus.NOT_STARTED:
        _complete_if_reached(progress)
    return progress


def _locked_activity(activity: PracticeActivity) -> PracticeActivity:
    """The activity with its milestone locked first (the order practice_activity_log takes)."""
    progress = progress_locked(activity.milestone_progress)
    activity = PracticeActivity.objects.select_for_update().get(pk=activity.pk)
    activity.milestone_progress = progress
    return activity


EDITABLE_FIELDS = ("activity_type", "title", "description", "reps", "completion_time", "difficulty_rating",
                   "user_notes", "practiced_on")  # fmt: skip


@transaction.atomic
def practice_activity_update(*, activity: PracticeActivity, **changes) -> PracticeActivity:
    """Corrects a logged session (any of EDITABLE_FIELDS); the milestone's counters and
    status are recounted from its activities."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [NOT_EDITABLE] for name in sorted(unknown)})
    activity = _locked_activity(activity)
    for name, value in changes.items():
        setattr(activity, name, value)
    activity.completed = activity.reps > 0
    if not activity.completed:
        activity.completed_at = None
    elif activity.completed_at is None:
        activity.completed_at = activity.created_at
    activity.full_clean()
    activity.save()
    if activity.counted:
        _recount(activity.milestone_progress)
    return activity


@transaction.atomic
def practice_activity_delete(*, activity: PracticeActivity) -> MilestoneProgress:
    """Deletes a logged session and recounts its milestone; returns the milestone's progress."""
    activity = _locked_activity(activity)
    progress, counted = activity.milestone_progress, activity.counted
    activity.delete()
    return _recount(progress) if counted else progress


@transaction.atomic
def practice_activity_restore(*, owner, snapshot: str) -> MilestoneProgress:
    """Undoes practice_activity_delete: the session back with its id and times (a snapshot from
    undo.deletion_snapshot), and its milestone recounted (so a completion it had made is back)."""
    (activity,) = deletion_restore(owner=owner, snapshot=snapshot)
    progress = progress_locked(activity.milestone_progress)
    return _recount(progress) if activity.counted else progress
