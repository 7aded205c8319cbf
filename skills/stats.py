"""Tests and intervals that compare a skill's versions (skills.services.regressions).

Rates: Wilson score intervals, a pooled two-proportion z-test, and Newcombe's interval for the
difference of two rates (built from the two Wilson intervals). Latency: p95 from the DDSketch
with a distribution-free interval from the ranks of the order statistics, tested as a rate —
the share of events slower than the baseline's p95 in each version. Cost: the mean with a
Welch z-test (counts in the hundreds at least, so the normal approximation holds).
Only the standard library: `statistics.NormalDist` gives the normal quantiles.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

from skills.sketch import LatencySketch, bin_key

NORMAL = NormalDist()


@dataclass
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict:
        return {key: (round(v, 6) if isinstance(v, float) else v) for key, v in asdict(self).items()}


def z_for(level: float) -> float:
    """The two-sided normal quantile of a confidence level (0.99 → 2.576)."""
    return NORMAL.inv_cdf(0.5 + level / 2)


def upper_tail(z: float) -> float:
    """P(Z > z): the one-sided p-value of a z statistic."""
    return 1 - NORMAL.cdf(z) if z < 5 else 0.5 * math.erfc(z / math.sqrt(2))


def wilson(successes: int, n: int, z: float) -> Estimate:
    if not n:
        return Estimate(None, None, None, 0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def rate_drop(baseline: tuple[int, int], current: tuple[int, int], z: float) -> tuple[Estimate, float]:
    """How far the current rate is below the baseline's, (successes, n) each: the difference
    baseline − current with Newcombe's interval, and the one-sided p-value of the pooled z-test."""
    (s1, n1), (s2, n2) = baseline, current
    first, second = wilson(s1, n1, z), wilson(s2, n2, z)
    drop = first.value - second.value
    low = drop - math.sqrt((first.value - first.low) ** 2 + (second.high - second.value) ** 2)
    high = drop + math.sqrt((first.high - first.value) ** 2 + (second.value - second.low) ** 2)
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = upper_tail(drop / se) if se else (0.0 if drop > 0 else 1.0)
    return Estimate(drop, low, high, n1 + n2), p_value


def quantile_estimate(sketch: LatencySketch, q: float, z: float) -> Estimate:
    """The q-quantile with the interval of the order statistics at ranks n·q ± z·√(n·q·(1−q))."""
    n = sketch.count
    if not n:
        return Estimate(None, None, None, 0)
    spread = z * math.sqrt(n * q * (1 - q))
    low_q, high_q = (min(max((n * q + d) / max(n - 1, 1), 0.0), 1.0) for d in (-spread, spread))
    return Estimate(sketch.quantile(q), sketch.quantile(low_q), sketch.quantile(high_q), n)


def count_above(sketch: LatencySketch, value: float) -> int:
    """Events slower than `value`, to the sketch's accuracy (whole bins above value's bin)."""
    if not sketch.bins or value <= 0:
        return sketch.count - sketch.zero if value <= 0 else 0
    first_above = bin_key(value) + 1 - sketch.min_key
    return sum(sketch.bins[max(first_above, 0) :])


def mean_estimate(total: float, squares: float, n: int, z: float) -> tuple[Estimate, float]:
    """The mean with its normal interval, and the sample variance."""
    if not n:
        return Estimate(None, None, None, 0), 0.0
    mean = total / n
    variance = max(squares - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
    half = z * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n), variance


def mean_rise_p_value(baseline: tuple[Estimate, float], current: tuple[Estimate, float]) -> float:
    """One-sided Welch z-test that the current mean is above the baseline's."""
    (first, var1), (second, var2) = baseline, current
    se = math.sqrt(var1 / first.n + var2 / second.n)
    rise = second.value - first.value
    return upper_tail(rise / se) if se else (0.0 if rise > 0 else 1.0)
