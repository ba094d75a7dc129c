"""The statistics `harness compare` needs, on numpy alone (scipy is not a dependency).

- Mann-Whitney U, one-sided (is the candidate stochastically larger?), normal approximation
  with tie and continuity corrections: load runs have hundreds of samples, where it is exact
  enough, and it assumes no distribution — latency is skewed, never normal.
- A two-proportion z-test, one-sided, for error rates.
- A percentile bootstrap of the difference of a statistic (P95, median), for the interval shown
  beside each test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["bootstrap_diff", "mann_whitney_greater", "nearest_rank", "two_proportions_greater"]

Array = np.ndarray[Any, np.dtype[np.float64]]


def _upper_tail(z: float) -> float:
    """P(Z >= z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def mann_whitney_greater(baseline: Sequence[float], candidate: Sequence[float]) -> tuple[float, float]:
    """(U of the candidate, one-sided p-value) for H1: candidate values tend to be larger."""
    x, y = np.asarray(baseline, dtype=float), np.asarray(candidate, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    both = np.concatenate([x, y])
    _, inverse, counts = np.unique(both, return_inverse=True, return_counts=True)
    # Average rank of each distinct value: ties share the mean of the ranks they span.
    first = np.cumsum(counts) - counts + 1
    ranks = (first + (counts - 1) / 2.0)[inverse]
    u = float(ranks[n1:].sum() - n2 * (n2 + 1) / 2.0)
    n = n1 + n2
    tie_term = float((counts.astype(float) ** 3 - counts).sum()) / (n * (n - 1)) if n > 1 else 0.0
    variance = n1 * n2 / 12.0 * ((n + 1) - tie_term)
    if variance <= 0:
        return u, 1.0  # every value equal: no evidence either way
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(variance)
    return u, _upper_tail(z)


def two_proportions_greater(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """(z, one-sided p-value) for H1: the second proportion k2/n2 is larger than k1/n1."""
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0  # no errors (or only errors) on both sides
    z = (k2 / n2 - k1 / n1) / se
    return z, _upper_tail(z)


def nearest_rank(values: Array, q: float, axis: int = -1) -> Array:
    """Nearest-rank percentile (q in 0..1), as the system tier computes them: a measured value."""
    return np.quantile(values, q, axis=axis, method="inverted_cdf")


def bootstrap_diff(
    baseline: Sequence[float],
    candidate: Sequence[float],
    statistic: Callable[[Array], Array],
    *,
    replicates: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(observed difference candidate - baseline, 95% interval low, high) of `statistic`, which
    takes a 2-D array of resamples (one per row) and returns one value per row."""
    x, y = np.asarray(baseline, dtype=float), np.asarray(candidate, dtype=float)
    observed = float(statistic(y[None, :])[0] - statistic(x[None, :])[0])
    rng = np.random.default_rng(seed)
    diffs: list[Array] = []
    # In chunks: replicates x samples at once would not fit in memory for a long soak run.
    chunk = max(1, min(replicates, 2_000_000 // max(len(x), len(y), 1)))
    for start in range(0, replicates, chunk):
        rows = min(chunk, replicates - start)
        bx = x[rng.integers(0, len(x), size=(rows, len(x)))]
        by = y[rng.integers(0, len(y), size=(rows, len(y)))]
        diffs.append(statistic(by) - statistic(bx))
    all_diffs = np.concatenate(diffs)
    low, high = np.quantile(all_diffs, [0.025, 0.975])
    return observed, float(low), float(high)
