"""Every write path of the roadmaps app; the API, the web pages and the admin call these.

Each is one transaction. The one exception is on purpose: the deconstruction engine (maybe
a network call to a model) runs before the transaction opens, in `deconstruction_create`
and `roadmap_create_from_goal`, which then write everything in one atomic block.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from skills.ingestion import usage_events_record

from .deconstruction import Generated, get_generator
from .models import (
    MILESTONE_TRANSITIONS,
    RECOUNT_REOPENS,
    UNKNOWN_MILESTONE,
    MilestoneProgress,
    MilestoneStatus,
    PracticeActivity,
    Roadmap,
    SkillDeconstruction,
    SkillType,
)
from .plan import milestones_of, validate_plan

ILLEGAL_TRANSITION = "Milestone {milestone} cannot go from {current} to {target}."
NOT_YOUR_DECONSTRUCTION = "No deconstruction of yours has this id."
QUERY_REQUIRED = "Describe what you want to learn."
BAD_SKILL_TYPE = f"must be one of {', '.join(SkillType.values)}"
TITLE_MAX_LENGTH = Roadmap._meta.get_field("title").max_length
TITLE_TOO_LONG = f"must be at most {TITLE_MAX_LENGTH} characters"
GENERATION_WORKFLOW = "roadmaps/deconstruct"
NOT_EDITABLE = "cannot be changed on a logged session"


def _log_generation(owner, generated: Generated, deconstruction: SkillDeconstruction) -> None:
    """The generation as one usage event of the generator's skill (latency, tokens, cost),
    written in the deconstruction's transaction: both are kept, or neither."""
    usage_events_record(
        events=[
            {
                "event_id": str(uuid.uuid4()),
                "skill_id": generated.skill_id,
                "outcome": generated.outcome,
                "latency_ms": generated.latency_ms,
                "tokens_used": generated.tokens_used,
                "cost_usd": str(generated.cost_usd),
                "error_type": generated.error_type,
                "workflow_path": GENERATION_WORKFLOW,
                "input_hash": hashlib.sha256(deconstruction.user_query.encode()).hexdigest(),
                "artifacts": {"deconstruction_id": str(deconstruction.pk), "skill_type": deconstruction.skill_type},
                "occurred_at": timezone.now().isoformat(),
            }
        ],
        user=owner,
    )


def _check_goal(user_query: str, skill_type: str) -> None:
    if not isinstance(user_query, str) or not user_query.strip():
        raise ValidationError({"user_query": [QUERY_REQUIRED]})
    if skill_type not in SkillType.values:
        raise ValidationError({"skill_type": [BAD_SKILL_TYPE]})


def deconstruction_generate(*, user_query: str, skill_type: str) -> Generated:
    """The configured engine's plan for a goal. No database access: the services call it
    before their transaction opens, so a slow model never holds one open."""
    _check_goal(user_query, skill_type)
    return get_generator().generate(user_query.strip(), skill_type)


@transaction.atomic
def deconstruction_save(
    *, owner, user_query: str, skill_type: str, skill_name: str = "", data=None, generated: Generated | None = None
) -> SkillDeconstruction:
    """Posted `data`, or a `generated` plan together with its usage event."""
    _check_goal(user_query, skill_type)
    if generated is not None:
        data, skill_name = generated.data, skill_name or generated.skill_name
    validate_plan(data)
    deconstruction = SkillDeconstruction(
        owner=owner,
        user_query=user_query.strip(),
        skill_name=(skill_name or user_query).strip()[:255],
        skill_type=skill_type,
        deconstruction_data=data,
    )
    deconstruction.full_clean()
    deconstruction.save()
    if generated is not None:
        _log_generation(owner, generated, deconstruction)
    return deconstruction


def deconstruction_create(
    *, owner, user_query: str, skill_type: str, skill_name: str = "", data: dict | None = None
) -> tuple[SkillDeconstruction, list[str]]:
    """From posted data, or through the engine when `data` is None. Returns it and the
    engine's warnings (e.g. the LLM fell back to the offline plan)."""
    generated = deconstruction_generate(user_query=user_query, skill_type=skill_type) if data is None else None
    deconstruction = deconstruction_save(
        owner=owner, user_query=user_query, skill_type=skill_type, skill_name=skill_name, data=data, generated=generated
    )
    return deconstruction, generated.warnings if generated else []


def _ensure_progress_rows(deconstruction: SkillDeconstruction) -> None:
    existing = set(deconstruction.progress.values_list("milestone_id", flat=True))
    MilestoneProgress.objects.bulk_create(
        [
            MilestoneProgress(deconstruction=deconstruction, milestone_id=m.id)
            for m in milestones_of(deconstruction.deconstruction_data)
            if m.id not in existing
        ]
    )


@transaction.atomic
def roadmap_create(
    *, owner, title: str, description: str = "", deconstruction: SkillDeconstruction | None = None
) -> Roadmap:
    """A roadmap, with one progress row per milestone of its deconstruction."""
    if deconstruction is not None and deconstruction.owner_id != owner.pk:
        raise ValidationError({"deconstruction": [NOT_YOUR_DECONSTRUCTION]})
    roadmap = Roadmap(
        owner=owner,
        title=title,
        description=description,
        deconstruction=deconstruction,
        is_deconstructed=deconstruction is not None,
    )
    roadmap.full_clean()
    roadmap.save()
    if deconstruction is not None:
        _ensure_progress_rows(deconstruction)
    return roadmap


def roadmap_create_from_goal(*, owner, user_query: str, skill_type: str, title: str = "") -> tuple[Roadmap, list[str]]:
    """Deconstruct the goal (before the transaction), then the deconstruction, its usage
    event, the roadmap and one progress row per milestone in one transaction."""
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError({"title": [TITLE_TOO_LONG]})
    generated = deconstruction_generate(user_query=user_query, skill_type=skill_type)
    with transaction.atomic():
        deconstruction = deconstruction_save(
            owner=owner, user_query=user_query, skill_type=skill_type, generated=generated
        )
        roadmap = roadmap_create(
            owner=owner,
            title=title or deconstruction.skill_name,
            description=f"Roadmap for: {deconstruction.user_query}",
            deconstruction=deconstruction,
        )
    return roadmap, generated.warnings


@transaction.atomic
def roadmap_update(
    *, roadmap: Roadmap, title: str | None = None, description: str | None = None, archived: bool | None = None
) -> Roadmap:
    """Rename, describe, archive (hidden from the learner's list) or restore a roadmap."""
    if title is not None:
        roadmap.title = title
    if description is not None:
        roadmap.description = description
    if archived is not None and archived != (roadmap.archived_at is not None):
        roadmap.archived_at = timezone.now() if archived else None
    roadmap.full_clean()
    roadmap.save()
    return roadmap


@transaction.atomic
def roadmap_delete(*, roadmap: Roadmap) -> None:
    """The roadmap, and its deconstruction with its progress and practice when no other
    roadmap follows that plan: a deleted roadmap leaves nothing in the learner's history."""
    deconstruction_id = roadmap.deconstruction_id
    roadmap.delete()
    if deconstruction_id is not None and not Roadmap.objects.filter(deconstruction_id=deconstruction_id).exists():
        SkillDeconstruction.objects.filter(pk=deconstruction_id).delete()


def _locked(progress: MilestoneProgress) -> MilestoneProgress:
    return MilestoneProgress.objects.select_for_update().select_related("deconstruction").get(pk=progress.pk)


def _move(progress: MilestoneProgress, target: str) -> MilestoneProgress:
    if target not in MILESTONE_TRANSITIONS[progress.status]:
        raise ValidationError(
            {
                "status": [
                    ILLEGAL_TRANSITION.format(milestone=progress.milestone_id, current=progress.status, target=target)
                ]
            }
        )
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
    return progress


@transaction.atomic
def milestone_start(*, progress: MilestoneProgress) -> MilestoneProgress:
    return _move(_locked(progress), MilestoneStatus.IN_PROGRESS)


@transaction.atomic
def milestone_complete(*, progress: MilestoneProgress) -> MilestoneProgress:
    return _move(_locked(progress), MilestoneStatus.COMPLETED)


@transaction.atomic
def milestone_fail(*, progress: MilestoneProgress) -> MilestoneProgress:
    return _move(_locked(progress), MilestoneStatus.FAILED)


@transaction.atomic
def milestone_reset(*, progress: MilestoneProgress) -> MilestoneProgress:
    return _move(_locked(progress), MilestoneStatus.NOT_STARTED)


@transaction.atomic
def milestone_notes_update(*, progress: MilestoneProgress, notes: str) -> MilestoneProgress:
    """The learner's notes on a milestone; its status and counters are left alone."""
    progress = _locked(progress)
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


def _complete_if_reached(progress: MilestoneProgress) -> None:
    if progress.status != MilestoneStatus.COMPLETED and progress.practice_completions >= milestone_of(progress).target:
        if progress.status != MilestoneStatus.IN_PROGRESS:
            _move(progress, MilestoneStatus.IN_PROGRESS)
        _move(progress, MilestoneStatus.COMPLETED)


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
) -> PracticeActivity:
    """Logs a session that covered `reps` reps: a not-started (or failed) milestone starts,
    the session is an attempt, its reps are completions, and reaching reps × sets completes
    the milestone. A completed milestone stays completed: the learner may keep practising."""
    progress = _locked(progress)
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
        completed_at=timezone.now() if reps > 0 else None,
    )
    activity.full_clean()
    activity.save()
    if progress.status in (MilestoneStatus.NOT_STARTED, MilestoneStatus.FAILED):
        _move(progress, MilestoneStatus.IN_PROGRESS)
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
    progress = _locked(activity.milestone_progress)
    activity = PracticeActivity.objects.select_for_update().get(pk=activity.pk)
    activity.milestone_progress = progress
    return activity


EDITABLE_FIELDS = ("activity_type", "title", "description", "reps", "completion_time", "difficulty_rating",
                   "user_notes")  # fmt: skip


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
