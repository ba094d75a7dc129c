"""`reports/chaos.json`: every run's measurements, verdicts and, with `--bite`, whether each
experiment bites. The file is `harness.measure.ChaosReport` (`schema: harness.chaos/1`), shared
with the release report that reads it; field by field in docs/chaos-schema.md."""

from __future__ import annotations

import time
from pathlib import Path

from ..measure import ChaosReport, ExperimentResult
from ..measure._chaos_report import Bite, BiteCount, ChaosSummary, StackUsed

__all__ = [
    "SCHEMA",
    "bite_table",
    "build_chaos_report",
    "fired_line",
    "one_line",
    "summary_line",
    "write_report",
]

SCHEMA = ChaosReport.SCHEMA
_VERDICTS = ("held", "failed", "aborted", "error", "interrupted", "not_exercised")


def bite_table(results: list[ExperimentResult]) -> dict[str, Bite]:
    """Per experiment with both an `on` and an `off` run: does it bite (on holds, off fails)?"""
    by_name: dict[str, dict[str, ExperimentResult]] = {}
    for r in results:
        by_name.setdefault(r.name, {})[r.resilience] = r
    table = {}
    for name, runs in sorted(by_name.items()):
        on, off = runs.get("on"), runs.get("off")
        if on is None or off is None:
            continue
        table[name] = Bite(
            on=on.verdict,
            off=off.verdict,
            switches_off=off.switches_off,
            bites=on.verdict == "held" and off.verdict == "failed",
            off_violations=off.violations,
        )
    return table


def _summary(results: list[ExperimentResult], bites: dict[str, Bite]) -> ChaosSummary:
    on = [r for r in results if r.resilience == "on" and r.verdict != "not_applicable"]
    counts = {v: sum(r.verdict == v for r in on) for v in _VERDICTS}
    return ChaosSummary(
        experiments=len(on),
        not_applicable=sum(r.verdict == "not_applicable" for r in results),
        **counts,
        lost=sum(r.requests.lost for r in results),
        leftovers=sum(len(r.rollback.leftovers) for r in results),
        bite=BiteCount(checked=len(bites), bites=sum(b.bites for b in bites.values())) if bites else None,
    )


def build_chaos_report(
    results: list[ExperimentResult],
    *,
    suite: str,
    started: float,
    stacks: list[StackUsed],
    interrupted: str | None = None,
) -> ChaosReport:
    bites = bite_table(results)
    return ChaosReport.model_validate(
        {
            "suite": suite,
            "started_at": _iso(started),
            "finished_at": _iso(time.time()),
            "wall_s": round(time.time() - started, 1),
            "interrupted": interrupted,
            "stacks": stacks,
            "summary": _summary(results, bites),
            "bite": bites,
            "experiments": results,
        }
    )


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write_report(doc: ChaosReport, path: str | Path) -> Path:
    """Write atomically: a run killed while writing leaves the previous report, not half of one."""
    return doc.write(path)


def one_line(r: ExperimentResult) -> str:
    """One experiment run as a line of the console output."""
    d = r.phases.during
    p95 = "-" if d.p95_ms is None else f"{d.p95_ms:.0f} ms"
    rec = "-" if r.recovery_s is None else f"{r.recovery_s:.2f} s"
    why = f"  ({'; '.join(r.violations[:2])})" if r.violations else ""
    streams = ""
    if d.completion_rate is not None:
        ttft = "-" if d.ttft_p95_ms is None else f"{d.ttft_p95_ms:.0f} ms"
        streams = f"TTFT P95 {ttft}, completed {d.completion_rate:.0%}, "
    return (
        f"{r.name:<24} [{r.resilience:>3}] {r.verdict:<13} during: errors {d.error_rate:.0%}, "
        f"P95 {p95}, {streams}degraded {d.degraded_rate:.0%}, escalated {d.escalated_rate:.0%}; "
        f"{fired_line(r)}; "
        f"recovery {rec}; lost {r.requests.lost}{why}"
    )


def fired_line(r: ExperimentResult) -> str:
    return r.fired.describe() if r.fired else "fired: not counted"


def summary_line(doc: ChaosReport) -> str:
    s = doc.summary
    bite = f"; bites {s.bite.bites}/{s.bite.checked}" if s.bite else ""
    stopped = f"; INTERRUPTED ({doc.interrupted})" if doc.interrupted else ""
    return (
        f"chaos {doc.suite}: {s.experiments} experiments, {s.held} held, {s.failed} failed, "
        f"{s.aborted} aborted, {s.error} errors, {s.not_exercised} not exercised, "
        f"{s.not_applicable} not applicable; lost {s.lost}; "
        f"leftovers {s.leftovers}"
        f"{bite}; {doc.wall_s:.0f} s{stopped}"
    )
