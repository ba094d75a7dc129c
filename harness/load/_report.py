"""The run's report: `sla.json` (the model `harness.measure.SlaReport`, shared with the release
report that reads it; prose in docs/sla-schema.md) and CSVs of the raw samples and the time series,
in the run's folder; `sla.json` is also written to `<reports>/sla.json`.

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
    latency_ms      client, and when the audit log is at hand (else null) server, llm_path,
                    client_with_llm, overhead (= overhead_service + overhead_http, per request); each
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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..measure import Check, Reconciliation, RunHeader, SlaReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA", "build_document", "write_csvs", "write_document"]

SCHEMA = SlaReport.SCHEMA


def build_document(
    *,
    run: RunHeader,
    checks: list[Check],
    sla: dict[str, float | None],
    requests: Reconciliation,
    measured: dict[str, Any],
    extra: dict[str, Any],
) -> SlaReport:
    """The report from its parts: `measured` (see `_metrics.measure`) and `extra` (the window, the
    time series' figures, the mix, the files) hold the other sections, by their names."""
    failures = [c.name for c in checks if not c.passed]
    return SlaReport.model_validate(
        {
            "verdict": "fail" if failures else "pass",
            "failures": failures,
            "run": run,
            "checks": checks,
            "sla": sla,
            "requests": requests,
            **measured,
            **extra,
        }
    )


def write_csvs(folder: Path, frames: dict[str, pd.DataFrame | None]) -> dict[str, str]:
    """Each frame to `<name>.csv`; returns {name: file name} of those written."""
    written = {}
    for name, frame in frames.items():
        if frame is not None:
            frame.to_csv(folder / f"{name}.csv", index=False)
            written[name] = f"{name}.csv"
    return written


def write_document(doc: SlaReport, folder: Path, reports: Path) -> Path:
    """`<folder>/sla.json`, and the same at `<reports>/sla.json` (the latest run's)."""
    doc.write(reports / "sla.json")
    return doc.write(folder / "sla.json")
