"""Roadmaps: created from a deconstruction or straight from a goal, renamed, archived, deleted."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..catalog import CatalogEntry
from ..models import DESCRIPTION_MAX_LENGTH, MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from ..plan import milestones_of
from .goals import catalog_entry_for, deconstruction_save, goal_validate, plan_for_goal
from .undo import deletion_restore, deletion_snapshot

NOT_YOUR_DECONSTRUCTION = "No deconstruction of yours has this id."
TITLE_MAX_LENGTH = Roadmap._meta.get_field("title").max_length
TITLE_TOO_LONG = f"must be at most {TITLE_MAX_LENGTH} characters"
GOAL_ALREADY_STARTED = "You already have a roadmap for this goal: “{title}”. Confirm to start another one."


class GoalAlreadyStarted(ValidationError):
    """A second roadmap for a goal the learner already has, asked for without confirming."""

    def __init__(self, roadmap: Roadmap) -> None:
        super().__init__({"confirm": [GOAL_ALREADY_STARTED.format(title=roadmap.title)]})
        self.roadmap = roadmap


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
    goal_validate(user_query, skill_type)
    entry = catalog_entry_for(user_query, catalog_entry)
    if not confirm:
        existing = existing_roadmap_for_goal(owner, user_query, entry)
        if existing is not None:
            raise GoalAlreadyStarted(existing)
    generated = plan_for_goal(user_query, skill_type, entry)
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


def _deletes_plan(roadmap: Roadmap) -> bool:
    """Whether deleting the roadmap deletes its plan too: no other roadmap follows it."""
    others = Roadmap.objects.filter(deconstruction_id=roadmap.deconstruction_id).exclude(pk=roadmap.pk)
    return roadmap.deconstruction_id is not None and not others.exists()


@transaction.atomic
def roadmap_delete(*, roadmap: Roadmap) -> str:
    """The roadmap, and its deconstruction with its progress and practice when no other
    roadmap follows that plan: a deleted roadmap leaves nothing in the learner's history.
    Returns the snapshot roadmap_restore takes to undo it."""
    rows: list = []
    if _deletes_plan(roadmap):
        deconstruction = roadmap.deconstruction
        progress = list(deconstruction.progress.all())
        activities = PracticeActivity.objects.filter(milestone_progress__deconstruction=deconstruction)
        rows = [deconstruction, *progress, *activities.order_by("created_at")]
    snapshot = deletion_snapshot([*rows[:1], roadmap, *rows[1:]])
    deconstruction_id = roadmap.deconstruction_id
    roadmap.delete()
    if rows:
        SkillDeconstruction.objects.filter(pk=deconstruction_id).delete()
    return snapshot


@transaction.atomic
def roadmap_restore(*, owner, snapshot: str) -> Roadmap:
    """Undoes roadmap_delete: the roadmap back with its plan, progress and practice as they were."""
    return next(row for row in deletion_restore(owner=owner, snapshot=snapshot) if isinstance(row, Roadmap))
