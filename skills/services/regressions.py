"""Version regressions: is a skill's current version worse than the version current before it?

Once both versions have REGRESSION_MIN_USES uses (per-version roll-up, SkillVersionUsage), three
measures are compared (skills/stats.py): the success rate (two-proportion z-test, Wilson
intervals), the p95 latency (the share of events slower than the baseline's p95, tested as a
rate; the p95s from the sketches with order-statistic intervals) and the cost per use (Welch
z-test). A measure regresses when its one-sided p-value is below REGRESSION_ALPHA and its
effect passes its minimum: a success-rate drop of REGRESSION_MIN_SUCCESS_DROP (0.05 = 5 points),
a p95 rise of REGRESSION_MIN_LATENCY_RISE (0.2 = 20 %), a cost rise of REGRESSION_MIN_COST_RISE
(0.2). Intervals are at the 1 − REGRESSION_ALPHA level.

A regressed skill carries one active VersionRegression (its API field `regression`, an admin
filter and banner) and staff are emailed once when it is first marked. The mark is cleared when
the version recovers (a later check finds no regression), is rolled back, or another version is
published (registry services call `regressions_clear`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ..models import Skill, SkillVersion, SkillVersionUsage, VersionRegression
from ..sketch import LatencySketch
from ..stats import count_above, mean_estimate, mean_rise_p_value, quantile_estimate, rate_drop, wilson, z_for
from .alerts import staff_emails

logger = logging.getLogger(__name__)

RECOVERED = "recovered: the current version no longer measures worse"
ROLLED_BACK = "rolled back to {version}"
REPLACED = "another version was published"
EMAIL_SUBJECT = "[skillsite] Version regression: {skill} {current} is worse than {baseline}"
# Two checks at once would both mark the same skill.
REGRESSION_LOCK_KEY = 0x5E11_2E62


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass
class DetectionReport:
    checked: int = 0
    marked: list[str] = field(default_factory=list)
    still_marked: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.checked} skill(s) compared; newly marked: {', '.join(self.marked) or 'none'}; "
            f"still marked: {', '.join(self.still_marked) or 'none'}; cleared: {', '.join(self.cleared) or 'none'}"
        )


def compare_versions(baseline: SkillVersionUsage, current: SkillVersionUsage) -> dict:
    """The three measures of both versions, with intervals, p-values and whether each regressed."""
    alpha = _setting("REGRESSION_ALPHA", 0.01)
    z = z_for(1 - alpha)
    measures = {
        "level": 1 - alpha,
        "success_rate": _success(baseline, current, z, alpha),
        "p95_ms": _latency(baseline, current, z, alpha),
        "cost_per_use_usd": _cost(baseline, current, z, alpha),
    }
    measures["regressed"] = any(m["regressed"] for m in measures.values() if isinstance(m, dict))
    return measures


def _success(baseline: SkillVersionUsage, current: SkillVersionUsage, z: float, alpha: float) -> dict:
    drop, p_value = rate_drop((baseline.success_count, baseline.total), (current.success_count, current.total), z)
    return {
        "baseline": wilson(baseline.success_count, baseline.total, z).as_dict(),
        "current": wilson(current.success_count, current.total, z).as_dict(),
        "drop": drop.as_dict(),
        "p_value": p_value,
        "regressed": p_value < alpha and drop.value >= _setting("REGRESSION_MIN_SUCCESS_DROP", 0.05),
    }


def _latency(baseline: SkillVersionUsage, current: SkillVersionUsage, z: float, alpha: float) -> dict:
    minimum = _setting("REGRESSION_MIN_USES", 100)
    first, second = LatencySketch(baseline.latency_sketch), LatencySketch(current.latency_sketch)
    result = {"baseline": quantile_estimate(first, 0.95, z).as_dict(), "current": quantile_estimate(second, 0.95, z)}
    result["current"] = result["current"].as_dict()
    if first.count < minimum or second.count < minimum or not result["baseline"]["value"]:
        return {**result, "p_value": None, "regressed": False}
    threshold = result["baseline"]["value"]
    # Slower than the baseline's p95: about 5 % of the baseline's events; more of the current's if it is slower.
    drop, p_value = rate_drop(
        (first.count - count_above(first, threshold), first.count),
        (second.count - count_above(second, threshold), second.count),
        z,
    )
    rise = result["current"]["value"] / threshold - 1
    return {
        **result,
        "rise": round(rise, 6),
        "p_value": p_value,
        "regressed": p_value < alpha and rise >= _setting("REGRESSION_MIN_LATENCY_RISE", 0.2),
    }


def _cost(baseline: SkillVersionUsage, current: SkillVersionUsage, z: float, alpha: float) -> dict:
    first = mean_estimate(float(baseline.cost_usd_sum), float(baseline.cost_usd_sq_sum), baseline.total, z)
    second = mean_estimate(float(current.cost_usd_sum), float(current.cost_usd_sq_sum), current.total, z)
    p_value = mean_rise_p_value(first, second)
    base, now = first[0].value, second[0].value
    rise = (now / base - 1) if base else (float("inf") if now else 0.0)
    return {
        "baseline": first[0].as_dict(),
        "current": second[0].as_dict(),
        "rise": round(rise, 6) if rise != float("inf") else None,
        "p_value": p_value,
        "regressed": p_value < alpha and rise >= _setting("REGRESSION_MIN_COST_RISE", 0.2),
    }


def _pairs() -> list[tuple[SkillVersion, SkillVersion]]:
    """(baseline, current) of every skill whose current version and the version current before
    it both have enough uses. Two queries."""
    minimum = int(_setting("REGRESSION_MIN_USES", 100))
    currents = {
        v.skill_id: v
        for v in SkillVersion.objects.filter(is_current=True, usage__total__gte=minimum).select_related("usage")
    }
    earlier = (
        SkillVersion.objects.filter(skill_id__in=list(currents), is_current=False)
        .select_related("usage")
        .order_by("skill_id", F("current_since").desc(nulls_last=True), "-created_at", "-id")
    )
    baselines: dict[str, SkillVersion] = {}
    for version in earlier:
        baselines.setdefault(version.skill_id, version)  # the one current most recently before
    return [
        (baselines[skill_id], current)
        for skill_id, current in sorted(currents.items())
        if skill_id in baselines and _usage(baselines[skill_id]).total >= minimum
    ]


def _usage(version: SkillVersion) -> SkillVersionUsage:
    try:
        return version.usage
    except SkillVersionUsage.DoesNotExist:
        return SkillVersionUsage(skill_version=version, skill_id=version.skill_id)


def regressions_detect() -> DetectionReport:
    """Compares every eligible skill's current version with its baseline, marks and clears; emails
    staff about each new mark once the marks are committed."""
    report, new_marks = DetectionReport(), []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REGRESSION_LOCK_KEY])
        now = timezone.now()
        active = {mark.skill_id: mark for mark in VersionRegression.objects.active().select_for_update()}
        for baseline, current in _pairs():
            report.checked += 1
            measures = compare_versions(_usage(baseline), _usage(current))
            mark = active.pop(current.skill_id, None)
            if mark and (mark.current_version_id, mark.baseline_version_id) != (current.pk, baseline.pk):
                _clear(mark, REPLACED, now, report)
                mark = None
            if measures["regressed"] and mark:
                mark.measures, mark.updated_at = measures, now
                mark.save(update_fields=["measures", "updated_at"])
                report.still_marked.append(current.skill_id)
            elif measures["regressed"]:
                new_marks.append(_mark(baseline, current, measures, now))
                report.marked.append(current.skill_id)
            elif mark:
                _clear(mark, RECOVERED, now, report)
        for mark in active.values():  # marked, but its version is no longer compared (not current)
            if not mark.current_version.is_current:
                _clear(mark, REPLACED, now, report)
    for mark in new_marks:
        _notify(mark)
    return report


def _mark(baseline: SkillVersion, current: SkillVersion, measures: dict, now) -> VersionRegression:
    return VersionRegression.objects.create(
        skill_id=current.skill_id, baseline_version=baseline, current_version=current, measures=measures,
        detected_at=now, updated_at=now,
    )  # fmt: skip


def _clear(mark: VersionRegression, reason: str, now, report: DetectionReport) -> None:
    mark.cleared_at, mark.cleared_reason = now, reason
    mark.save(update_fields=["cleared_at", "cleared_reason"])
    report.cleared.append(mark.skill_id)


def regressions_clear(*, skill: Skill, reason: str) -> int:
    """Clears the skill's active mark (called by rollback and publish, in their transaction)."""
    return (
        VersionRegression.objects.active().filter(skill=skill).update(cleared_at=timezone.now(), cleared_reason=reason)
    )


def _notify(mark: VersionRegression) -> None:
    recipients = staff_emails()
    if not recipients:
        logger.warning("version regression of %s: no staff user has an email address to notify", mark.skill_id)
        return
    subject = EMAIL_SUBJECT.format(
        skill=mark.skill_id, current=mark.current_version.version, baseline=mark.baseline_version.version
    )
    send_mail(subject, regression_text(mark), None, recipients)


def regression_text(mark: VersionRegression) -> str:
    """The mark in words: each measure of both versions with its interval, and where to roll back."""
    lines = [
        f"{mark.skill_id}: version {mark.current_version.version} measures worse than "
        f"{mark.baseline_version.version} (intervals at {mark.measures['level']:.0%}).",
        "",
    ]
    for name, label, scale, unit in MEASURE_LABELS:
        measure = mark.measures[name]
        flag = "REGRESSED" if measure["regressed"] else "ok"
        lines.append(
            f"{label}: {figure_text(measure['baseline'], scale, unit)} → {figure_text(measure['current'], scale, unit)}"
            f" (p = {p_text(measure['p_value'])}) {flag}"
        )
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    lines += ["", f"Review and roll back: {site}{reverse('admin:skills_skill_change', args=[mark.skill_id])}"]
    return "\n".join(lines)


MEASURE_LABELS = [
    ("success_rate", "Success rate", 100, " %"),
    ("p95_ms", "p95 latency", 1, " ms"),
    ("cost_per_use_usd", "Cost per use", 1, " USD"),
]


def figure_text(estimate: dict, scale: float, unit: str) -> str:
    if estimate["value"] is None:
        return "—"
    digits = 1 if unit != " USD" else 6
    value, low, high = (Decimal(str(round(estimate[k] * scale, digits))) for k in ("value", "low", "high"))
    return f"{value}{unit} [{low}, {high}]"


def p_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g}"
