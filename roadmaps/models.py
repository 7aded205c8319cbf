"""Learning roadmaps (seed 003): deconstructions, roadmaps, milestone progress, practice."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import ActivityType, PlanOrigin, SkillType
from .plan import plan_errors

UNKNOWN_MILESTONE = "Milestone {milestone!r} is not part of this deconstruction."

# Length limits of the learner's free text, checked by the model (so the services, the
# admin, the forms and the API refuse the same inputs with the same message).
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 2_000
NOTES_MAX_LENGTH = 10_000
# Django's own wording, so a form's max_length and the model's validator read alike.
TEXT_TOO_LONG = "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d)."
# Reps one practice session can cover: a learner's count, bounded so a typo cannot finish a plan.
REPS_PER_SESSION_MAX = 10_000


# A session is logged on the day it happened: today by default, never ahead, at most this far back.
PRACTICE_DAYS_BACK = 365
PRACTICE_DAY_AHEAD = "A practice session cannot be in the future (today is {today:%Y-%m-%d})."
PRACTICE_DAY_TOO_OLD = "A practice session can be logged at most {days} days back (from {first:%Y-%m-%d})."


def at_most(limit: int) -> MaxLengthValidator:
    return MaxLengthValidator(limit, message=TEXT_TOO_LONG)


def earliest_practice_day(today: date | None = None) -> date:
    return (today or timezone.localdate()) - timedelta(days=PRACTICE_DAYS_BACK)


def validate_practice_day(day: date) -> None:
    """Today or up to PRACTICE_DAYS_BACK days before it, in the site's time zone."""
    today = timezone.localdate()
    if day > today:
        raise ValidationError(PRACTICE_DAY_AHEAD.format(today=today), code="future")
    if day < earliest_practice_day(today):
        first = earliest_practice_day(today)
        raise ValidationError(PRACTICE_DAY_TOO_OLD.format(days=PRACTICE_DAYS_BACK, first=first), code="too_old")


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


# The legal transitions, written once. Reset (back to not started) is allowed from any
# other status; a failed milestone may be started again.
MILESTONE_TRANSITIONS: dict[str, frozenset[str]] = {
    MilestoneStatus.NOT_STARTED: frozenset({MilestoneStatus.IN_PROGRESS}),
    MilestoneStatus.IN_PROGRESS: frozenset(
        {MilestoneStatus.COMPLETED, MilestoneStatus.FAILED, MilestoneStatus.NOT_STARTED}
    ),
    MilestoneStatus.COMPLETED: frozenset({MilestoneStatus.NOT_STARTED}),
    MilestoneStatus.FAILED: frozenset({MilestoneStatus.IN_PROGRESS, MilestoneStatus.NOT_STARTED}),
}
# Not a learner's move: editing or deleting practice so that a milestone completed by its
# reps falls below reps × sets takes the completion back (the counters must agree with the badge).
RECOUNT_REOPENS: dict[str, str] = {MilestoneStatus.COMPLETED: MilestoneStatus.IN_PROGRESS}


# The timestamps each status implies, checked by the database (progress_timestamps_match_status).
_NOT_STARTED_TIMES = Q(status=MilestoneStatus.NOT_STARTED, started_at__isnull=True, completed_at__isnull=True)
_UNDERWAY_TIMES = Q(
    status__in=[MilestoneStatus.IN_PROGRESS, MilestoneStatus.FAILED],
    started_at__isnull=False,
    completed_at__isnull=True,
)
_COMPLETED_TIMES = Q(status=MilestoneStatus.COMPLETED, started_at__isnull=False, completed_at__isnull=False)


# A catalog plan names its entry; no other plan does (deconstruction_catalog_entry_iff_catalog).
_CATALOG_PLAN = Q(origin=PlanOrigin.CATALOG, catalog_entry__gt="")
_OTHER_PLAN = ~Q(origin=PlanOrigin.CATALOG) & Q(catalog_entry="")


class LearnerQuerySet(models.QuerySet):
    """The one scoping rule of a learner's objects, used by the pages, the API and the admin:
    `for_learner(user)` is what the user owns, the only rows they may change and the only ones
    their pages list; `visible_to(user)` is what they may read: their own, or everyone's for
    staff. Each model names the path from its rows to their owner."""

    owner_path = "owner"

    def for_learner(self, user):
        return self.filter(**{self.owner_path: user})

    def visible_to(self, user):
        return self if user.is_staff else self.for_learner(user)


class DeconstructionQuerySet(LearnerQuerySet):
    owner_path = "owner"


class SkillDeconstruction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deconstructions")
    user_query = models.TextField()
    skill_name = models.CharField(max_length=255)
    skill_type = models.CharField(max_length=50, choices=SkillType.choices)
    origin = models.CharField(max_length=20, choices=PlanOrigin.choices, default=PlanOrigin.GENERIC)
    catalog_entry = models.CharField(
        max_length=100, blank=True, default="", help_text="The catalog entry whose plan was copied in, if one matched."
    )
    deconstruction_data = models.JSONField(help_text="Levels → milestones → doThisNow, validated by roadmaps.plan.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeconstructionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["skill_type", "skill_name"], name="deconstruction_type_name_idx"),
            models.Index(fields=["created_at"], name="deconstruction_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(skill_type__in=SkillType.values), name="deconstruction_skill_type_valid"
            ),
            models.CheckConstraint(condition=Q(origin__in=PlanOrigin.values), name="deconstruction_origin_valid"),
            models.CheckConstraint(
                condition=_CATALOG_PLAN | _OTHER_PLAN,
                name="deconstruction_catalog_entry_iff_catalog",
            ),
            # The plan's top-level shape; roadmaps.plan checks the rest, with JSON paths.
            models.CheckConstraint(
                condition=Q(deconstruction_data__has_keys=["levels", "totalEstimatedTime", "difficulty"]),
                name="deconstruction_data_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.skill_name

    @property
    def is_generic(self) -> bool:
        """Made by an engine rather than copied from an expert plan or posted by the learner."""
        return self.origin in (PlanOrigin.GENERIC, PlanOrigin.LLM)

    def clean(self) -> None:
        # One field error listing every JSON path, so a ModelForm (the admin) can show it.
        errors = plan_errors(self.deconstruction_data)
        if errors:
            raise ValidationError({"deconstruction_data": [f"{path}: {message}" for path, message in errors.items()]})

    def milestone_ids(self) -> set[str]:
        data = self.deconstruction_data if isinstance(self.deconstruction_data, dict) else {}
        levels = data.get("levels") if isinstance(data.get("levels"), list) else []
        return {
            milestone.get("id")
            for level in levels
            if isinstance(level, dict) and isinstance(level.get("milestones"), list)
            for milestone in level["milestones"]
            if isinstance(milestone, dict)
        }


class RoadmapQuerySet(LearnerQuerySet):
    owner_path = "owner"

    def active(self) -> RoadmapQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> RoadmapQuerySet:
        return self.filter(archived_at__isnull=False)


class Roadmap(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roadmaps")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, validators=[at_most(DESCRIPTION_MAX_LENGTH)])
    deconstruction = models.ForeignKey(
        SkillDeconstruction, null=True, blank=True, on_delete=models.SET_NULL, related_name="roadmaps"
    )
    is_deconstructed = models.BooleanField(default=False)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while archived: hidden from the learner's list, restorable."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoadmapQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="roadmap_owner_created_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("roadmaps:detail", args=[self.pk])


class MilestoneProgressQuerySet(LearnerQuerySet):
    owner_path = "deconstruction__owner"


class MilestoneProgress(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deconstruction = models.ForeignKey(SkillDeconstruction, on_delete=models.CASCADE, related_name="progress")
    milestone_id = models.CharField(max_length=100)
    status = models.CharField(max_length=50, choices=MilestoneStatus.choices, default=MilestoneStatus.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    practice_attempts = models.PositiveIntegerField(default=0)
    practice_completions = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True, validators=[at_most(NOTES_MAX_LENGTH)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MilestoneProgressQuerySet.as_manager()

    class Meta:
        ordering = ["deconstruction_id", "created_at", "id"]
        verbose_name_plural = "milestone progress"
        constraints = [
            models.UniqueConstraint(fields=["deconstruction", "milestone_id"], name="progress_unique_milestone"),
            models.CheckConstraint(condition=Q(status__in=MilestoneStatus.values), name="progress_status_valid"),
            # Completions are reps (a session may cover many), attempts are sessions: no
            # completion without a session.
            models.CheckConstraint(
                condition=Q(practice_attempts__gt=0) | Q(practice_completions=0),
                name="progress_completions_need_attempts",
            ),
            models.CheckConstraint(
                condition=_NOT_STARTED_TIMES | _UNDERWAY_TIMES | _COMPLETED_TIMES,
                name="progress_timestamps_match_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="progress_status_idx"),
            models.Index(fields=["completed_at"], name="progress_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id}: {self.status}"

    def clean(self) -> None:
        # On PostgreSQL a trigger enforces the same rule (migration 0002).
        if self.deconstruction_id and self.milestone_id not in self.deconstruction.milestone_ids():
            raise ValidationError({"milestone_id": [UNKNOWN_MILESTONE.format(milestone=self.milestone_id)]})


class PracticeActivityQuerySet(LearnerQuerySet):
    owner_path = "milestone_progress__deconstruction__owner"


class PracticeActivity(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    milestone_progress = models.ForeignKey(MilestoneProgress, on_delete=models.CASCADE, related_name="activities")
    activity_type = models.CharField(max_length=50, choices=ActivityType.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, validators=[at_most(DESCRIPTION_MAX_LENGTH)])
    reps = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(REPS_PER_SESSION_MAX)],
        help_text="Reps of the milestone's do-this-now this session covered (its completions).",
    )
    completed = models.BooleanField(default=False, help_text="Covered at least one rep (kept from reps).")
    counted = models.BooleanField(
        default=True, help_text="Counts toward the milestone's progress; false once the milestone was reset after it."
    )
    completion_time = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes spent.")
    practiced_on = models.DateField(
        default=timezone.localdate,
        validators=[validate_practice_day],
        help_text="The day the session happened (today by default, up to a year back); streaks, the heat map, "
        "minutes per week and exports count it on this day.",
    )
    difficulty_rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 (easy) to 5 (hard).")
    user_notes = models.TextField(blank=True, validators=[at_most(NOTES_MAX_LENGTH)])
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = PracticeActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "practice activities"
        constraints = [
            models.CheckConstraint(condition=Q(activity_type__in=ActivityType.values), name="activity_type_valid"),
            models.CheckConstraint(
                condition=Q(difficulty_rating__isnull=True) | Q(difficulty_rating__gte=1, difficulty_rating__lte=5),
                name="activity_difficulty_1_5",
            ),
            models.CheckConstraint(
                condition=Q(completed=True, completed_at__isnull=False) | Q(completed=False, completed_at__isnull=True),
                name="activity_completed_at_iff_completed",
            ),
            models.CheckConstraint(
                condition=Q(completed=True, reps__gte=1) | Q(completed=False, reps=0),
                name="activity_completed_iff_reps",
            ),
        ]
        indexes = [
            models.Index(fields=["completed"], name="activity_completed_idx"),
            models.Index(fields=["completed_at"], name="activity_completed_at_idx"),
            models.Index(fields=["milestone_progress", "-created_at"], name="activity_progress_time_idx"),
            models.Index(fields=["practiced_on"], name="activity_practiced_on_idx"),
        ]

    def __str__(self) -> str:
        return self.title
