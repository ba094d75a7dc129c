"""From a finished run's raw samples to its verdict: reconcile, measure, evaluate, write the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..measure import RunHeader, SlaReport, read_audit, read_samples, reconcile
from ._metrics import locust_bucketed, measure
from ._mix import default_mix, expected_rates, read_items
from ._profiles import LoadProfile
from ._report import build_document, write_csvs, write_document
from ._sla import SLA, evaluate
from ._streaming import streaming
from ._timeseries import per_second, per_stage, throughput

__all__ = ["Analysis", "analyse", "split_warmup"]


@dataclass
class Analysis:
    report: SlaReport
    folder: Path
    path: Path

    @property
    def passed(self) -> bool:
        return self.report.passed

    @property
    def document(self) -> dict[str, Any]:
        """The report as the JSON it was written as, for scripts that index it (the benchmarks)."""
        return self.report.model_dump(mode="json", by_alias=True)


def _mix_section(profile: LoadProfile, scenarios: Path | None) -> dict[str, Any]:
    items = read_items(scenarios)
    weights = profile.mix or default_mix(items)
    return {"weights": weights, "expected": expected_rates(items, weights)}


def split_warmup(client: pd.DataFrame, warmup_s: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The requests sent after the warm-up (the first `warmup_s` seconds from the first request),
    and what the warm-up held: its requests are reconciled and their failures count as errors,
    but a cold start must not pass for the system's steady latency."""
    t0 = float(client["start"].min()) if len(client) else 0.0
    warm = client["start"] < t0 + warmup_s
    failed = client["kind"].notna() & ~client["ok"]
    window = {
        "warmup_s": warmup_s,
        "warmup_requests": int(warm.sum()),
        "warmup_failed": int((warm & failed).sum()),
        "measured_requests": int((~warm).sum()),
    }
    return client[~warm], window


def _only(frame: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame | None:
    return None if frame is None else frame[frame["request_id"].isin(ids)]


def analyse(
    *,
    folder: Path,
    reports: Path,
    run: RunHeader,
    profile: LoadProfile,
    sla: SLA,
    audit_path: Path | None,
    scenarios: Path | None = None,
    agent_costs: dict[str, float] | None = None,
    spans: Path | None = None,
    agent_names: tuple[str, ...] = (),
    prices: dict[str, tuple[float, float]] | None = None,
) -> Analysis:
    """Everything from `folder/raw` (client samples) and `audit_path`; writes sla.json and CSVs."""
    client = read_samples(folder / "raw")
    audit, agents = read_audit(audit_path, f"hr-{run.id}-") or (None, None)
    traces = None
    if spans is not None:
        from ._traces import collect_run_traces

        traces = collect_run_traces(client, spans, agent_names)
    rec = reconcile(client, audit, spans=traces)
    steady, window = split_warmup(client, profile.warmup_s)
    # The service's cost counters cover the whole run: with a warm-up left out, per-agent cost
    # comes from the audit log's lines of the measured requests instead.
    costs = agent_costs if window["warmup_requests"] == 0 else None
    ids = steady["id"]
    measured = measure(steady, _only(audit, ids), _only(agents, ids), rec, costs)
    window_s = max(0.0, profile.run_time_s - profile.warmup_s)
    measured["streaming"] = streaming(steady, sla.model_dump(), window_s)
    series = per_second(client, profile.stage_table() or None, profile.warmup_s)
    extra = {
        "window": window,
        "locust_bucketed": locust_bucketed(folder / "locust" / "locust_stats.csv"),
        "throughput": throughput(client, series),
        "stages": per_stage(client, profile.stage_table()) if profile.stages else None,
        "mix": _mix_section(profile, scenarios),
    }
    if traces is not None:
        from ._traces import write_traces

        write_traces(client, traces, folder, reports, prices)
    frames = {"samples": client, "server_requests": audit, "server_agents": agents, "timeseries": series}
    if extra["stages"]:
        frames["stages"] = pd.DataFrame(extra["stages"]["stages"])
    extra["files"] = write_csvs(folder, frames)
    checks = evaluate(sla, measured, lost=rec.lost, sent=rec.sent)
    doc = build_document(
        run=run, checks=checks, sla=sla.model_dump(), requests=rec, measured=measured, extra=extra
    )
    return Analysis(doc, folder, write_document(doc, folder, reports))
