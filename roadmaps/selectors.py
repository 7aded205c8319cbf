"""Read paths shaped for the roadmap pages and endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max, Prefetch, QuerySet

from .models import MilestoneProgress, MilestoneStatus, PracticeActivity, Roadmap
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


def roadmaps_with_progress(queryset: QuerySet[Roadmap]) -> QuerySet[Roadmap]:
    """Roadmaps with their deconstruction and its progress rows: 3 queries for any number."""
    return queryset.select_related("deconstruction").prefetch_related(
        Prefetch("deconstruction__progress", queryset=MilestoneProgress.objects.order_by("created_at", "id"))
    )


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
