"""Latency percentiles kept incrementally by DDSketch, stored as JSON.

DDSketch (Masson et al., VLDB 2019) guarantees that every quantile it returns is
within RELATIVE_ACCURACY (1 %) of the true value at that rank, and two sketches
merge exactly (bin counts add). A sketch of a multiset does not depend on the
order values were added, so incremental ingestion and a rebuild from the log give
identical sketches. Latencies are non-negative, so only the positive store and
the zero count are kept.
"""

from __future__ import annotations

from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.01


class LatencySketch:
    def __init__(self, data: dict | None = None) -> None:
        self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        if data:
            self._load(data)

    def _load(self, data: dict) -> None:
        for key, count in data.get("bins", {}).items():
            self._sketch._store.add(int(key), count)
        self._sketch._zero_count = data.get("zero", 0.0)
        self._sketch._count = data.get("count", 0.0)
        self._sketch._sum = data.get("sum", 0.0)
        self._sketch._min = data.get("min", float("inf"))
        self._sketch._max = data.get("max", float("-inf"))

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

    def to_json(self) -> dict:
        if not self.count:
            return {}
        store = self._sketch._store
        bins = {str(i + store.offset): c for i, c in enumerate(store.bins) if c}
        return {
            "alpha": RELATIVE_ACCURACY,
            "bins": bins,
            "zero": self._sketch._zero_count,
            "count": self._sketch._count,
            "sum": self._sketch._sum,
            "min": self._sketch._min,
            "max": self._sketch._max,
        }
