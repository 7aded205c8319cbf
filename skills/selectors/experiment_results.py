"""An experiment's results: per arm its users, uses and metrics with intervals, each treatment's
difference to control, the verdict (only at the planned sample) and the guardrails.

The events read are the skill's events that occurred in the experiment's window, by users who
are counted; each is attributed to its user's arm (intention to treat), whatever version it names.
One query (the log's (skill, occurred_at) index), grouped in Python: the page and the snapshot
job ask it, never the ingestion path. The statistics are in `skills.experiment_stats`.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from skills.experiment_stats import (
    P95_SHARE,
    Ratio,
    difference,
    msprt_breached,
    quantile,
    quantile_interval,
    ratio,
    z_two_sided,
)
from skills.models import Experiment, ExperimentArm, Metric, Outcome, SkillVersion, UsageEvent
from skills.selectors.experiments import arm_of_bucket, bucket_of, excluded_ids

NOT_ENOUGH_DATA = "not enough data yet"
NO_DIFFERENCE = "no detectable difference"
BETTER, WORSE = "better", "worse"
LOWER_IS_BETTER = {Metric.LATENCY_P95, Metric.TOKENS, Metric.COST}
MIN_USERS_FOR_GUARDRAIL = 20  # below this an arm's variance is too rough to stop anything on
MIN_LATENCIES_FOR_P95 = 50  # control's p95 is the yardstick of the latency guardrail


@dataclass
class UserUses:
    uses: int = 0
    successes: int = 0
    latencies: list[float] = field(default_factory=list)
    tokens: float = 0.0
    cost: float = 0.0


def users_uses(experiment: Experiment, until=None) -> dict[int, UserUses]:
    """Each counted user's uses of the skill in the experiment's window: 2 queries (the events, the
    staff among their users) plus the excluded list."""
    events = UsageEvent.objects.filter(
        skill_id=experiment.skill_id, occurred_at__gte=experiment.started_at, user__isnull=False
    )
    end = experiment.ended_at or until
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    uses: dict[int, UserUses] = defaultdict(UserUses)
    for user_id, outcome, latency, tokens, cost in events.values_list(
        "user_id", "outcome", "latency_ms", "tokens_used", "cost_usd"
    ).order_by():
        row = uses[user_id]
        row.uses += 1
        row.successes += outcome == Outcome.SUCCESS
        if latency is not None:
            row.latencies.append(float(latency))
        row.tokens += tokens or 0
        row.cost += float(cost or 0)
    left_out = excluded_ids(experiment)
    if experiment.exclude_staff and uses:
        staff = get_user_model().objects.filter(pk__in=list(uses), is_staff=True).values_list("pk", flat=True)
        left_out |= set(staff)
    return {user_id: row for user_id, row in uses.items() if user_id not in left_out}


@dataclass
class ArmData:
    arm: ExperimentArm
    users: list[UserUses]

    def ratio(self, metric: str, latency_above: float | None = None) -> Ratio:
        """The metric as a ratio of per-user sums; for latency, the share of uses slower than `latency_above`."""
        if metric == Metric.SUCCESS_RATE:
            return ratio([(u.uses, u.successes) for u in self.users])
        if metric == Metric.TOKENS:
            return ratio([(u.uses, u.tokens) for u in self.users])
        if metric == Metric.COST:
            return ratio([(u.uses, u.cost) for u in self.users])
        return ratio([(len(u.latencies), sum(v > latency_above for v in u.latencies)) for u in self.users])

    def latencies(self) -> list[float]:
        return sorted(v for u in self.users for v in u.latencies)


def arms_data(experiment: Experiment, until=None) -> list[ArmData]:
    arms = list(experiment.arms.all())
    grouped: dict[int, list[UserUses]] = {arm.pk: [] for arm in arms}
    for user_id, row in users_uses(experiment, until).items():
        grouped[arm_of_bucket(arms, bucket_of(experiment.pk, user_id)).pk].append(row)
    return [ArmData(arm, grouped[arm.pk]) for arm in arms]


def experiment_results(experiment: Experiment, until=None) -> dict:
    """The results as a JSON-ready dict (what a snapshot stores and the pages and API show)."""
    data = arms_data(experiment, until)
    control = data[0]
    treatments = max(len(data) - 1, 1)
    alpha_each = experiment.alpha / treatments
    z_verdict, z_display = z_two_sided(alpha_each), z_two_sided(0.05)
    p95_control = quantile(control.latencies(), 1 - P95_SHARE)
    reached = all(sum(u.uses for u in arm.users) >= experiment.planned_uses for arm in data)
    arms = [_arm_figures(arm, z_display) for arm in data]
    for figures, arm in zip(arms[1:], data[1:], strict=True):
        figures["differences"] = {
            metric: _difference_figures(metric, arm, control, p95_control, z_display) for metric in Metric.values
        }
        primary = _difference_figures(experiment.primary_metric, arm, control, p95_control, z_verdict)
        figures["verdict"] = _verdict(experiment.primary_metric, primary) if reached else NOT_ENOUGH_DATA
        figures["verdict_interval"] = primary
        figures["guardrails"] = _guardrails(experiment, arm, control, p95_control, len(data) - 1)
    breaches = [
        f"{figures['label']}: {guard['label']} worse than allowed ({guard['worst_change']:.0%})"
        for figures in arms[1:]
        for guard in figures["guardrails"]
        if guard["breached"]
    ]
    uses = [figures["uses"] for figures in arms]
    return {
        "taken_at": (until or timezone.now()).isoformat(),
        "primary_metric": experiment.primary_metric,
        "planned_uses": experiment.planned_uses,
        "reached": reached,
        "progress": min(uses) / experiment.planned_uses if uses else 0.0,
        "alpha_each": alpha_each,
        "arms": arms,
        "breaches": breaches,
    }


def _arm_figures(arm: ArmData, z: float) -> dict:
    metrics = {}
    for metric in (Metric.SUCCESS_RATE.value, Metric.TOKENS.value, Metric.COST.value):
        estimate = arm.ratio(metric)
        low, high = estimate.interval(z)
        metrics[metric] = {"value": estimate.value, "low": low, "high": high}
    latencies = arm.latencies()
    low, high = quantile_interval(latencies, 1 - P95_SHARE, z)
    metrics[Metric.LATENCY_P95.value] = {"value": quantile(latencies, 1 - P95_SHARE), "low": low, "high": high}
    return {
        "arm_id": arm.arm.pk,
        "position": arm.arm.position,
        "label": arm.arm.label,
        "version": arm.arm.version.version,
        "share": arm.arm.share,
        "users": len(arm.users),
        "uses": sum(u.uses for u in arm.users),
        "metrics": metrics,
    }


def _difference_figures(metric: str, arm: ArmData, control: ArmData, p95_control, z: float) -> dict:
    """treatment − control; for latency, in the share of uses slower than control's p95."""
    if metric == Metric.LATENCY_P95 and p95_control is None:
        return {"value": None, "low": None, "high": None, "p_value": None, "relative": None}
    found = difference(arm.ratio(metric, p95_control), control.ratio(metric, p95_control), z)
    base = control.ratio(metric, p95_control).value
    relative = found.value / base if found.value is not None and base else None
    return {"value": found.value, "low": found.low, "high": found.high, "p_value": found.p_value, "relative": relative}


def _verdict(metric: str, primary: dict) -> str:
    if primary["low"] is None or primary["low"] <= 0 <= primary["high"]:
        return NO_DIFFERENCE
    higher = primary["low"] > 0
    return BETTER if higher != (metric in LOWER_IS_BETTER) else WORSE


def _guardrails(experiment: Experiment, arm: ArmData, control: ArmData, p95_control, treatments: int) -> list[dict]:
    guardrails = list(experiment.guardrails.all())
    alpha_each = experiment.alpha / max(treatments * len(guardrails), 1)
    enough = min(len(arm.users), len(control.users)) >= MIN_USERS_FOR_GUARDRAIL
    return [
        {
            "metric": guard.metric,
            "label": Metric(guard.metric).label,
            "worst_change": guard.worst_change,
            "breached": enough and _breached(guard.metric, guard.worst_change, arm, control, p95_control, alpha_each),
        }
        for guard in guardrails
    ]


def _breached(metric: str, worst: float, arm: ArmData, control: ArmData, p95_control, alpha: float) -> bool:
    """Whether the treatment is worse than control by more than `worst` (a fraction of control's
    value), by the always-valid mSPRT: the excess over the allowed change must be clearly above 0."""
    if metric == Metric.LATENCY_P95:
        if p95_control is None or len(control.latencies()) < MIN_LATENCIES_FOR_P95:
            return False
        # p95 more than (1 + worst) × control's ⇔ more than 5 % of the uses slower than that.
        slow = arm.ratio(metric, p95_control * (1 + worst))
        return slow.value is not None and msprt_breached(slow.value - P95_SHARE, slow.variance, P95_SHARE, alpha)
    treated, base = arm.ratio(metric), control.ratio(metric)
    if treated.value is None or not base.value:
        return False
    if metric == Metric.SUCCESS_RATE:
        excess = base.value * (1 - worst) - treated.value
        variance = (1 - worst) ** 2 * base.variance + treated.variance
    else:
        excess = treated.value - base.value * (1 + worst)
        variance = treated.variance + (1 + worst) ** 2 * base.variance
    return msprt_breached(excess, variance, worst * base.value, alpha)


@dataclass
class RecentUses:
    """A version's latest uses, for an experiment's plan."""

    outcomes: list[str]
    latencies: list[float]
    tokens: list[float]
    costs: list[float]

    def success_rate(self) -> float:
        return sum(o == Outcome.SUCCESS for o in self.outcomes) / len(self.outcomes)

    def latency_p95(self) -> float | None:
        return quantile(sorted(self.latencies), 1 - P95_SHARE)

    def latency_log_sd(self) -> float | None:
        logs = [math.log(v) for v in self.latencies if v > 0]
        return statistics.stdev(logs) if len(logs) > 1 else None

    def mean_sd(self, metric: str) -> tuple[float, float]:
        values = self.tokens if metric == Metric.TOKENS else self.costs
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def recent_uses(version: SkillVersion, limit: int) -> RecentUses:
    """The version's last `limit` uses (by the events that name it): one query."""
    rows = list(
        UsageEvent.objects.filter(skill_id=version.skill_id, skill_version=version)
        .order_by("-occurred_at")
        .values_list("outcome", "latency_ms", "tokens_used", "cost_usd")[:limit]
    )
    return RecentUses(
        outcomes=[outcome for outcome, *_ in rows],
        latencies=[float(latency) for _, latency, _, _ in rows if latency is not None],
        tokens=[float(tokens or 0) for _, _, tokens, _ in rows],
        costs=[float(cost or 0) for *_, cost in rows],
    )
