"""Read paths of the practice page: recent sessions under their milestone's title, minutes this
week and per roadmap, the streak of days in a row, and a calendar heat map of the last 12 months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Max, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import PracticeActivity, Roadmap
from ..plan import milestones_of

HISTORY_LIMIT = 50
HEAT_MAP_WEEKS = 53  # 52 full weeks back from this week's Monday, and this week
# Minutes a day → shade 1–4 (a session logged without minutes still shades 1).
HEAT_LEVELS = (15, 30, 60)


@dataclass(frozen=True)
class HistoryRow:
    activity: PracticeActivity
    milestone_title: str
    roadmap: Roadmap | None  # None once every roadmap over the plan was deleted


def practice_history(user, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The learner's latest sessions, each with its milestone's title and its roadmap."""
    activities = PracticeActivity.objects.for_learner(user)
    return history_rows(activities.order_by("-practiced_on", "-created_at")[:limit])


def history_rows(activities: QuerySet[PracticeActivity]) -> list[HistoryRow]:
    """Sessions with their milestone's title and roadmap, in three queries whatever their number:
    the sessions with their progress rows, the plans (each read once), the plans' roadmaps."""
    activities = activities.select_related("milestone_progress").prefetch_related(
        "milestone_progress__deconstruction",
        Prefetch("milestone_progress__deconstruction__roadmaps", queryset=Roadmap.objects.order_by("created_at")),
    )
    titles: dict = {}
    rows = []
    for activity in activities:
        deconstruction = activity.milestone_progress.deconstruction
        if deconstruction.pk not in titles:
            titles[deconstruction.pk] = {m.id: m.title for m in milestones_of(deconstruction.deconstruction_data)}
        milestone_id = activity.milestone_progress.milestone_id
        roadmaps = deconstruction.roadmaps.all()
        rows.append(
            HistoryRow(activity, titles[deconstruction.pk].get(milestone_id, milestone_id), next(iter(roadmaps), None))
        )
    return rows


@dataclass(frozen=True)
class Day:
    day: date
    minutes: int
    sessions: int

    @property
    def level(self) -> int:
        if not self.sessions:
            return 0
        return 1 + sum(self.minutes >= threshold for threshold in HEAT_LEVELS)


def heat_map_start(today: date) -> date:
    """The Monday HEAT_MAP_WEEKS - 1 weeks before this week's Monday."""
    return today - timedelta(days=today.weekday(), weeks=HEAT_MAP_WEEKS - 1)


def practice_days(user, start: date) -> dict[date, Day]:
    """Minutes and sessions per day practised since `start`, in one query."""
    rows = (
        PracticeActivity.objects.for_learner(user)
        .filter(practiced_on__gte=start)
        .values(day=F("practiced_on"))
        .annotate(minutes=Coalesce(Sum("completion_time"), 0), sessions=Count("id"))
    )
    return {row["day"]: Day(row["day"], row["minutes"], row["sessions"]) for row in rows}


def practice_streak(user, today: date | None = None) -> int:
    """Consecutive days practised, ending today (or yesterday, when today has none yet)."""
    today = today or timezone.localdate()
    days = list(
        PracticeActivity.objects.for_learner(user)
        .filter(practiced_on__lte=today)
        .values_list("practiced_on", flat=True)
        .distinct()
        .order_by("-practiced_on")[:3660]
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


def minutes_by_roadmap(user) -> list[Roadmap]:
    """The learner's roadmaps with practice, annotated with minutes, sessions and the last one."""
    activities = "deconstruction__progress__activities"
    return list(
        Roadmap.objects.for_learner(user)
        .annotate(
            minutes=Coalesce(Sum(f"{activities}__completion_time"), 0),
            sessions=Count(f"{activities}__id"),
            last_practice=Max(f"{activities}__practiced_on"),
        )
        .filter(sessions__gt=0)
        .order_by("-last_practice")
    )


# Heat map geometry, in SVG user units.
CELL, GAP, LEFT, TOP = 11, 2, 30, 16
PITCH = CELL + GAP


@dataclass(frozen=True)
class Cell:
    day: Day
    x: int
    y: int
    today: bool


@dataclass(frozen=True)
class HeatMap:
    cells: list[Cell]
    months: list[tuple[int, str]]  # (x, "Jan")
    weekdays: list[tuple[int, str]]  # (y, "Mon")
    width: int
    height: int
    active_days: int
    total_minutes: int


def heat_map(days: dict[date, Day], today: date) -> HeatMap:
    """One cell a day from heat_map_start(today) to today: weeks in columns, Monday on top."""
    start = heat_map_start(today)
    cells, months = [], []
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        week, weekday = divmod(offset, 7)
        x, y = LEFT + week * PITCH, TOP + weekday * PITCH
        cells.append(Cell(days.get(day, Day(day, 0, 0)), x, y, day == today))
        if day.day == 1 and week < HEAT_MAP_WEEKS - 1:
            months.append((x, day.strftime("%b")))
    weekdays = [(TOP + n * PITCH + CELL - 2, name) for n, name in [(0, "Mon"), (2, "Wed"), (4, "Fri")]]
    shown = [cell.day for cell in cells if cell.day.sessions]
    return HeatMap(
        cells=cells,
        months=months,
        weekdays=weekdays,
        width=LEFT + HEAT_MAP_WEEKS * PITCH,
        height=TOP + 7 * PITCH,
        active_days=len(shown),
        total_minutes=sum(d.minutes for d in shown),
    )


@dataclass(frozen=True)
class PracticePage:
    rows: list[HistoryRow]
    streak: int
    minutes_this_week: int
    minutes_today: int
    roadmaps: list[Roadmap]
    heat_map: HeatMap

    @property
    def more(self) -> bool:
        """Older sessions exist than the ones listed (or the list is exactly full)."""
        return len(self.rows) >= HISTORY_LIMIT


def practice_page(user, today: date | None = None) -> PracticePage:
    """Everything the practice page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    days = practice_days(user, heat_map_start(today))
    monday = today - timedelta(days=today.weekday())
    return PracticePage(
        rows=practice_history(user),
        streak=practice_streak(user, today=today),
        minutes_this_week=sum(d.minutes for d in days.values() if d.day >= monday),
        minutes_today=days[today].minutes if today in days else 0,
        roadmaps=minutes_by_roadmap(user),
        heat_map=heat_map(days, today),
    )
