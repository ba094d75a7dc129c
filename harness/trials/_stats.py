"""The statistics of repeated trials: pass@1, the unbiased pass^k, and intervals that are honest
about repeats of one scenario not being independent.

    pass_hat_k(n=8, c=6, k=4)            # C(6,4)/C(8,4) = 0.214..., tau-bench's estimator of p^k
    wilson(c=6, n=8, confidence=0.95)    # (lo, hi) for the scenario's pass rate p
    pooled([(8, 6), (8, 8)], k=4)        # the scenario set's mean pass^k, clustered by scenario
    decide(interval, limit)              # "pass" | "fail" | "inconclusive"

pass^k is the chance that k fresh trials of a scenario *all* pass. Its plug-in estimate (c/n)^k is
biased (by Jensen's inequality, too high); C(c,k)/C(n,k) is the unbiased one (the share of the
k-subsets of the n trials that all passed). For one scenario p^k is a monotone function of p, so
the interval of p^k is the Wilson interval of p with both ends raised to the k-th power: the same
coverage, exactly. Pooled over scenarios, the n trials of one scenario share that scenario's p and
are not n independent draws: the variance of the mean is estimated from the spread of the
per-scenario estimates (a cluster-robust variance, each scenario a cluster), turned into an
effective sample size (Kish's design effect) and given to the Wilson formula, which keeps the
interval inside [0, 1] and sensible near its ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

__all__ = [
    "Estimate",
    "Verdict",
    "decide",
    "more_trials",
    "pass_hat_k",
    "per_scenario",
    "pooled",
    "wilson",
]

Verdict = Literal["pass", "fail", "inconclusive"]
#: (n trials, c passed) for one scenario
Counts = tuple[float, float]


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its two-sided interval at `confidence`."""

    value: float
    low: float
    high: float
    confidence: float
    n_eff: float  # the sample size the interval rests on (pooled: after the design effect)


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r}: give a level between 0 and 1, e.g. 0.95")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def pass_hat_k(n: float, c: float, k: int) -> float:
    """C(c,k)/C(n,k): the unbiased estimate of p^k from c passes in n trials (needs n >= k).
    Real-valued counts are accepted (a projection scales them), as the product form allows."""
    if k < 1 or n < k:
        raise ValueError(f"pass^{k} needs at least {k} trials of the scenario, it has {n:g}")
    if c < k:
        return 0.0
    return math.prod((c - i) / (n - i) for i in range(k))


def wilson(c: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a pass rate from c passes in n trials."""
    if n <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    p, z2 = c / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At c = 0 (c = n) the end is 0 (1) exactly; floating point would leave it a hair off.
    low = 0.0 if c <= 0 else max(0.0, centre - half)
    return low, 1.0 if c >= n else min(1.0, centre + half)


def per_scenario(n: float, c: float, k: int = 1, confidence: float = 0.95) -> Estimate:
    """One scenario's pass^k (k=1: pass@1) and its interval (Wilson's, raised to the k-th power).
    With few trials the unbiased estimate can fall outside that interval (n = k, one failure: the
    estimate is 0, the interval's low end is not): the interval is then widened to hold it, so a
    report never shows a figure outside its own interval (coverage can only rise)."""
    low, high = wilson(c, n, confidence)
    value = pass_hat_k(n, c, k)
    return Estimate(value, min(low**k, value), max(high**k, value), confidence, n)


def pooled(counts: Sequence[Counts], k: int = 1, confidence: float = 0.95, *, extra: int = 0) -> Estimate:
    """The mean over scenarios of each one's pass^k, with a cluster-robust interval.

    Each scenario weighs the same however often it ran. The variance of the mean is the spread
    of the per-scenario estimates over m(m-1): scenarios are the sampling unit, so the interval
    is for scenarios like these, not for these repeats. That spread has two parts (Miller 2024,
    "Adding error bars to evals"): how much the scenarios' true rates differ, which no number of
    repeats changes, and each estimate's own noise, which shrinks as 1/n. `extra` projects the
    interval `extra` more trials of every scenario ahead, each rate staying what it is: only the
    second part shrinks. When the spread is zero and the mean is 0 or 1 the design effect cannot
    be estimated: the effective size is then the number of scenarios, the cautious choice (a
    repeat of a scenario that always passes says little about another scenario)."""
    if not counts:
        return Estimate(math.nan, 0.0, 1.0, confidence, 0.0)
    values = [pass_hat_k(n, c, k) for n, c in counts]
    m = len(values)
    mean = sum(values) / m
    spread = sum((v - mean) ** 2 for v in values) / (m - 1) if m > 1 else 0.0
    noise = [_noise(n, c, k) for n, c in counts]  # per trial: divide by the trials
    if extra:
        within = sum(w / n for w, (n, _) in zip(noise, counts, strict=True)) / m
        later = sum(w / (n + extra) for w, (n, _) in zip(noise, counts, strict=True)) / m
        spread = max(0.0, spread - within) + later
    total = float(sum(n + extra for n, _ in counts))
    n_eff = _effective_size(spread / m, mean, m, total)
    low, high = wilson(mean * n_eff, n_eff, confidence)
    return Estimate(mean, low, high, confidence, n_eff)


def _noise(n: float, c: float, k: int) -> float:
    """One trial's share of the variance of a scenario's pass^k estimate: p(1-p) (estimated
    without bias, n/(n-1)), through the delta method's (k p^(k-1))^2 for k > 1."""
    if n < 2:
        return 0.0
    p = c / n
    return (k * p ** (k - 1)) ** 2 * p * (1 - p) * n / (n - 1)


def _effective_size(variance: float, mean: float, m: int, total: float) -> float:
    bernoulli = mean * (1 - mean)
    if bernoulli <= 0:
        return float(m)
    if variance <= 0:
        return total
    return min(total, bernoulli / variance)


def decide(estimate: Estimate, limit: float) -> Verdict:
    """Against `value >= limit`: pass when the whole interval is at or above it, fail when the
    whole interval is below, inconclusive when the interval straddles it."""
    if estimate.low >= limit:
        return "pass"
    if estimate.high < limit:
        return "fail"
    return "inconclusive"


def more_trials(
    counts: Sequence[Counts],
    limit: float,
    *,
    k: int = 1,
    confidence: float = 0.95,
    cap: int = 10_000,
) -> int | None:
    """How many more trials of every scenario would settle an inconclusive `pooled` verdict, if
    each scenario's pass rate stayed what it is now (`pooled(extra=...)`); 0 when it is settled
    already, None when no number up to `cap` would (the scenarios differ among themselves: the
    interval then narrows only with more scenarios, not more repeats)."""
    return _search(lambda extra: decide(pooled(counts, k, confidence, extra=extra), limit), cap)


def _search(verdict_at: Callable[[int], Verdict], cap: int) -> int | None:
    """The least `extra` in [0, cap] whose verdict is settled: doubling, then bisection."""
    if verdict_at(0) != "inconclusive":
        return 0
    high = 1
    while verdict_at(high) == "inconclusive":
        if high >= cap:
            return None
        high = min(cap, high * 2)
    low = high // 2  # inconclusive at low (or low == 0, checked above)
    while high - low > 1:
        middle = (low + high) // 2
        if verdict_at(middle) == "inconclusive":
            low = middle
        else:
            high = middle
    return high
