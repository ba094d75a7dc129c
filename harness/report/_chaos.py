"""Chaos experiments, from `chaos.json` (`harness.measure.ChaosReport`, written by `harness chaos`).

Under `harness run` the chaos tier writes one file per pytest worker instead
(`chaos-tests/chaos-<worker>.json`); when there is no `chaos.json` those are merged. For each
experiment the hypothesis is judged phase by phase (before, during, after the fault) from the
measurements the run recorded, so the report shows *where* it broke, not only that it did.
"""

from __future__ import annotations

from pathlib import Path

from ..measure import ChaosReport, ExperimentResult
from ..measure._chaos_report import Phases
from ._summary import ChaosExperiment, ChaosSection, PhaseCheck

__all__ = ["find_chaos", "read_chaos"]

_PROBES = (
    "error_rate",
    "p95_ms",
    "misrouted_rate",
    "escalated_rate",
    "degraded_rate",
    "token_inflation",
    "ttft_p95_ms",
    "completion_rate_min",  # a lower limit, on `completion_rate`
)
_PHASES = ("before", "during", "after")
_PHASE_FIELDS = (
    "sent",
    "answered",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "misrouted_rate",
    "degraded",
    "escalated_rate",
    "degraded_rate",
    "cache_hits",
    "token_inflation",
    "ttft_p95_ms",  # streamed load only
    "completion_rate",  # streamed load only
    "lost",  # not a figure of a phase (lost is the whole run's): null, kept for harness.summary/1
)


def find_chaos(reports: Path) -> list[Path]:
    main = reports / "chaos.json"
    if main.exists():
        return [main]
    return sorted((reports / "chaos-tests").glob("chaos-*.json"))


def _checks(hypothesis: dict[str, int | float], phases: Phases) -> list[PhaseCheck]:
    out = []
    for phase in _PHASES:
        stats = getattr(phases, phase)
        for probe in _PROBES:
            limit = hypothesis.get(probe)
            if limit is None or (probe == "token_inflation" and phase == "before"):
                continue  # inflation is relative to the steady state: it has no "before"
            # A phase that never ran (an aborted run has no "during") holds nothing.
            if probe == "completion_rate_min":
                value = stats.completion_rate
                held = bool(stats.sent) and value is not None and value >= limit
            else:
                value = getattr(stats, probe)
                held = bool(stats.sent) and (value is None or value <= limit)
            out.append(PhaseCheck(phase=phase, probe=probe, value=value, limit=float(limit), held=held))
    return out


def _experiment(r: ExperimentResult) -> ChaosExperiment:
    h, timeline = r.hypothesis, r.timeline_s
    phases = {p: {k: getattr(getattr(r.phases, p), k, None) for k in _PHASE_FIELDS} for p in _PHASES}
    return ChaosExperiment(
        name=r.name,
        title=r.title,
        family=r.family,
        fault=r.fault.kind,
        resilience=r.resilience,
        verdict=r.verdict,
        held=r.verdict == "held",
        phases=phases,
        checks=_checks(h, r.phases),
        violations=r.violations,
        recovery_s=r.recovery_s,
        recovery_limit_s=h.get("recovery_s"),
        lost=r.requests.lost,
        lost_limit=int(h.get("lost", 0)),
        injected_s=timeline.injected,
        rolled_back_s=timeline.rolled_back,
        ended_s=timeline.ended,
        breaker_transitions=[t.model_dump(by_alias=True) for t in r.breaker_transitions],
        fired=r.fired.describe() if r.fired else "fired: not counted",
    )


def read_chaos(paths: list[Path], sources: list[str]) -> ChaosSection:
    """The chaos.json files at `paths`, merged; ChaosError (one line) if one is not one."""
    docs = [ChaosReport.read(p) for p in paths]
    results = [r for doc in docs for r in doc.experiments]
    # Resilience on first: those are the release's evidence; bite runs (off) follow.
    experiments = sorted((_experiment(r) for r in results), key=lambda e: (e.resilience != "on", e.name))
    on = [e for e in experiments if e.resilience == "on" and e.verdict != "not_applicable"]
    bites = [doc.summary.bite for doc in docs if doc.summary.bite]
    return ChaosSection(
        sources=sources,
        suite=", ".join(sorted({doc.suite for doc in docs})),
        experiments=experiments,
        on_runs=len(on),
        held=sum(e.verdict == "held" for e in on),
        failed=sum(e.verdict == "failed" for e in on),
        aborted=sum(e.verdict == "aborted" for e in on),
        errors=sum(e.verdict in ("error", "interrupted") for e in on),
        not_exercised=sum(e.verdict == "not_exercised" for e in on),
        not_applicable=sum(e.verdict == "not_applicable" for e in experiments),
        lost=sum(e.lost for e in experiments),
        leftovers=sum(len(r.rollback.leftovers) for r in results),
        bites_checked=sum(b.checked for b in bites),
        bites=sum(b.bites for b in bites),
    )
