"""`harness compare BASELINE CANDIDATE`: is the candidate (a canary) worse than the release?

A regression must be both *significant* (p < alpha, one-sided) and *large enough to matter*
(at least `min_effect` relative change; for the error rate, `min_error_increase` absolute):
with thousands of samples a 1 ms drift is significant and irrelevant.

    latency        Mann-Whitney U on the raw client-side samples (samples.csv of each run), with a
                   bootstrap interval of the P95 and median differences; without the samples,
                   the summaries' P95 intervals must not overlap
    error rate     two-proportion z-test on errors / sent
    cost/request   Mann-Whitney U on each answer's cost_usd; else the intervals, as for latency
    tokens/request shown, never judged on its own: cost is what tokens are paid in
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import ReportError
from ..measure import (
    bootstrap_diff,
    mann_whitney_greater,
    percentile,
    percentile_rows,
    two_proportions_greater,
)
from ._summary import SlaSection, Summary

__all__ = ["Finding", "compare", "sample_column"]


@dataclass
class Finding:
    metric: str
    baseline: float | None
    candidate: float | None
    change: float | None  # relative (0.1 = +10%), or absolute for the error rate
    test: str
    p_value: float | None
    interval: tuple[float, float] | None  # 95% interval of the difference, when bootstrapped
    regression: bool
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sample_column(
    sla: SlaSection | None, folder: Path, column: str, *, answered_only: bool = False
) -> list[float]:
    """One numeric column of the run's samples.csv ([] when the run kept none)."""
    name = sla.files.get("samples") if sla else None
    if not name:
        return []
    path = Path(name) if Path(name).is_absolute() else folder / name
    out: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("status") in ("", None) or (answered_only and row.get("kind") != "answered"):
                    continue
                try:
                    out.append(float(row[column]))
                except (KeyError, ValueError):
                    continue
    except OSError:
        return []
    return out


def _relative(base: float | None, cand: float | None) -> float | None:
    if base is None or cand is None or base == 0:
        return None
    return cand / base - 1.0


def _raw_test(metric: str, x: list[float], y: list[float], alpha: float, min_effect: float) -> Finding:
    _, p = mann_whitney_greater(x, y)
    q = 0.95 if metric == "latency" else 0.5
    diff, low, high = bootstrap_diff(x, y, lambda a: percentile_rows(a, q), replicates=1000)
    base, cand = float(percentile(x, q) or 0.0), float(percentile(y, q) or 0.0)
    mean_change = _relative(float(np.mean(x)), float(np.mean(y)))
    change = _relative(base, cand)
    effect = max(c for c in (change, mean_change, 0.0) if c is not None)
    regression = p < alpha and effect >= min_effect
    what = "P95" if q == 0.95 else "median"
    note = (
        f"{what} {base:.4g} -> {cand:.4g}, 95% interval of the difference [{low:.4g}, {high:.4g}] "
        f"(n = {len(x)} vs {len(y)}; diff {diff:.4g})"
    )
    return Finding(metric, base, cand, change, "Mann-Whitney U, one-sided", p, (low, high), regression, note)


def _interval_test(
    metric: str,
    base: tuple[float | None, list[float] | None],
    cand: tuple[float | None, list[float] | None],
    min_effect: float,
) -> Finding:
    (bv, bci), (cv, cci) = base, cand
    change = _relative(bv, cv)
    apart = bool(bci and cci and cci[0] > bci[1])
    regression = apart and change is not None and change >= min_effect
    note = "raw samples not kept by both runs: judged by the summaries' 95% intervals"
    return Finding(metric, bv, cv, change, "95% intervals apart", None, None, regression, note)


def _p95(s: SlaSection) -> tuple[float | None, list[float] | None]:
    p = next((p for p in s.percentiles if p.name == "p95"), None)
    return (p.value, p.ci95) if p else (None, None)


def differences(base: Summary, cand: Summary) -> list[str]:
    """What makes two runs not comparable: another system, load profile or scenario set."""
    b, c = base.sla, cand.sla
    assert b is not None and c is not None
    pairs = {
        "system": (b.system or (base.system.name if base.system else None),
                   c.system or (cand.system.name if cand.system else None)),
        "profile": (b.profile, c.profile),
        "scenarios": (b.scenarios, c.scenarios),
    }  # fmt: skip
    return [
        f"{k} {x!r} vs {y!r}" for k, (x, y) in pairs.items() if x is not None and y is not None and x != y
    ]


def check_options(alpha: float, min_effect: float, min_error_increase: float) -> None:
    """One line naming the first option out of range."""
    if not 0 < alpha < 1:
        raise ReportError(f"--alpha {alpha}: a significance level is between 0 and 1 (e.g. 0.01)")
    if min_effect < 0:
        raise ReportError(f"--min-effect {min_effect}: a relative change is 0 or more (e.g. 0.05)")
    if not 0 <= min_error_increase < 1:
        raise ReportError(f"--min-error-increase {min_error_increase}: a rate change between 0 and 1")


def compare(
    base: Summary,
    base_dir: Path,
    cand: Summary,
    cand_dir: Path,
    *,
    alpha: float = 0.01,
    min_effect: float = 0.05,
    min_error_increase: float = 0.005,
    any_runs: bool = False,
) -> list[Finding]:
    """The findings per metric; a ReportError when the runs are not comparable (unless
    `any_runs`) or an option is out of range."""
    check_options(alpha, min_effect, min_error_increase)
    b, c = base.sla, cand.sla
    if b is None or c is None:
        which = "baseline" if b is None else "candidate"
        raise ReportError(f"the {which} summary has no load run (sla): nothing to compare")
    apart = differences(base, cand)
    if apart and not any_runs:
        raise ReportError(
            f"the runs are not comparable ({'; '.join(apart)}); --any-runs compares them anyway"
        )
    out = []
    x, y = sample_column(b, base_dir, "ms"), sample_column(c, cand_dir, "ms")
    out.append(
        _raw_test("latency", x, y, alpha, min_effect)
        if x and y
        else _interval_test("latency", _p95(b), _p95(c), min_effect)
    )
    z, p = two_proportions_greater(b.errors, b.sent, c.errors, c.sent)
    rb, rc = (b.error_rate or 0.0), (c.error_rate or 0.0)
    out.append(
        Finding(
            "error_rate",
            rb,
            rc,
            rc - rb,
            "two-proportion z-test, one-sided",
            p,
            None,
            p < alpha and rc - rb >= min_error_increase,
            f"{b.errors}/{b.sent} vs {c.errors}/{c.sent} (z = {z:.2f})",
        )
    )
    x = sample_column(b, base_dir, "cost_usd", answered_only=True)
    y = sample_column(c, cand_dir, "cost_usd", answered_only=True)
    out.append(
        _raw_test("cost_per_request", x, y, alpha, min_effect)
        if x and y
        else _interval_test(
            "cost_per_request",
            (b.cost_per_request_usd, b.cost_per_request_ci95),
            (c.cost_per_request_usd, c.cost_per_request_ci95),
            min_effect,
        )
    )
    out.append(
        Finding(
            "tokens_per_request",
            b.tokens_per_request,
            c.tokens_per_request,
            _relative(b.tokens_per_request, c.tokens_per_request),
            "shown, not judged",
            None,
            None,
            False,
            "tokens are judged through their cost",
        )
    )
    return out
