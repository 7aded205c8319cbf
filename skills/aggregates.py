"""Aggregation arithmetic shared by ingestion and `rebuild_metrics`.

Every aggregate is a sum, a min / max, a counter or a sketch, so aggregating a
batch and merging it into the stored row gives the same result as aggregating
the whole log at once, whatever the order of events: that is what makes the
incremental metrics equal to the rebuilt ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from skills.models import Outcome, SkillDailyUsage, SkillMetrics, SkillVersionUsage
from skills.sketch import LatencySketch

# Weight (in invocations) of the neutral prior in the effectiveness score.
EFFECTIVENESS_PRIOR_WEIGHT = 10
EFFECTIVENESS_PRIOR = 0.5


@dataclass
class Aggregate:
    """Sums over a set of events of one skill (and, for daily roll-ups, one day)."""

    total: int = 0
    outcomes: Counter = field(default_factory=Counter)
    duration_count: int = 0
    duration_sum: int = 0
    duration_min: int | None = None
    duration_max: int | None = None
    sketch: LatencySketch = field(default_factory=LatencySketch)
    workflow_paths: Counter = field(default_factory=Counter)
    error_types: Counter = field(default_factory=Counter)
    follow_ups: Counter = field(default_factory=Counter)
    tokens_used: int = 0
    tokens_saved: int = 0
    cost: Decimal = Decimal(0)
    cost_squares: Decimal = Decimal(0)  # the sum of squared costs: the version roll-up's variance
    first: datetime | None = None
    last: datetime | None = None

    def add(self, event: dict) -> None:
        """Adds one event, a row of the log as a dict (the hot loop of ingestion: kept flat)."""
        self.total += 1
        self.outcomes[event["outcome"]] += 1
        latency = event["latency_ms"]
        if latency is not None:
            self.duration_count += 1
            self.duration_sum += latency
            if self.duration_min is None or latency < self.duration_min:
                self.duration_min = latency
            if self.duration_max is None or latency > self.duration_max:
                self.duration_max = latency
            self.sketch.add(latency)
        if event["workflow_path"]:
            self.workflow_paths[event["workflow_path"]] += 1
        if event["error_type"]:
            self.error_types[event["error_type"]] += 1
        if event["follow_up_actions"]:
            self.follow_ups.update(str(action) for action in event["follow_up_actions"])
        self.tokens_used += event["tokens_used"]
        self.tokens_saved += event["tokens_saved"]
        cost = event["cost_usd"]
        self.cost += cost
        self.cost_squares += cost * cost
        occurred_at = event["occurred_at"]
        if self.first is None or occurred_at < self.first:
            self.first = occurred_at
        if self.last is None or occurred_at > self.last:
            self.last = occurred_at

    def merge(self, other: Aggregate) -> None:
        """Adds another aggregate of the same skill: the same as adding its events."""
        self.total += other.total
        self.outcomes.update(other.outcomes)
        self.duration_count += other.duration_count
        self.duration_sum += other.duration_sum
        self.duration_min = min_none(self.duration_min, other.duration_min)
        self.duration_max = max_none(self.duration_max, other.duration_max)
        self.sketch.merge(other.sketch)
        self.workflow_paths.update(other.workflow_paths)
        self.error_types.update(other.error_types)
        self.follow_ups.update(other.follow_ups)
        self.tokens_used += other.tokens_used
        self.tokens_saved += other.tokens_saved
        self.cost += other.cost
        self.cost_squares += other.cost_squares
        self.first = min_none(self.first, other.first)
        self.last = max_none(self.last, other.last)


def min_none(a, b):
    return b if a is None else a if b is None else min(a, b)


def max_none(a, b):
    return b if a is None else a if b is None else max(a, b)


def merge_counts(stored: dict, new: Counter) -> dict:
    merged = Counter(stored)
    merged.update(new)
    return dict(merged)


def _merge_shared(row: SkillMetrics | SkillDailyUsage, agg: Aggregate) -> LatencySketch:
    """The columns SkillMetrics and SkillDailyUsage share; returns the merged sketch."""
    row.duration_count += agg.duration_count
    row.duration_sum_ms += agg.duration_sum
    sketch = LatencySketch(row.latency_sketch)
    sketch.merge(agg.sketch)
    row.latency_sketch = sketch.to_json()
    row.workflow_paths = merge_counts(row.workflow_paths, agg.workflow_paths)
    row.error_types = merge_counts(row.error_types, agg.error_types)
    row.tokens_used_sum += agg.tokens_used
    row.tokens_saved_sum += agg.tokens_saved
    row.cost_usd_sum += agg.cost
    return sketch


def merge_into_metrics(metrics: SkillMetrics, agg: Aggregate, new_users: int) -> None:
    metrics.total_invocations += agg.total
    metrics.completed_count += agg.outcomes[Outcome.SUCCESS]
    metrics.failed_count += agg.outcomes[Outcome.FAILURE]
    metrics.error_count += agg.outcomes[Outcome.ERROR]
    metrics.abandoned_count += agg.outcomes[Outcome.ABANDONED]
    metrics.duration_min_ms = min_none(metrics.duration_min_ms, agg.duration_min)
    metrics.duration_max_ms = max_none(metrics.duration_max_ms, agg.duration_max)
    sketch = _merge_shared(metrics, agg)
    metrics.follow_up_actions = merge_counts(metrics.follow_up_actions, agg.follow_ups)
    metrics.first_invoked = min_none(metrics.first_invoked, agg.first)
    metrics.last_invoked = max_none(metrics.last_invoked, agg.last)
    metrics.unique_users += new_users
    refresh_derived(metrics, sketch)


def refresh_derived(metrics: SkillMetrics, sketch: LatencySketch | None = None) -> None:
    """Rates, averages, percentiles and the score, from the stored sums."""
    sketch = sketch or LatencySketch(metrics.latency_sketch)
    total = metrics.total_invocations
    metrics.completion_rate = 100.0 * metrics.completed_count / total if total else None
    metrics.avg_duration_ms = metrics.duration_sum_ms / metrics.duration_count if metrics.duration_count else None
    metrics.p50_ms, metrics.p95_ms, metrics.p99_ms = sketch.quantiles((0.5, 0.95, 0.99))
    metrics.avg_token_savings = metrics.tokens_saved_sum / total if total else None
    metrics.avg_rating = metrics.rating_sum / metrics.rating_count if metrics.rating_count else None
    metrics.effectiveness_score = effectiveness_score(metrics)


def effectiveness_score(metrics: SkillMetrics) -> float | None:
    """Effectiveness, 0–100: how reliably and how well a skill serves its users.

    quality = 0.7 × success rate + 0.3 × rating, where rating = (average rating − 1) / 4
    (0 for 1 star, 1 for 5 stars) and, with no ratings yet, the success rate stands in
    for it. The score is a Bayesian average of quality with a neutral prior of 0.5
    worth 10 invocations, so a skill with 2 lucky runs does not outrank one with
    2,000 good ones: score = 100 × (n × quality + 10 × 0.5) / (n + 10), n = invocations.
    None before the first invocation.
    """
    n = metrics.total_invocations
    if not n:
        return None
    success = metrics.completed_count / n
    rating = (metrics.avg_rating - 1) / 4 if metrics.avg_rating is not None else success
    quality = 0.7 * success + 0.3 * rating
    score = (n * quality + EFFECTIVENESS_PRIOR_WEIGHT * EFFECTIVENESS_PRIOR) / (n + EFFECTIVENESS_PRIOR_WEIGHT)
    return round(100 * score, 4)


def merge_into_daily(daily: SkillDailyUsage, agg: Aggregate) -> None:
    daily.total += agg.total
    daily.success_count += agg.outcomes[Outcome.SUCCESS]
    daily.failure_count += agg.outcomes[Outcome.FAILURE]
    daily.error_count += agg.outcomes[Outcome.ERROR]
    daily.abandoned_count += agg.outcomes[Outcome.ABANDONED]
    _merge_shared(daily, agg)


def merge_into_version(row: SkillVersionUsage, agg: Aggregate) -> None:
    row.total += agg.total
    row.success_count += agg.outcomes[Outcome.SUCCESS]
    row.failure_count += agg.outcomes[Outcome.FAILURE]
    row.error_count += agg.outcomes[Outcome.ERROR]
    row.abandoned_count += agg.outcomes[Outcome.ABANDONED]
    row.duration_count += agg.duration_count
    row.duration_sum_ms += agg.duration_sum
    sketch = LatencySketch(row.latency_sketch)
    sketch.merge(agg.sketch)
    row.latency_sketch = sketch.to_json()
    row.tokens_used_sum += agg.tokens_used
    row.tokens_saved_sum += agg.tokens_saved
    row.cost_usd_sum += agg.cost
    row.cost_usd_sq_sum += agg.cost_squares
    row.first_invoked_at = min_none(row.first_invoked_at, agg.first)
    row.last_invoked_at = max_none(row.last_invoked_at, agg.last)
