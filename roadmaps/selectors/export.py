"""Read paths of the exports: a roadmap with each milestone's progress and practice, and the
practice history. The shapes (JSON, CSV, Markdown) are in export_formats.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from ..models import PracticeActivity, Roadmap
from .history import HistoryRow, history_rows
from .roadmaps import MilestoneView, roadmap_progress, roadmap_view


@dataclass(frozen=True)
class PracticeTotals:
    """Every session logged on a milestone, also those from before a reset (its time was spent)."""

    sessions: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class ExportedMilestone:
    item: MilestoneView
    level_title: str
    practice: PracticeTotals

    @property
    def milestone(self):
        return self.item.milestone

    @property
    def attempts(self) -> int:
        return self.item.progress.practice_attempts if self.item.progress else 0

    @property
    def started_at(self) -> datetime | None:
        return self.item.progress.started_at if self.item.progress else None

    @property
    def completed_at(self) -> datetime | None:
        return self.item.progress.completed_at if self.item.progress else None

    @property
    def notes(self) -> str:
        return self.item.progress.notes if self.item.progress else ""


@dataclass
class RoadmapExport:
    roadmap: Roadmap
    progress: dict
    milestones: list[ExportedMilestone] = field(default_factory=list)
    exported_at: datetime = field(default_factory=timezone.now)

    @property
    def deconstruction(self):
        return self.roadmap.deconstruction

    @property
    def minutes_practised(self) -> int:
        return sum(m.practice.minutes for m in self.milestones)


def practice_totals(roadmap: Roadmap) -> dict[str, PracticeTotals]:
    """Milestone id → its sessions and minutes, in one query."""
    if roadmap.deconstruction_id is None:
        return {}
    rows = (
        PracticeActivity.objects.filter(milestone_progress__deconstruction=roadmap.deconstruction_id)
        .values("milestone_progress__milestone_id")
        .annotate(sessions=Count("id"), minutes=Coalesce(Sum("completion_time"), 0))
        .order_by()
    )
    return {row["milestone_progress__milestone_id"]: PracticeTotals(row["sessions"], row["minutes"]) for row in rows}


def roadmap_export(roadmap: Roadmap) -> RoadmapExport:
    """The roadmap (fetched with roadmaps_with_progress) and its milestones in plan order, each
    with its progress, lock and practice: one query on top of the roadmap's own."""
    view = roadmap_view(roadmap)
    totals = practice_totals(roadmap)
    milestones = [
        ExportedMilestone(item, level.title, totals.get(item.milestone.id, PracticeTotals()))
        for level in view.levels
        for item in level.milestones
    ]
    return RoadmapExport(roadmap=roadmap, progress=roadmap_progress(roadmap), milestones=milestones)


def practice_export(activities: QuerySet[PracticeActivity]) -> list[HistoryRow]:
    """Every session of the (filtered, caller's own) queryset, oldest first, with its milestone's
    title and roadmap: three queries whatever the number of sessions."""
    return history_rows(activities.order_by("practiced_on", "created_at", "id"))


def download_name(title: str, extension: str) -> str:
    """An ASCII file name from a title and today's date, e.g. learn-to-juggle-2025-05-01.csv."""
    return f"{slugify(title)[:80] or 'roadmap'}-{timezone.localdate().isoformat()}.{extension}"
