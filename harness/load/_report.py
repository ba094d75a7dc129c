"""The run's report: `sla.json` (stable schema, below and in docs/sla-schema.md) and CSVs of the raw
samples and the time series, in the run's folder; `sla.json` is also copied to `<reports>/sla.json`.

sla.json, schema "harness.sla/1" (fields are only ever added within a version)::

    schema          "harness.sla/1"
    verdict         "pass" | "fail": fail if any check failed
    failures        names of the failed checks, e.g. ["p95_ms_max"]
    run             id, profile, description, folder (the run's), started_at, finished_at (UTC), target,
                    stack (bool: started by the harness), users, spawn_rate, run_time_s, stages
                    ([until_s, users, spawn_rate] rows), workers, wait_s, warmup_s, llm (the mock LLM's
                    setup, null with --host), env, locust_exit_code
    checks[]        name, metric (a path into this document), op ("<", "<=", ">=", "=="),
                    limit, value, ci95 ([low, high] or null), unit, pass (bool),
                    decisive (bool: the whole interval is on the verdict's side)
    sla             the thresholds in force (null: off)
    requests        sent, answered, failed, lost, no_outcome, missing_in_audit, status_mismatch,
                    unknown_in_audit, duplicate_in_audit, audit_checked, by_status
                    {"200": {"client": n, "server": n}, ...; "0": no response, "none": no outcome},
                    examples (a few unaccounted ids and why)
    window          warmup_s, warmup_requests, warmup_failed, measured_requests: the warm-up's
                    requests are reconciled and count as errors; the figures below leave them out
    latency_ms      client, and when the audit log is at hand server, llm_path, client_with_llm,
                    overhead (= overhead_service + overhead_http, per request); each
                    {count, mean, min, max, p50, p95, p99, p999} with each
                    percentile {value, ci95}
    locust_bucketed Locust's own Aggregated figures {p50, p95, p99, p999, count, failures}
    rates           error, escalation, cache_hit, fallback: {value, ci95, count, of}
    routes          {route: {requests, share}} of the 200 answers; escalation_reasons, categories alike
    tokens          per_request {value, ci95}, in_total, out_total, in_per_request, out_per_request
    cost_usd        total, per_request {value, ci95}
    agents          {agent: {calls, latency_ms (as above), tokens_in, tokens_out, cost_usd}},
                    agents_cost_source "service_metrics" | "audit" | null
    throughput      duration_s, rps_mean, rps_peak, error_rate_peak (whole seconds only)
    stages          staged profiles: {stages: [{users, from_s, until_s, requests, rps, p50_ms,
                    p95_ms, p99_ms, error_rate}], knee: {users, rps, p95_ms, baseline_p95_ms} | null,
                    max_stage_rps}; otherwise null
    mix             weights, expected {rejected_share, escalation_rate} by the scenario labels
    files           the CSVs, relative to the run's folder

Latency is in milliseconds, rates are ratios (0.02 = 2%), percentiles are nearest-rank over the
raw samples with bootstrap 95% intervals (see _stats).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from ._sla import Check

__all__ = ["SCHEMA", "build_document", "write_csvs", "write_document"]

SCHEMA = "harness.sla/1"


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_document(
    *,
    run: dict[str, Any],
    checks: list[Check],
    sla: dict[str, Any],
    requests: dict[str, Any],
    measured: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    failures = [c.name for c in checks if not c.passed]
    doc = {
        "schema": SCHEMA,
        "verdict": "fail" if failures else "pass",
        "failures": failures,
        "run": run,
        "checks": [c.model_dump(by_alias=True) for c in checks],
        "sla": sla,
        "requests": requests,
        **measured,
        **extra,
    }
    cleaned: dict[str, Any] = _clean(doc)
    return cleaned


def write_csvs(folder: Path, frames: dict[str, pd.DataFrame | None]) -> dict[str, str]:
    """Each frame to `<name>.csv`; returns {name: file name} of those written."""
    written = {}
    for name, frame in frames.items():
        if frame is not None:
            frame.to_csv(folder / f"{name}.csv", index=False)
            written[name] = f"{name}.csv"
    return written


def write_document(doc: dict[str, Any], folder: Path, reports: Path) -> Path:
    """`<folder>/sla.json`, copied to `<reports>/sla.json` (the latest run's)."""
    path = folder / "sla.json"
    path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    shutil.copyfile(path, reports / "sla.json")
    return path
