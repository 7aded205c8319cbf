"""The nightly check: do the stored roll-ups equal `rebuild_metrics` on a sample of skills?

The sampled skills' aggregates are computed from the log with the rebuild's own queries
(`skills.services.rebuild`), over the events already folded (the queued ones are not in the
roll-ups yet), and compared field by field with the stored SkillMetrics, SkillDailyUsage and
SkillVersionUsage rows (a free-text counter only where it is exact: a row that saw more than
METRICS_TOP_K distinct values keeps the most frequent approximately). Nothing is written. On
PostgreSQL the reads share one REPEATABLE READ snapshot, so a fold committing meanwhile cannot
make the two sides disagree. The team's day rows (TeamDailyUsage) are not sampled: each holds
every skill's events of its day, and is the skills' day rows added up (`team_days`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField

from ..aggregates import Aggregate, approximate_columns, merge_into
from ..models import (
    DAILY,
    METRICS,
    VERSION,
    SkillDailyUsage,
    SkillMetrics,
    SkillVersionUsage,
    UsageEvent,
    UsageEventPending,
    measures_of,
)
from ..progress import NO_PROGRESS, Progress
from .rebuild import log_aggregates, version_rows

# Every metrics column the log decides (the ratings, and the score that uses them, come from feedback).
METRICS_COMPARED = [m.columns[METRICS] for m in measures_of(METRICS) if not m.from_feedback]
DAILY_COMPARED = [f.name for f in SkillDailyUsage._meta.concrete_fields if f.name not in {"id"}]
VERSION_COMPARED = [f.name for f in SkillVersionUsage._meta.concrete_fields if f.name not in {"id"}]
MAX_LISTED = 20


@dataclass
class RollupCheckReport:
    skills: list[str] = field(default_factory=list)
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    def summary(self) -> str:
        head = f"{len(self.skills)} skill(s), {self.rows} roll-up row(s) compared with a rebuild: "
        if not self.differences:
            return head + "all equal"
        shown = self.differences[:MAX_LISTED]
        more = len(self.differences) - len(shown)
        return (
            head + f"{len(self.differences)} difference(s):\n" + "\n".join(shown) + (f"\n… {more} more" if more else "")
        )


def rollups_check(*, sample: int, seed: int | None = None, progress: Progress = NO_PROGRESS) -> RollupCheckReport:
    """Compares the roll-ups of `sample` random skills (all when fewer) with what a rebuild computes."""
    progress.start(4, "check_rollups (steps)")
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        skills = sorted(SkillMetrics.objects.values_list("skill_id", flat=True))
        skills = sorted(random.Random(seed).sample(skills, min(sample, len(skills))))
        report = RollupCheckReport(skills=skills)
        scope = UsageEvent.objects.filter(skill_id__in=skills).exclude(id__in=UsageEventPending.objects.values("id"))
        _compare_metrics(scope, skills, report)
        progress.advance()
        _compare_daily(scope, skills, report)
        progress.advance()
        _compare_versions(scope, skills, report)
        progress.advance(2)
    progress.finish()
    return report


def _compare(kind: str, key, stored, expected, fields: list[str], report: RollupCheckReport) -> None:
    report.rows += 1
    model = type(stored if stored is not None else expected)
    for name in fields:
        have = None if stored is None else _as_stored(model, name, getattr(stored, name))
        want = None if expected is None else _as_stored(model, name, getattr(expected, name))
        if have != want:
            report.differences.append(f"{kind} {key} {name}: stored {_short(have)}, rebuilt {_short(want)}")


def _as_stored(model, name: str, value):
    """A decimal as its column keeps it: SQLite sums decimals as floats (0.800000000000001), which
    the column rounds to its places when the rebuild writes them."""
    field = model._meta.get_field(name)
    if isinstance(field, DecimalField) and value is not None:
        return Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _compare_metrics(scope, skills: list[str], report: RollupCheckReport) -> None:
    per_skill = log_aggregates(METRICS, scope)
    users = dict(
        scope.order_by().values("skill_id").annotate(n=Count("user_id", distinct=True)).values_list("skill_id", "n")
    )
    for stored in SkillMetrics.objects.filter(skill_id__in=skills):
        expected = SkillMetrics(skill_id=stored.skill_id)
        expected.unique_users = users.get(stored.skill_id, 0)
        agg = per_skill.get((stored.skill_id,), Aggregate())
        merge_into(expected, METRICS, agg)
        fields = _exact(METRICS_COMPARED, METRICS, agg)
        _compare("metrics", stored.skill_id, stored, expected, fields, report)


def _compare_daily(scope, skills: list[str], report: RollupCheckReport) -> None:
    stored = {(row.skill_id, row.day): row for row in SkillDailyUsage.objects.filter(skill_id__in=skills)}
    expected, fields = {}, {}
    for (skill_id, day), agg in log_aggregates(DAILY, scope).items():
        expected[(skill_id, day)] = row = SkillDailyUsage(skill_id=skill_id, day=day)
        merge_into(row, DAILY, agg)
        fields[(skill_id, day)] = _exact(DAILY_COMPARED, DAILY, agg)
    for key in sorted(stored.keys() | expected.keys()):
        compared = fields.get(key, DAILY_COMPARED)
        _compare("daily", f"{key[0]} {key[1]}", stored.get(key), expected.get(key), compared, report)


def _exact(fields: list[str], rollup: str, agg: Aggregate) -> list[str]:
    """The fields the fold keeps exactly for a row whose events `agg` aggregates: not the free-text
    counters that saw more distinct values than METRICS_TOP_K (approximate, skills.text_counter)."""
    approximate = approximate_columns(rollup, agg)
    return [name for name in fields if name not in approximate]


def _compare_versions(scope, skills: list[str], report: RollupCheckReport) -> None:
    stored = {row.skill_version_id: row for row in SkillVersionUsage.objects.filter(skill_id__in=skills)}
    expected = {row.skill_version_id: row for row in version_rows(log_aggregates(VERSION, scope))}
    for key in sorted(stored.keys() | expected.keys()):
        _compare("version", key, stored.get(key), expected.get(key), VERSION_COMPARED, report)
