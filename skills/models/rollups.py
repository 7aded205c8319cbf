"""The roll-up columns, declared once: adding a metric is one `Measure` here, a migration and a test.

A measure says what one event adds to it (`value`), how two partial results combine (its
`Kind`), which roll-up rows keep it and under which column name (`columns`: the skill's
SkillMetrics, the (skill, day) SkillDailyUsage, the (skill, version) SkillVersionUsage), the
column's field, and how `rebuild_metrics` recomputes it from the log (`rebuilt`: an SQL
aggregate; without one, from the log grouped by the measure's `source` column). From this list
follow the models' fields (`rollup_columns`), the fold and the rebuild (`skills.aggregates`,
`skills.services.rebuild`), the nightly roll-up check and the API's metrics. A DERIVED measure
is computed from its row's stored columns whenever they change (`derive`); a KEPT one is kept by
a writer of its own, named in its help text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter
from typing import Any

from django.db import models
from django.db.models import Count, Max, Min, Q, Sum

from ..sketch import LatencySketch
from ..text_counter import TextCounter
from .telemetry import Outcome

METRICS, DAILY, VERSION, TEAM_DAILY = "metrics", "daily", "version", "team_daily"
# Each roll-up's grouping of the log, as `rebuild_metrics` groups it. TEAM_DAILY is every skill's
# events of a day: it keeps the columns DAILY keeps (see Measure), summed across skills.
ROLLUP_KEYS = {
    METRICS: ("skill_id",),
    DAILY: ("skill_id", "day"),
    VERSION: ("skill_id", "skill_version_id"),
    TEAM_DAILY: ("day",),
}


class Kind(StrEnum):
    COUNT = "count"  # events whose value is not None (or is `equals`): added
    SUM = "sum"  # totals of the values: added
    MIN = "min"  # the least value seen
    MAX = "max"  # the greatest
    COUNTER = "counter"  # {value: [count, ids of its first senders]}, bounded (skills.text_counter)
    SKETCH = "sketch"  # a latency sketch (skills.sketch): merged bin by bin
    DERIVED = "derived"  # computed from the row's stored columns (`derive`)
    KEPT = "kept"  # kept by a writer of its own (its help text names it)


@dataclass(frozen=True)
class Measure:
    name: str  # the attribute of `skills.aggregates.Aggregate`
    kind: Kind
    columns: dict[str, str]  # roll-up → its column
    field: Callable[[], models.Field]
    source: str = ""  # the log's column it is read from
    # One event's contribution, None (or, for counters, empty) when it adds nothing; an itemgetter
    # where it is a column's value (the fold runs it for every event).
    value: Callable[[dict], Any] | None = None
    rebuilt: Callable[[], models.Aggregate] | None = None  # its SQL aggregate over a group of the log
    equals: Any = None  # COUNT: the events whose value is this
    derive: Callable[[Any, LatencySketch], Any] | None = None  # DERIVED: (row, its sketch) → value
    public: bool = True  # shown by the API with the skill's metrics
    from_feedback: bool = False  # depends on ratings, not on the log alone (the roll-up check skips it)

    def __post_init__(self) -> None:
        if DAILY in self.columns:  # the whole team's day keeps what a skill's day keeps
            self.columns.setdefault(TEAM_DAILY, self.columns[DAILY])

    def initial(self) -> Any:
        """Its value over no event."""
        if self.kind == Kind.COUNTER:
            return TextCounter()
        if self.kind == Kind.SKETCH:
            return LatencySketch()
        return None if self.kind in (Kind.MIN, Kind.MAX) else 0


def _count() -> models.Field:
    return models.PositiveIntegerField(default=0)


def _big() -> models.Field:
    return models.BigIntegerField(default=0)


def _money() -> models.Field:
    return models.DecimalField(max_digits=18, decimal_places=6, default=0)


def _optional_float() -> models.Field:
    return models.FloatField(null=True, blank=True)


def _optional_moment() -> models.Field:
    return models.DateTimeField(null=True, blank=True)


def _counts(what: str) -> Callable[[], models.Field]:
    help_text = (
        f"{{{what}: [count, [the smallest ids of the users who sent it]]}}, the most frequent METRICS_TOP_K "
        "(skills/text_counter.py)."
    )
    return lambda: models.JSONField(default=dict, blank=True, help_text=help_text)


def _every(*names: str) -> dict[str, str]:
    """The same column name in the roll-ups `names` (METRICS, DAILY, VERSION by default)."""
    column, *rollups = names
    return dict.fromkeys(rollups or (METRICS, DAILY, VERSION), column)


def _outcome(outcome: Outcome, metrics_column: str, column: str) -> Measure:
    return Measure(
        outcome.value, Kind.COUNT, {METRICS: metrics_column, DAILY: column, VERSION: column}, _count, "outcome",
        value=itemgetter("outcome"), equals=outcome.value,
        rebuilt=lambda: Count("id", filter=Q(outcome=outcome)),
    )  # fmt: skip


def _quantile(q: float) -> Callable[[Any, LatencySketch], float | None]:
    return lambda row, sketch: sketch.quantile(q)


def _ratio(numerator: str, denominator: str, scale: float = 1.0) -> Callable[[Any, LatencySketch], float | None]:
    def derive(row, sketch) -> float | None:
        total = getattr(row, denominator)
        return scale * getattr(row, numerator) / total if total else None

    return derive


# Weight (in invocations) of the neutral prior in the effectiveness score.
EFFECTIVENESS_PRIOR_WEIGHT = 10
EFFECTIVENESS_PRIOR = 0.5


def effectiveness_score(metrics, sketch: LatencySketch | None = None) -> float | None:
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


MICRODOLLAR = Decimal("0.000001")


def _cost_per_success(metrics, sketch: LatencySketch) -> Decimal | None:
    successes = metrics.completed_count
    return (Decimal(metrics.cost_usd_sum) / successes).quantize(MICRODOLLAR) if successes else None


# In SkillMetrics' column order (the API lists its metrics in this order); derived measures come
# after the columns they are computed from.
MEASURES: tuple[Measure, ...] = (
    Measure("total", Kind.COUNT, {METRICS: "total_invocations", DAILY: "total", VERSION: "total"}, _count,
            "skill_id", value=itemgetter("skill_id"), rebuilt=lambda: Count("id")),
    _outcome(Outcome.SUCCESS, "completed_count", "success_count"),
    _outcome(Outcome.FAILURE, "failed_count", "failure_count"),
    _outcome(Outcome.ERROR, "error_count", "error_count"),
    _outcome(Outcome.ABANDONED, "abandoned_count", "abandoned_count"),
    Measure("duration_count", Kind.COUNT, _every("duration_count"),
            lambda: models.PositiveIntegerField(default=0, help_text="Events that reported a latency."),
            "latency_ms", value=itemgetter("latency_ms"),
            rebuilt=lambda: Count("latency_ms")),
    Measure("duration_sum", Kind.SUM, _every("duration_sum_ms"), _big, "latency_ms",
            value=itemgetter("latency_ms"), rebuilt=lambda: Sum("latency_ms")),
    Measure("duration_min", Kind.MIN, _every("duration_min_ms", METRICS),
            lambda: models.PositiveIntegerField(null=True, blank=True), "latency_ms",
            value=itemgetter("latency_ms"), rebuilt=lambda: Min("latency_ms")),
    Measure("duration_max", Kind.MAX, _every("duration_max_ms", METRICS),
            lambda: models.PositiveIntegerField(null=True, blank=True), "latency_ms",
            value=itemgetter("latency_ms"), rebuilt=lambda: Max("latency_ms")),
    Measure("avg_duration", Kind.DERIVED, _every("avg_duration_ms", METRICS), _optional_float,
            derive=_ratio("duration_sum_ms", "duration_count")),
    Measure("p50", Kind.DERIVED, _every("p50_ms", METRICS), _optional_float, derive=_quantile(0.5)),
    Measure("p95", Kind.DERIVED, _every("p95_ms", METRICS), _optional_float, derive=_quantile(0.95)),
    Measure("p99", Kind.DERIVED, _every("p99_ms", METRICS), _optional_float, derive=_quantile(0.99)),
    Measure("sketch", Kind.SKETCH, _every("latency_sketch"), lambda: models.JSONField(default=dict, blank=True),
            "latency_ms", value=itemgetter("latency_ms"), public=False),
    Measure("workflow_paths", Kind.COUNTER, _every("workflow_paths", METRICS, DAILY), _counts("path"),
            "workflow_path", value=itemgetter("workflow_path")),
    Measure("error_types", Kind.COUNTER, _every("error_types", METRICS, DAILY), _counts("error type"),
            "error_type", value=itemgetter("error_type")),
    Measure("follow_ups", Kind.COUNTER, _every("follow_up_actions", METRICS), _counts("follow-up action"),
            "follow_up_actions", value=itemgetter("follow_up_actions")),
    Measure("tokens_used", Kind.SUM, _every("tokens_used_sum"), _big, "tokens_used",
            value=itemgetter("tokens_used"), rebuilt=lambda: Sum("tokens_used")),
    Measure("tokens_saved", Kind.SUM, _every("tokens_saved_sum"), _big, "tokens_saved",
            value=itemgetter("tokens_saved"), rebuilt=lambda: Sum("tokens_saved")),
    Measure("cost", Kind.SUM, _every("cost_usd_sum"), _money, "cost_usd",
            value=itemgetter("cost_usd"), rebuilt=lambda: Sum("cost_usd")),
    # Sum of squared costs (exact: costs have 6 decimals): the cost's variance, for its test
    # (version regressions). Rebuilt from the costs grouped, in Python: SQLite sums decimals as floats.
    Measure("cost_squares", Kind.SUM, _every("cost_usd_sq_sum", VERSION),
            lambda: models.DecimalField(max_digits=30, decimal_places=12, default=0), "cost_usd",
            value=lambda event: event["cost_usd"] * event["cost_usd"]),
    Measure("avg_token_savings", Kind.DERIVED, _every("avg_token_savings", METRICS), _optional_float,
            derive=_ratio("tokens_saved_sum", "total_invocations")),
    Measure("first", Kind.MIN, {METRICS: "first_invoked", VERSION: "first_invoked_at"}, _optional_moment,
            "occurred_at", value=itemgetter("occurred_at"), rebuilt=lambda: Min("occurred_at")),
    Measure("last", Kind.MAX, {METRICS: "last_invoked", VERSION: "last_invoked_at"}, _optional_moment,
            "occurred_at", value=itemgetter("occurred_at"), rebuilt=lambda: Max("occurred_at")),
    Measure("completion_rate", Kind.DERIVED, _every("completion_rate", METRICS),
            lambda: models.FloatField(null=True, blank=True, help_text="Percent of invocations that succeeded."),
            derive=_ratio("completed_count", "total_invocations", 100.0)),
    # The fold adds the users its user rows did not hold; the rebuild counts those rows.
    Measure("unique_users", Kind.KEPT, _every("unique_users", METRICS), _count),
    Measure("rating_count", Kind.KEPT, _every("rating_count", METRICS), _count,
            from_feedback=True),  # feedback_record
    Measure("rating_sum", Kind.KEPT, _every("rating_sum", METRICS), _count, public=False,
            from_feedback=True),  # feedback_record
    Measure("avg_rating", Kind.DERIVED, _every("avg_rating", METRICS), _optional_float,
            derive=_ratio("rating_sum", "rating_count"), from_feedback=True),
    Measure("effectiveness", Kind.DERIVED, _every("effectiveness_score", METRICS), _optional_float,
            derive=effectiveness_score, from_feedback=True),
    # What a success costs: failed and abandoned attempts are paid for too.
    Measure("cost_per_success", Kind.DERIVED, _every("cost_per_success_usd", METRICS),
            lambda: models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True,
                                        help_text="Cost in USD of every use over the successful ones."),
            derive=_cost_per_success),
)  # fmt: skip


def measures_of(rollup: str, *kinds: Kind) -> list[Measure]:
    """The measures `rollup` keeps (of `kinds`, when given), in declaration order."""
    return [m for m in MEASURES if rollup in m.columns and (not kinds or m.kind in kinds)]


def rollup_columns(rollup: str, name: str) -> type[models.Model]:
    """An abstract model holding `rollup`'s declared columns, the base of its concrete model."""
    fields = {m.columns[rollup]: m.field() for m in measures_of(rollup)}
    meta = type("Meta", (), {"abstract": True})
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})
