"""From a finished run's raw samples to its verdict: reconcile, measure, evaluate, write the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._metrics import locust_bucketed, measure
from ._mix import default_mix, expected_rates, read_items
from ._profiles import LoadProfile
from ._reconcile import reconcile
from ._report import build_document, write_csvs, write_document
from ._samples import read_audit, read_client
from ._sla import SLA, evaluate
from ._timeseries import per_second, per_stage, throughput

__all__ = ["Analysis", "analyse"]


@dataclass
class Analysis:
    document: dict[str, Any]
    folder: Path
    path: Path

    @property
    def passed(self) -> bool:
        return bool(self.document["verdict"] == "pass")


def _mix_section(profile: LoadProfile, scenarios: Path | None) -> dict[str, Any]:
    weights = profile.mix or default_mix()
    return {"weights": weights, "expected": expected_rates(read_items(scenarios), weights)}


def analyse(
    *,
    folder: Path,
    reports: Path,
    run: dict[str, Any],
    profile: LoadProfile,
    sla: SLA,
    audit_path: Path | None,
    scenarios: Path | None = None,
    agent_costs: dict[str, float] | None = None,
) -> Analysis:
    """Everything from `folder/raw` (client samples) and `audit_path`; writes sla.json and CSVs."""
    client = read_client(folder / "raw")
    audit, agents = read_audit(audit_path, run["id"]) if audit_path is not None else (None, None)
    rec = reconcile(client, audit)
    measured = measure(client, audit, agents, rec, agent_costs)
    series = per_second(client, profile.stage_table() or None)
    extra = {
        "locust_bucketed": locust_bucketed(folder / "locust" / "locust_stats.csv"),
        "throughput": throughput(client, series),
        "stages": per_stage(client, profile.stage_table()) if profile.stages else None,
        "mix": _mix_section(profile, scenarios),
    }
    frames = {"samples": client, "server_requests": audit, "server_agents": agents, "timeseries": series}
    if extra["stages"]:
        frames["stages"] = pd.DataFrame(extra["stages"]["stages"])
    extra["files"] = write_csvs(folder, frames)
    checks = evaluate(sla, measured, lost=rec.lost, sent=rec.sent)
    doc = build_document(
        run=run, checks=checks, sla=sla.model_dump(), requests=rec.as_dict(), measured=measured, extra=extra
    )
    return Analysis(doc, folder, write_document(doc, folder, reports))
