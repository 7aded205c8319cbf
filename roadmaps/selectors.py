"""Read paths shaped for the roadmap pages and endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max, Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import (
    MILESTONE_TRANSITIONS,
    ActivityType,
    MilestoneProgress,
    MilestoneStatus,
    PracticeActivity,
    Roadmap,
    SkillType,
)
from .plan import Milestone, milestones_of


@dataclass
class MilestoneView:
    milestone: Milestone
    progress: MilestoneProgress | None

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else MilestoneStatus.NOT_STARTED

    @property
    def completions(self) -> int:
        return self.progress.practice_completions if self.progress else 0

    @property
    def done(self) -> bool:
        return self.status == MilestoneStatus.COMPLETED


@dataclass
class LevelView:
    level: int
    title: str
    description: str
    milestones: list[MilestoneView] = field(default_factory=list)

    @property
    def minutes_total(self) -> int:
        return sum(m.milestone.estimated_time for m in self.milestones)

    @property
    def minutes_done(self) -> int:
        return sum(m.milestone.estimated_time for m in self.milestones if m.done)

    @property
    def percent(self) -> int:
        return round(100 * self.minutes_done / self.minutes_total) if self.minutes_total else 0


@dataclass
class RoadmapView:
    roadmap: Roadmap
    levels: list[LevelView]

    @property
    def milestones(self) -> list[MilestoneView]:
        return [m for level in self.levels for m in level.milestones]

    @property
    def minutes_total(self) -> int:
        return sum(level.minutes_total for level in self.levels)

    @property
    def minutes_done(self) -> int:
        return sum(level.minutes_done for level in self.levels)

    @property
    def percent(self) -> int:
        """Progress weighted by estimated minutes, so a long milestone counts for more."""
        return round(100 * self.minutes_done / self.minutes_total) if self.minutes_total else 0

    @property
    def completed_milestones(self) -> int:
        return sum(m.done for m in self.milestones)

    @property
    def next_milestone(self) -> MilestoneView | None:
        return next((m for m in self.milestones if not m.done), None)


def roadmaps_with_progress(queryset: QuerySet[Roadmap], *, with_activities: bool = False) -> QuerySet[Roadmap]:
    """Roadmaps with their deconstruction and its progress rows (and their practice
    activities): a fixed number of queries whatever the number of milestones."""
    queryset = queryset.select_related("deconstruction").prefetch_related(
        Prefetch("deconstruction__progress", queryset=MilestoneProgress.objects.order_by("created_at", "id"))
    )
    if with_activities:
        queryset = queryset.prefetch_related(
            Prefetch("deconstruction__progress__activities", queryset=PracticeActivity.objects.order_by("-created_at"))
        )
    return queryset


def roadmap_view(roadmap: Roadmap) -> RoadmapView:
    """Levels and milestones of the plan joined with their progress (uses prefetched rows)."""
    deconstruction = roadmap.deconstruction
    if deconstruction is None:
        return RoadmapView(roadmap=roadmap, levels=[])
    progress = {p.milestone_id: p for p in deconstruction.progress.all()}
    levels: dict[int, LevelView] = {}
    for level in deconstruction.deconstruction_data["levels"]:
        levels[level["level"]] = LevelView(level["level"], level["title"], level["description"])
    for milestone in milestones_of(deconstruction.deconstruction_data):
        levels[milestone.level].milestones.append(MilestoneView(milestone, progress.get(milestone.id)))
    return RoadmapView(roadmap=roadmap, levels=list(levels.values()))


def roadmap_progress(roadmap: Roadmap) -> dict:
    """Per level and overall: percent and minutes (plain data for the API)."""
    view = roadmap_view(roadmap)
    return {
        "percent": view.percent,
        "minutes_done": view.minutes_done,
        "minutes_total": view.minutes_total,
        "milestones_completed": view.completed_milestones,
        "milestones_total": len(view.milestones),
        "levels": [
            {
                "level": level.level,
                "title": level.title,
                "percent": level.percent,
                "minutes_done": level.minutes_done,
                "minutes_total": level.minutes_total,
            }
            for level in view.levels
        ],
    }


def last_practice_by_roadmap(roadmaps: list[Roadmap]) -> dict:
    """Roadmap id → time of its latest practice activity, in one query."""
    rows = (
        PracticeActivity.objects.filter(milestone_progress__deconstruction__roadmaps__in=roadmaps)
        .values("milestone_progress__deconstruction__roadmaps")
        .annotate(last=Max("created_at"))
    )
    return {row["milestone_progress__deconstruction__roadmaps"]: row["last"] for row in rows}


@dataclass
class MilestoneCard:
    item: MilestoneView
    form: object
    activities: list

    @property
    def actions(self) -> list[str]:
        """The buttons the transition rules allow from the current status."""
        allowed = MILESTONE_TRANSITIONS[self.item.status]
        names = {
            MilestoneStatus.IN_PROGRESS: "start",
            MilestoneStatus.COMPLETED: "complete",
            MilestoneStatus.FAILED: "fail",
            MilestoneStatus.NOT_STARTED: "reset",
        }
        return [names[status] for status in names if status in allowed]


@dataclass
class RoadmapPage:
    view: RoadmapView
    cards: dict[str, MilestoneCard]

    def levels(self):
        """(level, its milestone cards) in order, for the template."""
        return [(level, [self.cards[m.milestone.id] for m in level.milestones]) for level in self.view.levels]


def roadmap_page(roadmap: Roadmap, bound_form: tuple | None = None) -> RoadmapPage:
    """The roadmap page: levels, milestones, a practice form and the history of each milestone."""
    from .forms import PracticeForm

    view = roadmap_view(roadmap)
    # A physical goal is practised physically; the form starts on the likeliest type.
    initial = {}
    if roadmap.deconstruction.skill_type == SkillType.PHYSICAL:
        initial = {"activity_type": ActivityType.EXERCISE}
    cards = {}
    for item in view.milestones:
        progress = item.progress
        if bound_form and progress and bound_form[0] == progress.pk:
            form = bound_form[1]
        else:
            form = PracticeForm(progress_id=progress.pk if progress else None, initial=initial)
        activities = list(progress.activities.all()) if progress else []
        cards[item.milestone.id] = MilestoneCard(item=item, form=form, activities=activities)
    return RoadmapPage(view=view, cards=cards)


def practice_history(user, limit: int = 50) -> list[PracticeActivity]:
    """The learner's latest practice across all roadmaps."""
    return list(
        PracticeActivity.objects.filter(milestone_progress__deconstruction__owner=user)
        .select_related("milestone_progress__deconstruction")
        .order_by("-created_at")[:limit]
    )


def practice_streak(user, today: date | None = None) -> int:
    """Consecutive days with practice, ending today (or yesterday, when today has none yet)."""
    today = today or timezone.localdate()
    days = list(
        PracticeActivity.objects.filter(milestone_progress__deconstruction__owner=user)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", flat=True)
        .distinct()
        .order_by("-day")[:366]
    )
    if not days or days[0] < today - timedelta(days=1):
        return 0
    streak, expected = 0, days[0]
    for day in days:
        if day != expected:
            break
        streak += 1
        expected = day - timedelta(days=1)
    return streak
