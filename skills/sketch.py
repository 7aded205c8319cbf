"""Latency percentiles kept incrementally by DDSketch, stored as JSON.

DDSketch (Masson et al., VLDB 2019) guarantees that every quantile it returns is
within RELATIVE_ACCURACY (1 %) of the true value at that rank, and two sketches
merge exactly (bin counts add). A sketch of a multiset does not depend on the
order values were added, so incremental ingestion and a rebuild from the log give
identical sketches. Latencies are non-negative, so only the positive store and
the zero count are kept.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.01


class LatencySketch:
    def __init__(self, data: dict | None = None) -> None:
        self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        if data:
            self._load(data)

    def _load(self, data: dict) -> None:
        # Stored densely (one count a key from min_key to max_key): loading is a list copy.
        bins = data.get("bins", [])
        if bins:
            store = self._sketch._store
            store.bins = list(map(float, bins))
            store.offset = store.min_key = data["min_key"]
            store.max_key = data["min_key"] + len(bins) - 1
            store.count = float(sum(bins))
        self._sketch._zero_count = float(data.get("zero", 0))
        self._sketch._count = float(data.get("count", 0))
        self._sketch._sum = float(data.get("sum", 0))
        self._sketch._min = float(data.get("min", "inf"))
        self._sketch._max = float(data.get("max", "-inf"))

    def add(self, value: float) -> None:
        self._sketch.add(float(value))

    def merge(self, other: LatencySketch) -> None:
        if other.count:
            self._sketch.merge(other._sketch)

    @property
    def count(self) -> float:
        return self._sketch.count

    def quantile(self, q: float) -> float | None:
        return self._sketch.get_quantile_value(q) if self.count else None

    def quantiles(self, qs: tuple[float, ...]) -> tuple[float | None, ...]:
        """Several quantiles from one cumulative sum of the bins; same values as `quantile` one by one."""
        if not self.count:
            return tuple(None for _ in qs)
        # Zero, and only non-negative values, are ever added (latencies).
        sketch, store = self._sketch, self._sketch._store
        if not store.bins:
            return tuple(0.0 for _ in qs)
        # cumulative[i] = how many values fall in the zero bucket or the bins up to i.
        cumulative = list(accumulate(store.bins, initial=sketch._zero_count))
        values = []
        for q in qs:
            rank = q * (sketch.count - 1)
            if rank < cumulative[0]:
                values.append(0.0)
                continue
            index = bisect_right(cumulative, rank, lo=1) - 1  # the first bin whose running count passes rank
            key = index + store.offset if index < len(store.bins) else store.max_key
            values.append(sketch._mapping.value(key))
        return tuple(values)

    def to_json(self) -> dict:
        if not self.count:
            return {}
        store = self._sketch._store
        bins = []
        if store.count:
            low, high = store.min_key - store.offset, store.max_key - store.offset
            bins = list(map(int, store.bins[low : high + 1]))
        return {
            "alpha": RELATIVE_ACCURACY,
            "min_key": store.min_key if store.count else 0,
            "bins": bins,
            "zero": int(self._sketch._zero_count),
            "count": int(self._sketch._count),
            "sum": self._sketch._sum,
            "min": self._sketch._min,
            "max": self._sketch._max,
        }
