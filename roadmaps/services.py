"""Every write path of the roadmaps app; the API, the web pages and the admin call these.

Each is one transaction. The one exception is on purpose: the deconstruction engine (maybe
a network call to a model) runs before the transaction opens, in `deconstruction_create`
and `roadmap_create_from_goal`, which then write everything in one atomic block.
"""

from __future__ import annotations

import hashlib
import time
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from skills.ingestion import usage_events_record

from .catalog import CatalogEntry, get_entry
from .catalog.matching import closest_entries, match_goal
from .deconstruction import Generated, get_generator
from .deconstruction.base import ms_since
from .deconstruction.offline import kind_of
from .models import (
    DESCRIPTION_MAX_LENGTH,
    MILESTONE_TRANSITIONS,
    RECOUNT_REOPENS,
    UNKNOWN_MILESTONE,
    MilestoneProgress,
    MilestoneStatus,
    PlanOrigin,
    PracticeActivity,
    Roadmap,
    SkillDeconstruction,
    SkillType,
)
from .plan import Milestone, milestones_of, validate_plan
from .selectors import progress_waiting_for
from .skill_grants import milestone_skills_grant

ILLEGAL_TRANSITION = "Milestone {milestone} cannot go from {current} to {target}."
MILESTONE_LOCKED = "{milestone} is locked: it waits for {waiting} to be completed first."
NOT_YOUR_DECONSTRUCTION = "No deconstruction of yours has this id."
QUERY_REQUIRED = "Describe what you want to learn."
BAD_SKILL_TYPE = f"must be one of {', '.join(SkillType.values)}"
TITLE_MAX_LENGTH = Roadmap._meta.get_field("title").max_length
TITLE_TOO_LONG = f"must be at most {TITLE_MAX_LENGTH} characters"
GENERATION_WORKFLOW = "roadmaps/deconstruct"
NOT_EDITABLE = "cannot be changed on a logged session"
CATALOG_SKILL_ID = "roadmap-catalog"
UNKNOWN_CATALOG_ENTRY = "No catalog plan has the id {entry!r}."
NO_CATALOG_MATCH = "No expert plan matches this goal yet, so this is a generic plan. Closest expert plans: {titles}."
GOAL_ALREADY_STARTED = "You already have a roadmap for this goal: “{title}”. Confirm to start another one."


class GoalAlreadyStarted(ValidationError):
    """A second roadmap for a goal the learner already has, asked for without confirming."""

    def __init__(self, roadmap: Roadmap) -> None:
        super().__init__({"confirm": [GOAL_ALREADY_STARTED.format(title=roadmap.title)]})
        self.roadmap = roadmap


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
                "artifacts": {
                    "deconstruction_id": str(deconstruction.pk),
                    "skill_type": deconstruction.skill_type,
                    "origin": deconstruction.origin,
                    "catalog_entry": deconstruction.catalog_entry,
                },
                "occurred_at": timezone.now().isoformat(),
            }
        ],
        user=owner,
    )


def _check_goal(user_query: str, skill_type: str) -> None:
    if not isinstance(user_query, str) or not user_query.strip():
        raise ValidationError({"user_query": [QUERY_REQUIRED]})
    if skill_type and skill_type not in SkillType.values:
        raise ValidationError({"skill_type": [BAD_SKILL_TYPE]})


def catalog_entry_for(user_query: str, catalog_entry: str = "") -> CatalogEntry | None:
    """The expert plan for a goal: the entry asked for by id, else the one the goal matches."""
    if catalog_entry:
        entry = get_entry(catalog_entry)
        if entry is None:
            message = UNKNOWN_CATALOG_ENTRY.format(entry=catalog_entry)
            raise ValidationError({"catalog_entry": [ValidationError(message, code="does_not_exist")]})
        return entry
    match = match_goal(user_query)
    return match.entry if match else None


def _from_catalog(entry: CatalogEntry) -> Generated:
    start = time.perf_counter()
    return Generated(
        data=entry.plan_copy(),
        skill_name=entry.title,
        skill_id=CATALOG_SKILL_ID,
        latency_ms=ms_since(start),
        origin=PlanOrigin.CATALOG,
        catalog_entry=entry.id,
        skill_type=entry.kind,
    )


def _from_engine(user_query: str, skill_type: str) -> Generated:
    kind = skill_type or kind_of(user_query)
    generated = get_generator().generate(user_query, kind)
    generated.skill_type = kind
    generated.closest = closest_entries(user_query)
    titles = ", ".join(match.entry.title for match in generated.closest)
    generated.warnings = [*generated.warnings, NO_CATALOG_MATCH.format(titles=titles)]
    return generated


def deconstruction_generate(*, user_query: str, skill_type: str = "", catalog_entry: str = "") -> Generated:
    """The plan for a goal: a copy of the matching expert plan from the catalog (its kind wins
    over the one given), else the configured engine's generic plan with the closest catalog
    entries offered. No database access: the services call it before their transaction
    opens, so a slow model never holds one open."""
    _check_goal(user_query, skill_type)
    entry = catalog_entry_for(user_query, catalog_entry)
    return _from_catalog(entry) if entry else _from_engine(user_query.strip(), skill_type)


@transaction.atomic
def deconstruction_save(
    *, owner, user_query: str, skill_type: str = "", skill_name: str = "", data=None, generated: Generated | None = None
) -> SkillDeconstruction:
    """Posted `data` (the learner's own plan), or a `generated` plan together with its usage event."""
    _check_goal(user_query, skill_type)
    origin, catalog_entry = PlanOrigin.CUSTOM, ""
    if generated is not None:
        data, skill_name = generated.data, skill_name or generated.skill_name
        origin, catalog_entry = generated.origin, generated.catalog_entry
        skill_type = generated.skill_type or skill_type
    validate_plan(data)
    deconstruction = SkillDeconstruction(
        owner=owner,
        user_query=user_query.strip(),
        skill_name=(skill_name or user_query).strip()[:255],
        skill_type=skill_type or kind_of(user_query),
        origin=origin,
        catalog_entry=catalog_entry,
        deconstruction_data=data,
    )
    deconstruction.full_clean()
    deconstruction.save()
    if generated is not None:
        _log_generation(owner, generated, deconstruction)
    return deconstruction


def deconstruction_create(
    *, owner, user_query: str, skill_type: str = "", skill_name: str = "", data: dict | None = None,
    catalog_entry: str = "",
) -> tuple[SkillDeconstruction, list[str]]:  # fmt: skip
    """From posted data, or from the catalog or the engine when `data` is None. Returns it and
    the warnings (no expert plan matched; an LLM plan replaced by the offline one)."""
    generated = None
    if data is None:
        generated = deconstruction_generate(user_query=user_query, skill_type=skill_type, catalog_entry=catalog_entry)
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
        raise ValidationError({"deconstruction": [ValidationError(NOT_YOUR_DECONSTRUCTION, code="does_not_exist")]})
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


def existing_roadmap_for_goal(owner, user_query: str, entry: CatalogEntry | None) -> Roadmap | None:
    """The learner's roadmap for the same goal: the same catalog entry, or the same words."""
    roadmaps = Roadmap.objects.for_learner(owner)
    if entry is not None:
        return roadmaps.filter(deconstruction__catalog_entry=entry.id).first()
    same_words = {"deconstruction__catalog_entry": "", "deconstruction__user_query__iexact": user_query.strip()}
    return roadmaps.filter(**same_words).first()


def roadmap_create_from_goal(
    *, owner, user_query: str, skill_type: str = "", title: str = "", catalog_entry: str = "", confirm: bool = True
) -> tuple[Roadmap, list[str]]:
    """Match or deconstruct the goal (before the transaction), then the deconstruction, its
    usage event, the roadmap and one progress row per milestone in one transaction. With
    `confirm` False, a goal the learner already has a roadmap for raises GoalAlreadyStarted."""
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError({"title": [TITLE_TOO_LONG]})
    _check_goal(user_query, skill_type)
    entry = catalog_entry_for(user_query, catalog_entry)
    if not confirm:
        existing = existing_roadmap_for_goal(owner, user_query, entry)
        if existing is not None:
            raise GoalAlreadyStarted(existing)
    generated = _from_catalog(entry) if entry else _from_engine(user_query.strip(), skill_type)
    with transaction.atomic():
        deconstruction = deconstruction_save(
            owner=owner, user_query=user_query, skill_type=skill_type, generated=generated
        )
        roadmap = roadmap_create(
            owner=owner,
            title=title or deconstruction.skill_name,
            description=f"Roadmap for: {deconstruction.user_query}"[:DESCRIPTION_MAX_LENGTH],
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


def _move(progress: MilestoneProgress, target: str) -> MilestoneProgress:
    if target not in MILESTONE_TRANSITIONS[progress.status]:
        message = ILLEGAL_TRANSITION.format(milestone=progress.milestone_id, current=progress.status, target=target)
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
def milestone_notes_update(*, progress: MilestoneProgress, notes: str | None) -> MilestoneProgress:
    """The learner's notes on a milestone; its status and counters are left alone."""
    progress = _locked(progress)
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
