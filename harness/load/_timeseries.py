"""Load over time: one row a second (throughput, errors, latency) and, for staged profiles, one row
per stage with the knee: the first stage whose P95 is at least double the first stage's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..measure import percentile, quick_percentiles

__all__ = ["per_second", "per_stage", "throughput"]

#: The start of a stage is skipped for this share of it (at most 5 s): users are still spawning.
SETTLE_SHARE, SETTLE_MAX_S = 0.25, 5.0


def per_second(
    client: pd.DataFrame, stages: list[list[float]] | None = None, warmup_s: float = 0.0
) -> pd.DataFrame:
    """Completed requests by the second they ended in, from the run's first request; no gaps.
    `warmup` marks the seconds of the warm-up (left out of the run's figures, shown here)."""
    done = client[client["kind"].notna()]
    columns = [
        "second", "requests", "answered", "failed", "error_rate", "p50_ms", "p95_ms", "users", "warmup",
    ]  # fmt: skip
    if done.empty:
        return pd.DataFrame(columns=columns)
    t0 = float(client["start"].min())
    done = done.assign(
        second=np.floor(done["end"].to_numpy() - t0).astype(int),
        ok=done["ok"].astype(int),
    )
    groups = done.groupby("second")
    frame = pd.DataFrame({
        "requests": groups.size(),
        "answered": groups["ok"].sum(),
        "p50_ms": groups["ms"].apply(lambda v: percentile(v.to_numpy(), 0.50)),
        "p95_ms": groups["ms"].apply(lambda v: percentile(v.to_numpy(), 0.95)),
    }).reindex(range(int(done["second"].max()) + 1))  # fmt: skip
    frame[["requests", "answered"]] = frame[["requests", "answered"]].fillna(0).astype(int)
    frame["failed"] = frame["requests"] - frame["answered"]
    frame["error_rate"] = (frame["failed"] / frame["requests"].where(frame["requests"] > 0)).fillna(0.0)
    frame["users"] = [_users_at(stages, s) for s in frame.index] if stages else None
    frame["warmup"] = frame.index < warmup_s
    return frame.rename_axis("second").reset_index()[columns]


def _users_at(stages: list[list[float]], second: float) -> int:
    for until_s, users, _rate in stages:
        if second < until_s:
            return int(users)
    return int(stages[-1][1])


def throughput(client: pd.DataFrame, series: pd.DataFrame) -> dict[str, Any]:
    """Mean and peak requests a second over the run, and the worst second's error rate."""
    done = client[client["kind"].notna()]
    if done.empty:
        return {"duration_s": 0.0, "rps_mean": None, "rps_peak": None, "error_rate_peak": None}
    span = float(done["end"].max() - client["start"].min())
    # The last second is usually partial: leave it out of the peak (Locust's CSVs miss it whole).
    full = series.iloc[:-1] if len(series) > 1 else series
    return {
        "duration_s": round(span, 3),
        "rps_mean": len(done) / span if span > 0 else None,
        "rps_peak": float(full["requests"].max()),
        "error_rate_peak": float(full["error_rate"].max()),
    }


def _stage_row(client: pd.DataFrame, t0: float, start: float, until: float, users: int) -> dict[str, Any]:
    settle = min(SETTLE_MAX_S, SETTLE_SHARE * (until - start))
    lo, hi = t0 + start + settle, t0 + until
    window = client[(client["start"] >= lo) & (client["end"] <= hi) & client["kind"].notna()]
    lat = quick_percentiles(window["ms"].to_numpy())
    failed = int((~window["ok"]).sum())
    return {
        "users": users, "from_s": start, "until_s": until, "requests": len(window),
        "rps": len(window) / (hi - lo) if hi > lo else None,
        "p50_ms": lat["p50"], "p95_ms": lat["p95"], "p99_ms": lat["p99"],
        "error_rate": failed / len(window) if len(window) else None,
    }  # fmt: skip


def per_stage(client: pd.DataFrame, stages: list[list[float]]) -> dict[str, Any]:
    """One row per stage (after it settles) and the knee, or `knee: null` if P95 never doubled."""
    if not stages or client.empty:
        return {"stages": [], "knee": None}
    t0 = float(client["start"].min())
    rows, start = [], 0.0
    for until_s, users, _rate in stages:
        rows.append(_stage_row(client, t0, start, until_s, int(users)))
        start = until_s
    base = rows[0]["p95_ms"]
    knee = None
    if base is not None and not math.isnan(base):
        knee = next((r for r in rows[1:] if r["p95_ms"] is not None and r["p95_ms"] >= 2 * base), None)
    best = max((r["rps"] or 0.0 for r in rows), default=0.0)
    return {
        "stages": rows,
        "knee": None
        if knee is None
        else {"users": knee["users"], "rps": knee["rps"], "p95_ms": knee["p95_ms"], "baseline_p95_ms": base},
        "max_stage_rps": best,
    }
