"""Read paths shaped for the roadmap pages and endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from ..agent_skills import skills_loadable_by
from ..forms import MilestoneNotesForm, PracticeForm, RoadmapForm
from ..models import (
    MILESTONE_TRANSITIONS,
    ActivityType,
    MilestoneProgress,
    MilestoneStatus,
    PracticeActivity,
    Roadmap,
    SkillType,
)
from ..plan import Milestone, milestones_of
from .targets import GoalTargets, goal_targets


def milestone_locks(milestones: Iterable[Milestone], statuses: Mapping[str, str]) -> dict[str, list[Milestone]]:
    """The one rule of prerequisites: milestone id → the prerequisites it waits for, for each
    locked milestone — one not started whose prerequisites are not all completed. A milestone
    once started stays open when a prerequisite is reset later (its practice is not taken away);
    it locks again only if it is reset too. `statuses` maps milestone id → status (missing:
    not started). Locks are worked out, never stored, so no write has to keep them current."""
    milestones = list(milestones)
    by_id = {milestone.id: milestone for milestone in milestones}
    locks = {}
    for milestone in milestones:
        if statuses.get(milestone.id, MilestoneStatus.NOT_STARTED) != MilestoneStatus.NOT_STARTED:
            continue
        waiting = [by_id[p] for p in milestone.prerequisites if statuses.get(p) != MilestoneStatus.COMPLETED]
        if waiting:
            locks[milestone.id] = waiting
    return locks


def progress_waiting_for(progress: MilestoneProgress) -> list[Milestone]:
    """What this milestone waits for (empty when it is open), from its plan and the progress rows
    of its deconstruction (the prefetched ones if any; the row's own status as it is in memory)."""
    deconstruction = progress.deconstruction
    statuses = {row.milestone_id: row.status for row in deconstruction.progress.all()}
    statuses[progress.milestone_id] = progress.status
    return milestone_locks(milestones_of(deconstruction.deconstruction_data), statuses).get(progress.milestone_id, [])


@dataclass
class MilestoneView:
    milestone: Milestone
    progress: MilestoneProgress | None
    waiting_for: list[Milestone] = field(default_factory=list)

    @property
    def locked(self) -> bool:
        return bool(self.waiting_for)

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
        """The milestone to continue with: the first one underway, else the first open one not done."""
        underway = next((m for m in self.milestones if m.status == MilestoneStatus.IN_PROGRESS), None)
        return underway or next((m for m in self.milestones if not m.done and not m.locked), None)


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
    milestones = list(milestones_of(deconstruction.deconstruction_data))
    locks = milestone_locks(milestones, {milestone_id: p.status for milestone_id, p in progress.items()})
    levels: dict[int, LevelView] = {}
    for level in deconstruction.deconstruction_data["levels"]:
        levels[level["level"]] = LevelView(level["level"], level["title"], level["description"])
    for milestone in milestones:
        item = MilestoneView(milestone, progress.get(milestone.id), locks.get(milestone.id, []))
        levels[milestone.level].milestones.append(item)
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


@dataclass(frozen=True)
class PracticeTotals:
    last: object  # the day of the latest session
    minutes: int


def practice_by_roadmap(roadmaps: list[Roadmap]) -> dict:
    """Roadmap id → its latest practice and the minutes logged on it, in one query."""
    rows = (
        PracticeActivity.objects.filter(milestone_progress__deconstruction__roadmaps__in=roadmaps)
        .values("milestone_progress__deconstruction__roadmaps")
        .annotate(last=Max("practiced_on"), minutes=Coalesce(Sum("completion_time"), 0))
    )
    return {
        row["milestone_progress__deconstruction__roadmaps"]: PracticeTotals(row["last"], row["minutes"]) for row in rows
    }


# The practice form starts on the milestone's own type; a plan without one falls back on the
# likeliest type for the kind of skill.
DEFAULT_PRACTICE_TYPE = {SkillType.PHYSICAL: ActivityType.EXERCISE}


def practice_type_for(milestone: Milestone, skill_type: str) -> str:
    return milestone.practice_type or DEFAULT_PRACTICE_TYPE.get(skill_type, ActivityType.OTHER)


@dataclass
class MilestoneCard:
    item: MilestoneView
    form: object
    notes_form: object
    activities: list
    notices: list = field(default_factory=list)
    unlocks: list[tuple[str, bool]] = field(default_factory=list)  # (agent skill id, available to the learner now)

    @property
    def actions(self) -> list[str]:
        """The buttons the transition rules allow from the current status."""
        if self.item.locked:
            return []
        allowed = MILESTONE_TRANSITIONS[self.item.status]
        names = {
            MilestoneStatus.IN_PROGRESS: "start",
            MilestoneStatus.COMPLETED: "complete",
            MilestoneStatus.FAILED: "fail",
            MilestoneStatus.NOT_STARTED: "reset",
        }
        return [names[status] for status in names if status in allowed]

    @property
    def minutes_logged(self) -> int:
        return sum(activity.completion_time or 0 for activity in self.activities)

    @property
    def reps_to_go(self) -> int:
        return max(self.item.milestone.target - self.item.completions, 0)


@dataclass
class RoadmapPage:
    view: RoadmapView
    cards: dict[str, MilestoneCard]
    rename_form: object
    targets: GoalTargets = field(default_factory=GoalTargets)

    @property
    def final_milestone_id(self) -> str | None:
        milestones = self.view.milestones
        return milestones[-1].milestone.id if milestones else None

    def levels(self):
        """(level, its milestone cards) in order, for the template."""
        return [(level, [self.cards[m.milestone.id] for m in level.milestones]) for level in self.view.levels]

    @property
    def minutes_logged(self) -> int:
        return sum(card.minutes_logged for card in self.cards.values())

    @property
    def sessions_logged(self) -> int:
        return sum(len(card.activities) for card in self.cards.values())


def roadmap_page(roadmap: Roadmap, bound: dict | None = None, notices: dict | None = None) -> RoadmapPage:
    """The roadmap page: levels, milestones with their practice and notes forms, the history of
    each milestone. `bound` holds forms being redisplayed with errors, keyed ("practice" |
    "notes", progress id) or "rename"; `notices` the messages for each milestone id."""
    bound, notices = bound or {}, notices or {}
    view = roadmap_view(roadmap)
    skill_type = roadmap.deconstruction.skill_type if roadmap.deconstruction else ""
    available = skills_loadable_by(
        roadmap.owner_id, {s for item in view.milestones for s in item.milestone.unlocks_skills}
    )
    cards = {}
    for item in view.milestones:
        progress, milestone = item.progress, item.milestone
        key = progress.pk if progress else None
        form = bound.get(("practice", key)) or PracticeForm(
            milestone=milestone, progress_id=key, initial={"activity_type": practice_type_for(milestone, skill_type)}
        )
        notes_form = bound.get(("notes", key)) or MilestoneNotesForm(
            progress_id=key, initial={"notes": progress.notes if progress else ""}
        )
        activities = list(progress.activities.all()) if progress else []
        unlocks = [(skill_id, skill_id in available) for skill_id in milestone.unlocks_skills]
        cards[milestone.id] = MilestoneCard(item, form, notes_form, activities, notices.get(milestone.id, []), unlocks)
    rename_form = bound.get("rename") or RoadmapForm(
        initial={"title": roadmap.title, "description": roadmap.description}
    )
    final = view.milestones[-1].milestone if view.milestones else None
    targets = goal_targets(roadmap.deconstruction, final)
    return RoadmapPage(view=view, cards=cards, rename_form=rename_form, targets=targets)
