"""The system tier's load run, from `sla.json` (`harness.measure.SlaReport`, docs/sla-schema.md).

`harness load` copies its latest run to `reports/sla.json`; the system tier's own runs live in
`reports/system/<profile>/`, indexed by `reports/system/runs.json`, of which `healthy` is the
one that speaks for the release. The CSVs sit in the run's folder (`run.folder`), looked up
beside the sla.json too, so a reports folder copied elsewhere (a CI artifact) still finds them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..measure import Check, SlaReport
from ..measure._sla_report import AgentFigures, Latency, Streaming
from ._summary import Percentile, SlaAgent, SlaCheck, SlaSection, StreamFigure

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


def run_folder(doc: SlaReport, sla_path: Path, reports: Path) -> Path | None:
    """The folder holding the run's CSVs: as recorded, else beside the sla.json, else by name
    under reports/load/."""
    recorded = Path(doc.run.folder)
    samples = doc.files.get("samples", "samples.csv")
    for folder in (recorded, sla_path.parent, reports / "load" / recorded.name):
        if str(folder) not in ("", ".") and (folder / samples).exists():
            return folder
    return None


def _percentiles(entry: Latency | None) -> list[Percentile]:
    if entry is None:
        return [Percentile(name=name, value=None) for name in _PERCENTILES]
    points = {"p50": entry.p50, "p95": entry.p95, "p99": entry.p99, "p999": entry.p999}
    return [
        Percentile(name=name, value=p.value, ci95=list(p.ci95) if p.ci95 else None)
        for name, p in points.items()
    ]


def _agent(name: str, a: AgentFigures) -> SlaAgent:
    lat = a.latency_ms
    return SlaAgent(
        agent=name,
        calls=a.calls,
        p50_ms=lat.p50.value,
        p95_ms=lat.p95.value,
        p99_ms=lat.p99.value,
        tokens_in=a.tokens_in,
        tokens_out=a.tokens_out,
        cost_usd=a.cost_usd,
    )


def _check(c: Check) -> SlaCheck:
    return SlaCheck(
        name=c.name,
        metric=c.metric,
        op=c.op,
        limit=c.limit,
        value=c.value,
        ci95=list(c.ci95) if c.ci95 else None,
        unit=c.unit,
        passed=c.passed,
        decisive=c.decisive,
    )


def _files(doc: SlaReport, path: Path, reports: Path) -> dict[str, str]:
    folder = run_folder(doc, path, reports)
    if folder is None:
        return {}
    return {name: relative_to(folder / f, reports) for name, f in doc.files.items() if (folder / f).exists()}


def _streaming(s: Streaming | None) -> list[StreamFigure]:
    if s is None:
        return []
    rows = [
        ("time to first event (TTFT)", "ms", s.ttft_ms),
        ("time to first text", "ms", s.first_content_ms),
        ("gap between chunks (not tokens)", "ms", s.inter_chunk_ms),
        ("output tokens/s per request", "tokens/s", s.tokens_per_s),
        ("end to end", "ms", s.end_to_end_ms),
    ]
    return [
        StreamFigure(name=n, unit=u, count=lat.count, percentiles=_percentiles(lat)) for n, u, lat in rows
    ]


def read_sla(path: Path, reports: Path) -> SlaSection:
    """The sla.json at `path` as the summary's section; LoadError (one line) if it is not one."""
    doc = SlaReport.read(path)
    run, req, rates, through = doc.run, doc.requests, doc.rates, doc.throughput
    client, cost = doc.latency_ms.client, doc.cost_usd
    return SlaSection(
        source=relative_to(path, reports),
        profile=run.profile,
        system=run.system,
        scenarios=run.scenarios,
        invalid=req.invalid,
        run_id=run.id,
        started_at=run.started_at,
        duration_s=through.duration_s,
        users=run.users,
        verdict=doc.verdict,
        checks=[_check(c) for c in doc.checks],
        sent=req.sent,
        answered=req.answered,
        failed=req.failed,
        lost=req.lost,
        server_record=req.server_record,
        no_outcome=req.no_outcome,
        latency_count=client.count,
        latency_mean_ms=client.mean,
        percentiles=_percentiles(client),
        server_percentiles=_percentiles(doc.latency_ms.server),
        error_rate=rates.error.value,
        error_rate_ci95=list(rates.error.ci95) if rates.error.ci95 else None,
        errors=rates.error.count,
        escalation_rate=rates.escalation.value,
        rps_mean=through.rps_mean,
        rps_peak=through.rps_peak,
        tokens_per_request=doc.tokens.per_request.value,
        tokens_in_total=doc.tokens.in_total,
        tokens_out_total=doc.tokens.out_total,
        cost_total_usd=cost.total,
        cost_per_request_usd=cost.per_request.value,
        cost_per_request_ci95=list(cost.per_request.ci95) if cost.per_request.ci95 else None,
        agents=[_agent(n, a) for n, a in sorted(doc.agents.items())],
        files=_files(doc, path, reports),
        streaming=_streaming(doc.streaming),
        goodput=doc.streaming.goodput.value if doc.streaming else None,
        goodput_ci95=list(doc.streaming.goodput.ci95)
        if doc.streaming and doc.streaming.goodput.ci95
        else None,
    )
