"""What a streamed run measured (`sla.json` `streaming`), from the raw samples: time to the first
event and to the first text, the gaps between chunks, output tokens per second, end to end, each
with exact percentiles and bootstrap intervals; and goodput, the share of requests that met every
latency SLO set.

A *chunk* is one event with text, whatever it holds (a word, a sentence); `inter_chunk_ms` is the
gap between consecutive chunks of one request, pooled over every request. Output tokens per
second, per request, is the reply's own `tokens_out` over its end-to-end seconds (null when the
system reports no token count); `tokens_per_s_total` is every answered request's tokens over the
measured window. Goodput counts, over every measured request sent, those answered as expected
with end to end under `p95_ms_max`, first event under `ttft_p95_ms_max`, first text under
`first_content_p95_ms_max` and every gap under `itl_p99_ms_max` (each bound that is set; a
request-level reading of the percentile SLOs, as in LLM serving benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..measure import percentiles, proportion_ci

__all__ = ["GOODPUT_SLOS", "goodput", "streaming"]

#: SLA key -> the per-request column it bounds (`max_gap_ms`: the request's longest gap).
GOODPUT_SLOS: dict[str, str] = {
    "p95_ms_max": "ms",
    "ttft_p95_ms_max": "ttft_ms",
    "first_content_p95_ms_max": "first_content_ms",
    "itl_p99_ms_max": "max_gap_ms",
}


def _gaps(rows: pd.DataFrame) -> np.ndarray:
    pooled = [g for gaps in rows["gaps_ms"] if isinstance(gaps, list) for g in gaps]
    return np.asarray(pooled, dtype=float)


def _max_gap(gaps: Any) -> float:
    return max(gaps) if isinstance(gaps, list) and gaps else 0.0


def goodput(client: pd.DataFrame, sla: Mapping[str, Any]) -> dict[str, Any]:
    """Share of `client` (every measured request sent) meeting every latency SLO set in `sla`."""
    met = client["ok"].fillna(False).astype(bool)
    frame = client.assign(max_gap_ms=client["gaps_ms"].map(_max_gap))
    bounds = {key: float(sla[key]) for key in GOODPUT_SLOS if sla.get(key) is not None}
    for key, limit in bounds.items():
        met &= frame[GOODPUT_SLOS[key]].to_numpy(dtype=float) < limit  # NaN (never came) fails
    return proportion_ci(int(met.sum()), len(client)) | {"slos": bounds}


def streaming(client: pd.DataFrame, sla: Mapping[str, Any], window_s: float) -> dict[str, Any] | None:
    """The `streaming` section, or None when no request streamed."""
    if "ttft_ms" not in client or client["ttft_ms"].notna().sum() == 0:
        return None
    ok = client[client["kind"] == "answered"]
    seconds = ok["ms"] / 1000
    rate = ok["tokens_out"] / seconds.where(seconds > 0)
    total = ok["tokens_out"].sum() / window_s if window_s > 0 and ok["tokens_out"].notna().any() else None
    return {
        "ttft_ms": percentiles(ok["ttft_ms"].to_numpy(dtype=float)),
        "first_content_ms": percentiles(ok["first_content_ms"].to_numpy(dtype=float)),
        "inter_chunk_ms": percentiles(_gaps(ok)),
        "chunks_per_request": float(ok["chunks"].mean()) if len(ok) else None,
        "tokens_per_s": percentiles(rate.to_numpy(dtype=float)),
        "tokens_per_s_total": None if total is None else float(total),
        "end_to_end_ms": percentiles(ok["ms"].to_numpy(dtype=float)),
        "goodput": goodput(client, sla),
    }
