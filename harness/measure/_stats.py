"""The harness's statistics, in one place: exact percentiles with bootstrap intervals (load, chaos,
the report), and the tests `harness compare` runs (numpy alone: scipy is not a dependency).

Percentile: nearest rank (numpy's `inverted_cdf`): P_q is the smallest sample with at least a
fraction q of the samples at or below it. It is always a value that was measured, unlike an
interpolated or bucketed one (Locust counts 1,234 ms as 1,200 ms).

Bootstrap of a percentile, without resampling n values B times: a resample's k-th smallest value
(k = ceil(q n)) is x_(ceil(n U)), where U is the k-th smallest of n uniform draws and so follows
Beta(k, n - k + 1). Drawing U B times gives B bootstrap replicates with exactly the distribution
of the resampling bootstrap, in O(B) instead of O(B n) (a soak run holds a million samples).
`suites/system` checks it against plain resampling. Means resample in chunks; proportions draw
binomials (a resampled mean of 0/1 values is Binomial(n, p) / n).

For comparing two runs: Mann-Whitney U, one-sided (is the candidate stochastically larger?),
normal approximation with tie and continuity corrections (load runs have hundreds of samples,
where it is exact enough, and it assumes no distribution: latency is skewed, never normal); a
two-proportion z-test, one-sided, for error rates; a percentile bootstrap of the difference of a
statistic (P95, median), for the interval shown beside each test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "PERCENTILES",
    "bootstrap_diff",
    "mann_whitney_greater",
    "mean_ci",
    "percentile",
    "percentile_ci",
    "percentile_rows",
    "percentiles",
    "proportion_ci",
    "quick_percentiles",
    "two_proportions_greater",
]

Array = np.ndarray[Any, np.dtype[np.float64]]

#: The percentiles every latency report shows: key -> quantile.
PERCENTILES: dict[str, float] = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "p999": 0.999}

BOOTSTRAP = 4000  # replicates; the CI's own Monte Carlo error is then well under its width
_SEED = 20240229  # fixed: the same samples always give the same interval
_CHUNK = 4_000_000  # values resampled at once when bootstrapping a mean (~32 MB of indices)
MEAN_BOOTSTRAP = 1000  # a mean needs B x n work, a percentile only B


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(_SEED if seed is None else seed)


def _rank(n: int, q: float) -> int:
    """1-based rank of the nearest-rank q-quantile among n sorted values."""
    return min(n, max(1, math.ceil(q * n - 1e-9)))


def _sorted(values: Sequence[float] | np.ndarray) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    return data if data.size < 2 or bool(np.all(data[:-1] <= data[1:])) else np.sort(data)


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float | None:
    """The nearest-rank q-quantile (q in 0..1) of `values`, NaNs left out; None when empty."""
    data = _sorted(values)
    return None if data.size == 0 else float(data[_rank(data.size, q) - 1])


def percentile_rows(rows: np.ndarray, q: float) -> Array:
    """The nearest-rank q-quantile of each row of a 2-D array (bootstrap resamples, one per row)."""
    data = np.sort(np.asarray(rows, dtype=float), axis=-1)
    return np.asarray(data[..., _rank(data.shape[-1], q) - 1], dtype=float)


def percentile_ci(
    values: Sequence[float] | np.ndarray, q: float, *, boot: int = BOOTSTRAP, seed: int | None = None
) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of the bootstrap distribution of the q-percentile."""
    data = _sorted(values)
    n = data.size
    if n == 0:
        return None
    k = _rank(n, q)
    u = _rng(seed).beta(k, n - k + 1, size=boot)
    picks = data[np.clip(np.ceil(u * n).astype(np.int64), 1, n) - 1]
    low, high = np.quantile(picks, [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


def percentiles(values: Sequence[float] | np.ndarray, *, seed: int | None = None) -> dict[str, Any]:
    """{"count", "mean", "min", "max", "p50": {"value", "ci95"}, ... "p999": {...}}."""
    data = _sorted(values)
    out: dict[str, Any] = {"count": int(data.size)}
    if data.size == 0:
        return (
            out
            | {"mean": None, "min": None, "max": None}
            | {k: {"value": None, "ci95": None} for k in PERCENTILES}
        )
    out |= {"mean": float(data.mean()), "min": float(data[0]), "max": float(data[-1])}
    for key, q in PERCENTILES.items():
        ci = percentile_ci(data, q, seed=seed)
        out[key] = {"value": percentile(data, q), "ci95": list(ci) if ci else None}
    return out


def mean_ci(
    values: Sequence[float] | np.ndarray, *, boot: int = MEAN_BOOTSTRAP, seed: int | None = None
) -> dict[str, Any]:
    """{"value": mean, "ci95": [low, high]} by resampling (in chunks, to bound memory)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = data.size
    if n == 0:
        return {"value": None, "ci95": None}
    rng, means = _rng(seed), []
    rows = max(1, _CHUNK // n)
    for start in range(0, boot, rows):
        size = min(rows, boot - start)
        means.append(data[rng.integers(0, n, size=(size, n))].mean(axis=1))
    low, high = np.quantile(np.concatenate(means), [0.025, 0.975])
    return {"value": float(data.mean()), "ci95": [float(low), float(high)]}


def proportion_ci(hits: int, n: int, *, boot: int = BOOTSTRAP, seed: int | None = None) -> dict[str, Any]:
    """{"value": hits / n, "ci95": [...], "count": hits, "of": n}."""
    if n == 0:
        return {"value": None, "ci95": None, "count": hits, "of": n}
    draws = _rng(seed).binomial(n, hits / n, size=boot) / n
    low, high = np.quantile(draws, [0.025, 0.975])
    return {"value": hits / n, "ci95": [float(low), float(high)], "count": int(hits), "of": int(n)}


def quick_percentiles(values: Iterable[float]) -> dict[str, Any]:
    """Percentiles without intervals, for small groups (per second, per stage)."""
    data = _sorted(np.fromiter(values, dtype=float))
    if data.size == 0:
        return {"count": 0, **dict.fromkeys(PERCENTILES)}
    return {"count": int(data.size), **{k: percentile(data, q) for k, q in PERCENTILES.items()}}


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
