"""The statistics of experiments: the planned sample, per-arm figures and the tests.

The unit of assignment is the user, but metrics are per use, and one user's uses are not
independent. Every metric is therefore a ratio of per-user sums (successes / uses, tokens / uses,
slow uses / uses) and its variance comes from the delta method over users (Deng, Knoblich and Lu,
"Applying the Delta Method in Metric Analytics", KDD 2018): a heavy user counts as what they are,
one unit with many uses, not as many independent units.

Two ways of judging, each chosen for what it protects:
- **The verdict** on the primary metric is fixed-horizon: a two-sided test of each treatment
  against control at α / k (Bonferroni over k treatments), made only once every arm has its
  planned uses. Before that the answer is "not enough data yet", so peeking cannot pick a winner.
- **Guardrails** must stop a harmful treatment early, so they are checked at every snapshot; a
  fixed test repeated that often would stop healthy experiments by chance. They use the mixture
  sequential probability ratio test (mSPRT; Johari, Pekelis and Walsh, "Always Valid Inference",
  2017/2022) with a normal mixing distribution, whose false-stop rate stays below its α however
  often it is looked at.
Only the standard library: `statistics.NormalDist` gives the normal quantiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

NORMAL = NormalDist()
P95_SHARE = 0.05  # the share of uses slower than a p95, by definition
DEFAULT_LOG_SD = 1.0  # latency's spread on a log scale when there is no history to measure it


def z_two_sided(alpha: float) -> float:
    return NORMAL.inv_cdf(1 - alpha / 2)


@dataclass(frozen=True)
class Plan:
    """Uses per arm, with what the plan assumed (shown to the admin before the start)."""

    uses_per_arm: int
    control: float  # the value the control is expected to have (a rate, or a mean)
    treatment: float  # the value a treatment must reach to be detected at `power`
    alpha_each: float  # α of each treatment's test (Bonferroni)


def rate_plan_uses(p1: float, p2: float, alpha_each: float, power: float) -> int:
    """Uses per arm for a two-sided two-proportion test (the normal approximation's formula)."""
    z_a, z_b = z_two_sided(alpha_each), NORMAL.inv_cdf(power)
    mean = (p1 + p2) / 2
    spread = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(spread**2 / (p1 - p2) ** 2)


def mean_plan_uses(sd: float, difference: float, alpha_each: float, power: float) -> int:
    z_a, z_b = z_two_sided(alpha_each), NORMAL.inv_cdf(power)
    return math.ceil(2 * ((z_a + z_b) * sd / difference) ** 2)


def slow_share_after(change: float, log_sd: float) -> float:
    """The share of uses slower than today's p95 once every use is (1 + change) times slower,
    latencies being log-normal with that spread: 1 − Φ(z₀.₉₅ − ln(1 + change) / σ)."""
    return 1 - NORMAL.cdf(NORMAL.inv_cdf(1 - P95_SHARE) - math.log1p(change) / log_sd)


def clamp_rate(p: float) -> float:
    return min(max(p, 0.001), 0.999)


# --- Per-arm figures from per-user sums ---------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """Σy / Σx over users, with its delta-method variance (zero users: None)."""

    value: float | None
    variance: float
    users: int
    uses: int

    def interval(self, z: float) -> tuple[float | None, float | None]:
        if self.value is None:
            return None, None
        half = z * math.sqrt(self.variance)
        return self.value - half, self.value + half


def ratio(pairs: list[tuple[float, float]]) -> Ratio:
    """`pairs` holds each user's (uses, sum of the metric over them); users with no use are left out."""
    pairs = [(x, y) for x, y in pairs if x > 0]
    n = len(pairs)
    total_x = sum(x for x, _ in pairs)
    if not n:
        return Ratio(None, 0.0, 0, 0)
    r = sum(y for _, y in pairs) / total_x
    if n < 2:
        return Ratio(r, 0.0, n, int(total_x))
    mean_x = total_x / n
    # Var(R) ≈ Var(ȳ − R·x̄) / x̄²: the residual y − R·x of each user, whose mean is zero by R's definition.
    residual_ss = sum((y - r * x) ** 2 for x, y in pairs)
    return Ratio(r, residual_ss / (n - 1) / n / mean_x**2, n, int(total_x))


@dataclass(frozen=True)
class Difference:
    value: float | None
    low: float | None
    high: float | None
    p_value: float | None


def difference(treatment: Ratio, control: Ratio, z: float) -> Difference:
    """treatment − control with its normal interval and two-sided p-value."""
    if treatment.value is None or control.value is None:
        return Difference(None, None, None, None)
    value = treatment.value - control.value
    se = math.sqrt(treatment.variance + control.variance)
    if not se:
        return Difference(value, value, value, 1.0 if value == 0 else 0.0)
    return Difference(value, value - z * se, value + z * se, 2 * (1 - NORMAL.cdf(abs(value) / se)))


def msprt_breached(excess: float, variance: float, tau: float, alpha: float) -> bool:
    """Whether the always-valid test rejects "excess ≤ 0" for a normal estimate `excess` of
    variance `variance`, with a N(0, τ²) mixture: Λ = √(V/(V+τ²))·exp(τ²·x²/(2V(V+τ²))) ≥ 1/α."""
    if excess <= 0 or variance <= 0 or tau <= 0:
        return False
    total = variance + tau * tau
    log_lambda = 0.5 * math.log(variance / total) + tau * tau * excess * excess / (2 * variance * total)
    return log_lambda >= math.log(1 / alpha)


def quantile(sorted_values: list[float], q: float) -> float | None:
    """The q-quantile of sorted values (the nearest rank above)."""
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1)]


def quantile_interval(sorted_values: list[float], q: float, z: float) -> tuple[float | None, float | None]:
    """Distribution-free interval of a quantile: the order statistics at ranks n·q ± z·√(n·q·(1−q))."""
    n = len(sorted_values)
    if not n:
        return None, None
    spread = z * math.sqrt(n * q * (1 - q))
    low = max(0, math.floor(n * q - spread) - 1)
    high = min(n - 1, math.ceil(n * q + spread) - 1)
    return sorted_values[low], sorted_values[high]
