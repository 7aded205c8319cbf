"""The metrics dashboard's data, from the roll-ups only: the log is never read.

Queries: the day rows of the date range and of the period of the same length before it (for the
headline tiles' change) — the team's (TeamDailyUsage: every skill, one row a day) or the chosen
skill's; the skills' calls and successes summed by the database; the latency sketches of the most
used skills shown; and the skill list for the filter. Work is O(days + shown skills × days),
whatever the number of events or skills: merging latency sketches (~3 µs a row, most of it zlib;
`LatencySketch.merged_json`) is most of the page's time"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from operator import add

import msgspec
from django.db.models import Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from skills.models import Skill, SkillDailyUsage, SkillVersionUsage, TeamDailyUsage
from skills.sketch import LatencySketch
from skills.stats import wilson, z_for

TOP_N = 10


@dataclass
class DashboardFilter:
    start: date
    end: date
    skill_id: str = ""

    @classmethod
    def default(cls) -> DashboardFilter:
        return cls.last(30)

    @classmethod
    def last(cls, days: int, skill_id: str = "") -> DashboardFilter:
        """The `days` days ending today (UTC, as the roll-up's days are)."""
        today = timezone.now().astimezone(UTC).date()
        return cls(start=today - timedelta(days=days - 1), end=today, skill_id=skill_id)

    @property
    def length(self) -> timedelta:
        return self.end - self.start + timedelta(days=1)

    @property
    def previous(self) -> DashboardFilter:
        """The period of the same length just before this one."""
        return DashboardFilter(self.start - self.length, self.start - timedelta(days=1), self.skill_id)


DAY_COLUMNS = [
    "day", "success_count", "failure_count", "error_count", "abandoned_count",
    "tokens_used_sum", "tokens_saved_sum", "cost_usd_sum",
]  # fmt: skip
# The JSON columns read as text and decoded here by msgspec: the JSON field's own decoding
# (json.loads) took a quarter of the page.
JSON_COLUMNS = [Cast(name, TextField()) for name in ("latency_sketch", "error_types", "workflow_paths")]
decode_json = msgspec.json.decode
OUTCOMES = ("success", "failure", "error", "abandoned")
DAY_TOTALS = (*OUTCOMES, "tokens_used", "tokens_saved", "cost")
TOP_SKILLS = 20


def counts_of(stored: dict) -> dict[str, int]:
    """A stored free-text counter's counts, every value (the dashboard is for staff)."""
    return {value: entry[0] for value, entry in stored.items()}


def dashboard_data(filters: DashboardFilter) -> dict:
    previous = filters.previous
    # The headline figures and the series: one row a day, the team's (every skill) or the chosen
    # skill's, over this period and the one before it (for the tiles' change).
    day_rows = (
        SkillDailyUsage.objects.filter(skill_id=filters.skill_id) if filters.skill_id else TeamDailyUsage.objects.all()
    )
    day_rows = day_rows.filter(day__gte=previous.start, day__lte=filters.end).order_by()
    days = [filters.start + timedelta(days=n) for n in range(filters.length.days)]
    # Per day: the outcomes' counts, tokens used and saved, cost (DAY_TOTALS).
    per_day = {day: [0] * len(DAY_TOTALS) for day in days}
    now_sketches, before_sketches = [], []
    errors, paths = Counter(), Counter()
    before = PeriodTotals()
    for day, *totals, sketch, error_types, workflow_paths in day_rows.values_list(*DAY_COLUMNS, *JSON_COLUMNS):
        if day < filters.start:
            before.add(sum(totals[:4]), totals[0], totals[4], totals[6])
            before_sketches.append(sketch)
            continue
        per_day[day] = list(map(add, per_day[day], totals))
        now_sketches.append(sketch)
        errors.update(counts_of(decode_json(error_types)))
        paths.update(counts_of(decode_json(workflow_paths)))
    before.latency = LatencySketch.merged_json(before_sketches)
    now = PeriodTotals.of(per_day.values(), [LatencySketch.merged_json(now_sketches)])
    skills, per_skill, p95 = _most_used_skills(filters)
    column = {name: index for index, name in enumerate(DAY_TOTALS)}
    return {
        "days": [d.isoformat() for d in days],
        "usage": {o: [per_day[d][column[o]] for d in days] for o in OUTCOMES},
        "tokens_used": [per_day[d][column["tokens_used"]] for d in days],
        "tokens_saved": [per_day[d][column["tokens_saved"]] for d in days],
        "cost": [float(per_day[d][column["cost"]]) for d in days],
        "skills": skills,
        "success_rate": [round(100 * per_skill[s][1] / per_skill[s][0], 1) for s in skills],
        "p95": [round(p95[s] or 0, 1) for s in skills],
        "errors": most_common(errors),
        "paths": most_common(paths),
        "total": now.calls,
        "tiles": tiles(now, before),
        "versions": versions_success(filters.skill_id) if filters.skill_id else [],
    }


def _most_used_skills(filters: DashboardFilter) -> tuple[list[str], dict[str, tuple[int, int]], dict[str, float]]:
    """The TOP_SKILLS skills with the most calls in the period (ties by name), each skill's calls
    and successes (summed by the database), and the p95 latency of those shown: two queries."""
    rows = SkillDailyUsage.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.skill_id:
        rows = rows.filter(skill_id=filters.skill_id)
    per_skill = {
        skill_id: (calls, successes)
        for skill_id, calls, successes in rows.order_by()
        .values("skill_id")
        .annotate(calls=Sum("total"), successes=Sum("success_count"))
        .values_list("skill_id", "calls", "successes")
        if calls
    }
    skills = sorted(per_skill, key=lambda s: (-per_skill[s][0], s))[:TOP_SKILLS]
    sketches: dict[str, list[str]] = defaultdict(list)
    for skill_id, sketch in rows.filter(skill_id__in=skills).order_by().values_list("skill_id", JSON_COLUMNS[0]):
        sketches[skill_id].append(sketch)
    return skills, per_skill, {s: LatencySketch.merged_json(sketches[s]).quantile(0.95) for s in skills}


def most_common(counts: Counter) -> list[list]:
    """The TOP_N most frequent [name, count], ties by name."""
    return [[name, count] for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_N]]


@dataclass
class PeriodTotals:
    """A period's headline figures."""

    calls: int = 0
    successes: int = 0
    tokens: int = 0
    cost: Decimal = Decimal(0)
    latency: LatencySketch = field(default_factory=LatencySketch)

    def add(self, calls: int, successes: int, tokens: int, cost: Decimal) -> None:
        self.calls += calls
        self.successes += successes
        self.tokens += tokens
        self.cost += cost

    @classmethod
    def of(cls, days, sketches) -> PeriodTotals:
        totals = cls()
        for *outcomes, used, _saved, cost in days:  # DAY_TOTALS
            totals.calls += sum(outcomes)
            totals.successes += outcomes[0]
            totals.tokens += used
            totals.cost += cost
        totals.latency = LatencySketch.merged(sketches)
        return totals

    @property
    def success_rate(self) -> float | None:
        return 100 * self.successes / self.calls if self.calls else None

    @property
    def p95(self) -> float | None:
        return self.latency.quantile(0.95)


# (key, label, value of a period, format, whether higher is better: None when neither way is better)
TILES = [
    ("calls", "Calls", lambda t: t.calls, "{:,.0f}", None),
    ("success_rate", "Success rate", lambda t: t.success_rate, "{:.1f} %", True),
    ("p95", "p95 latency", lambda t: t.p95, "{:,.0f} ms", False),
    ("tokens", "Tokens the events reported", lambda t: t.tokens, "{:,.0f}", False),  # model tokens: the table below
    ("cost", "Cost the events reported", lambda t: t.cost, "${:,.2f}", False),  # model cost: the table below
]


def tiles(now: PeriodTotals, before: PeriodTotals) -> list[dict]:
    """Each headline figure with its change against the previous period: in percent, or in
    percentage points for the success rate; none when the previous period has no value to compare."""
    shown = []
    for key, label, value_of, shape, higher_is_better in TILES:
        value, old = value_of(now), value_of(before)
        change, direction = None, "same"
        if value is not None and old:
            delta = float(value) - float(old)
            change = f"{delta:+.1f} pt" if key == "success_rate" else f"{100 * delta / float(old):+.1f} %"
            if delta and higher_is_better is not None:
                direction = "better" if (delta > 0) == higher_is_better else "worse"
        shown.append({
            "key": key, "label": label, "value": "—" if value is None else shape.format(value),
            "change": change, "direction": direction,
        })  # fmt: skip
    return shown


def versions_success(skill_id: str) -> list[dict]:
    """The skill's success rate by version, all time (per-version roll-up), with 95 % Wilson
    intervals, oldest version first: one query."""
    rows = (
        SkillVersionUsage.objects.filter(skill_id=skill_id)
        .select_related("skill_version")
        .order_by("skill_version__created_at", "skill_version_id")
    )
    z = z_for(0.95)
    result = []
    for row in rows:
        rate = wilson(row.success_count, row.total, z)
        percent = {key: round(100 * getattr(rate, key), 1) for key in ("value", "low", "high")}
        result.append({
            "version": row.skill_version.version, "current": row.skill_version.is_current, "uses": row.total,
            "success_rate": percent["value"], "low": percent["low"], "high": percent["high"],
        })  # fmt: skip
    return result


def skill_choices() -> list[tuple[str, str]]:
    return [("", "All skills"), *Skill.objects.order_by("skill_id").values_list("skill_id", "skill_id")]
