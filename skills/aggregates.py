"""Aggregation arithmetic shared by the fold, `rebuild_metrics` and the roll-up check, driven by
the declared measures (`skills.models.rollups`).

Every measure is a sum, a min / max, a counter or a sketch, so aggregating a batch and merging it
into the stored row gives the same result as aggregating the whole log at once, whatever the
order of events: that is what makes the incremental roll-ups equal to the rebuilt ones. The one
exception is a free-text counter of a row that has seen more than METRICS_TOP_K distinct values:
it keeps the most frequent K, approximately (`skills.text_counter`; `approximate_columns`).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.conf import settings

from skills.models import MEASURES, Kind, Measure, measures_of
from skills.sketch import LatencySketch
from skills.text_counter import bounded

# The measures an event adds to.
ADDED = tuple(m for m in MEASURES if m.value is not None)
USER = itemgetter("user_id")  # who sent an event's free text (counters)


class Aggregate:
    """Every added measure (its `name`) over a set of events of one skill (and one day or version)."""

    __slots__ = tuple(m.name for m in ADDED)

    def __init__(self) -> None:
        for measure in ADDED:
            setattr(self, measure.name, measure.initial())

    def add(self, events: list[dict]) -> None:
        """Adds events, rows of the log as dicts, measure by measure: the fold's hot loop, kept in C
        (`map` over itemgetters, `list.count`) wherever a measure allows."""
        users = list(map(USER, events))
        for measure in ADDED:
            kind, name = measure.kind, measure.name
            values = list(map(measure.value, events))
            if kind == Kind.COUNT:
                equals = measure.equals
                counted = values.count(equals) if equals is not None else len(values) - values.count(None)
                setattr(self, name, getattr(self, name) + counted)
                continue
            if kind == Kind.COUNTER:  # an empty value (no path, no actions) counts nothing
                counter = getattr(self, name)
                for value, user in zip(values, users, strict=True):
                    if value:
                        counter.add((value,) if isinstance(value, str) else map(str, value), user)
                continue
            if None in values:
                values = [value for value in values if value is not None]
            if not values:
                continue
            elif kind == Kind.SUM:
                setattr(self, name, getattr(self, name) + sum(values))
            elif kind == Kind.SKETCH:
                sketch = getattr(self, name)
                for value in values:
                    sketch.add(value)
            else:
                reduce = min if kind == Kind.MIN else max
                setattr(self, name, combined(kind, getattr(self, name), reduce(values)))

    def add_weighted(self, measure: Measure, value: Any, n: int, user_id: int | None = None) -> None:
        """Adds `n` events whose contribution to `measure` is `value` (sent by `user_id`, for a
        counter): the rebuild's grouped rows, for the measures it does not aggregate in SQL
        (sketches, counters, sums of squares)."""
        held = getattr(self, measure.name)
        if measure.kind == Kind.SKETCH:
            held.add(value, n)
        elif measure.kind == Kind.COUNTER:  # an empty value counts nothing, as in `add`
            if value:
                held.add((value,) if isinstance(value, str) else map(str, value), user_id, n)
        else:
            setattr(self, measure.name, combined(measure.kind, held, value * n))

    def merge(self, other: Aggregate) -> None:
        """Adds another aggregate of the same skill: the same as adding its events."""
        for measure in ADDED:
            held, new = getattr(self, measure.name), getattr(other, measure.name)
            if measure.kind == Kind.COUNTER:
                held.merge(new.entries)
            elif measure.kind == Kind.SKETCH:
                held.merge(new)
            else:
                setattr(self, measure.name, combined(measure.kind, held, new))


def combined(kind: Kind, held, new):
    """Two partial values of a COUNT, SUM, MIN or MAX measure as one (None: no value yet)."""
    if kind == Kind.SUM or kind == Kind.COUNT:
        return held + new
    if held is None or new is None:
        return new if held is None else held
    return min(held, new) if kind == Kind.MIN else max(held, new)


def merge_into(row, rollup: str, agg: Aggregate) -> LatencySketch | None:
    """Adds `agg` to a roll-up row (`rollup` names its kind: METRICS, DAILY or VERSION) and
    recomputes its derived columns; returns the row's merged sketch."""
    sketch = None
    for measure in measures_of(rollup, Kind.COUNT, Kind.SUM, Kind.MIN, Kind.MAX, Kind.COUNTER, Kind.SKETCH):
        column, new = measure.columns[rollup], getattr(agg, measure.name)
        if measure.kind == Kind.SKETCH:
            sketch = LatencySketch(getattr(row, column))
            sketch.merge(new)
            setattr(row, column, sketch.to_json())
        elif measure.kind == Kind.COUNTER:
            if len(new):
                setattr(row, column, bounded(getattr(row, column), new, settings.METRICS_TOP_K))
        else:
            setattr(row, column, combined(measure.kind, getattr(row, column), new))
    refresh_derived(row, rollup, sketch)
    return sketch


def refresh_derived(row, rollup: str, sketch: LatencySketch | None = None) -> None:
    """The row's rates, averages, percentiles and score, from its stored columns (in declaration order)."""
    derived = measures_of(rollup, Kind.DERIVED)
    if not derived:
        return
    if sketch is None:
        sketch = LatencySketch(getattr(row, measures_of(rollup, Kind.SKETCH)[0].columns[rollup]))
    for measure in derived:
        setattr(row, measure.columns[rollup], measure.derive(row, sketch))


def approximate_columns(rollup: str, agg: Aggregate) -> set[str]:
    """The counter columns of `rollup` that `agg` (exact: the rebuild's, over a row's events) fills
    with more distinct values than a row keeps: there the fold's row is approximate, and may differ
    from the rebuild's exact top K."""
    top_k = settings.METRICS_TOP_K
    return {m.columns[rollup] for m in measures_of(rollup, Kind.COUNTER) if len(getattr(agg, m.name)) > top_k}
