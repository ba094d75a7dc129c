"""The system tier's load run, from `sla.json` (schema `harness.sla/1`, docs/sla-schema.md).

`harness load` copies its latest run to `reports/sla.json`; the system tier's own runs live in
`reports/system/<profile>/`, indexed by `reports/system/runs.json`, of which `healthy` is the
one that speaks for the release. The CSVs sit in the run's folder (`run.folder`), looked up
beside the sla.json too, so a reports folder copied elsewhere (a CI artifact) still finds them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._summary import Percentile, SlaAgent, SlaCheck, SlaSection

__all__ = ["find_sla", "read_sla", "relative_to", "run_folder"]

_PERCENTILES = ("p50", "p95", "p99", "p999")


def relative_to(path: Path, reports: Path) -> str:
    """`path` relative to the reports folder when inside it (links then survive a copy)."""
    try:
        return path.resolve().relative_to(reports.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def find_sla(reports: Path) -> Path | None:
    latest = reports / "sla.json"
    if latest.exists():
        return latest
    index = reports / "system" / "runs.json"
    try:
        healthy = json.loads(index.read_text()).get("runs", {}).get("healthy") if index.exists() else None
    except ValueError:
        return None
    return Path(healthy) if healthy and Path(healthy).exists() else None


def run_folder(doc: dict[str, Any], sla_path: Path, reports: Path) -> Path | None:
    """The folder holding the run's CSVs: as recorded, else beside the sla.json, else by name
    under reports/load/."""
    recorded = Path(str(doc.get("run", {}).get("folder") or ""))
    samples = str(doc.get("files", {}).get("samples", "samples.csv"))
    for folder in (recorded, sla_path.parent, reports / "load" / recorded.name):
        if str(folder) not in ("", ".") and (folder / samples).exists():
            return folder
    return None


def _percentiles(entry: dict[str, Any] | None) -> list[Percentile]:
    entry = entry or {}
    out = []
    for name in _PERCENTILES:
        p = entry.get(name) or {}
        out.append(Percentile(name=name, value=p.get("value"), ci95=p.get("ci95")))
    return out


def _agent(name: str, a: dict[str, Any]) -> SlaAgent:
    lat = a.get("latency_ms") or {}

    def value(q: str) -> float | None:
        return (lat.get(q) or {}).get("value")

    return SlaAgent(
        agent=name,
        calls=int(a.get("calls") or 0),
        p50_ms=value("p50"),
        p95_ms=value("p95"),
        p99_ms=value("p99"),
        tokens_in=int(a.get("tokens_in") or 0),
        tokens_out=int(a.get("tokens_out") or 0),
        cost_usd=a.get("cost_usd"),
    )


def _check(c: dict[str, Any]) -> SlaCheck:
    return SlaCheck(
        name=c["name"],
        metric=c.get("metric", ""),
        op=c.get("op", ""),
        limit=c.get("limit"),
        value=c.get("value"),
        ci95=c.get("ci95"),
        unit=c.get("unit", ""),
        passed=bool(c.get("pass")),
        decisive=bool(c.get("decisive", True)),
    )


def read_sla(path: Path, reports: Path) -> SlaSection:
    """The sla.json at `path` as the summary's section; raises KeyError/ValueError if it is not one."""
    doc = json.loads(path.read_text())
    if not str(doc.get("schema", "")).startswith("harness.sla/"):
        raise ValueError(f"schema is {doc.get('schema')!r}, not harness.sla/1")
    run, req, rates = doc.get("run", {}), doc["requests"], doc.get("rates", {})
    client = (doc.get("latency_ms") or {}).get("client") or {}
    error = rates.get("error") or {}
    tokens, cost, through = doc.get("tokens") or {}, doc.get("cost_usd") or {}, doc.get("throughput") or {}
    folder = run_folder(doc, path, reports)
    files = {
        name: relative_to(folder / file, reports)
        for name, file in (doc.get("files") or {}).items()
        if folder is not None and (folder / file).exists()
    }
    return SlaSection(
        source=relative_to(path, reports),
        profile=str(run.get("profile", "?")),
        run_id=str(run.get("id", "?")),
        started_at=run.get("started_at"),
        duration_s=through.get("duration_s"),
        users=run.get("users"),
        verdict=doc["verdict"],
        checks=[_check(c) for c in doc.get("checks", [])],
        sent=int(req.get("sent", 0)),
        answered=int(req.get("answered", 0)),
        failed=int(req.get("failed", 0)),
        lost=int(req.get("lost", 0)),
        no_outcome=int(req.get("no_outcome", 0)),
        latency_count=int(client.get("count") or 0),
        latency_mean_ms=client.get("mean"),
        percentiles=_percentiles(client),
        server_percentiles=_percentiles((doc.get("latency_ms") or {}).get("server")),
        error_rate=error.get("value"),
        error_rate_ci95=error.get("ci95"),
        errors=int(error.get("count") or 0),
        escalation_rate=(rates.get("escalation") or {}).get("value"),
        rps_mean=through.get("rps_mean"),
        rps_peak=through.get("rps_peak"),
        tokens_per_request=(tokens.get("per_request") or {}).get("value"),
        tokens_in_total=tokens.get("in_total"),
        tokens_out_total=tokens.get("out_total"),
        cost_total_usd=cost.get("total"),
        cost_per_request_usd=(cost.get("per_request") or {}).get("value"),
        cost_per_request_ci95=(cost.get("per_request") or {}).get("ci95"),
        agents=[_agent(n, a) for n, a in sorted((doc.get("agents") or {}).items())],
        files=files,
    )
