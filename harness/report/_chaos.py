"""Chaos experiments, from `chaos.json` (schema `harness.chaos/1`, written by `harness chaos`).

Under `harness run` the chaos tier writes one file per pytest worker instead
(`chaos-tests/chaos-<worker>.json`); when there is no `chaos.json` those are merged. For each
experiment the hypothesis is judged phase by phase (before, during, after the fault) from the
measurements the run recorded, so the report shows *where* it broke, not only that it did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._summary import ChaosExperiment, ChaosSection, PhaseCheck

__all__ = ["find_chaos", "read_chaos"]

_PROBES = ("error_rate", "p95_ms", "misrouted_rate", "token_inflation")
_PHASES = ("before", "during", "after")
_PHASE_FIELDS = (
    "sent",
    "answered",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "misrouted_rate",
    "degraded",
    "token_inflation",
    "lost",
)


def find_chaos(reports: Path) -> list[Path]:
    main = reports / "chaos.json"
    if main.exists():
        return [main]
    return sorted((reports / "chaos-tests").glob("chaos-*.json"))


def _checks(hypothesis: dict[str, Any], phases: dict[str, dict[str, Any]]) -> list[PhaseCheck]:
    out = []
    for phase in _PHASES:
        stats = phases.get(phase) or {}
        for probe in _PROBES:
            limit = hypothesis.get(probe)
            if limit is None or (probe == "token_inflation" and phase == "before"):
                continue  # inflation is relative to the steady state: it has no "before"
            value = stats.get(probe)
            # A phase that never ran (an aborted run has no "during") holds nothing.
            held = bool(stats.get("sent")) and (value is None or value <= limit)
            out.append(PhaseCheck(phase=phase, probe=probe, value=value, limit=float(limit), held=held))
    return out


def _experiment(r: dict[str, Any]) -> ChaosExperiment:
    hypothesis = r.get("hypothesis") or {}
    phases = {p: {k: (r.get("phases") or {}).get(p, {}).get(k) for k in _PHASE_FIELDS} for p in _PHASES}
    timeline = r.get("timeline_s") or {}
    return ChaosExperiment(
        name=r["name"],
        title=r.get("title", r["name"]),
        family=r.get("family", "?"),
        fault=str((r.get("fault") or {}).get("kind", "?")),
        resilience=r.get("resilience", "on"),
        verdict=r["verdict"],
        held=r["verdict"] == "held",
        phases=phases,
        checks=_checks(hypothesis, r.get("phases") or {}),
        violations=[str(v) for v in r.get("violations", [])],
        recovery_s=r.get("recovery_s"),
        recovery_limit_s=hypothesis.get("recovery_s"),
        lost=int((r.get("requests") or {}).get("lost", 0)),
        lost_limit=int(hypothesis.get("lost", 0)),
        injected_s=timeline.get("injected"),
        rolled_back_s=timeline.get("rolled_back"),
        ended_s=timeline.get("ended"),
        breaker_transitions=list(r.get("breaker_transitions", [])),
    )


def read_chaos(paths: list[Path], sources: list[str]) -> ChaosSection:
    """The chaos.json files at `paths`, merged; raises KeyError/ValueError if one is not one."""
    docs = [json.loads(p.read_text()) for p in paths]
    for path, doc in zip(paths, docs, strict=True):
        if not str(doc.get("schema", "")).startswith("harness.chaos/"):
            raise ValueError(f"{path.name}: schema is {doc.get('schema')!r}, not harness.chaos/1")
    results = [r for doc in docs for r in doc.get("experiments", [])]
    # Resilience on first: those are the release's evidence; bite runs (off) follow.
    experiments = sorted((_experiment(r) for r in results), key=lambda e: (e.resilience != "on", e.name))
    on = [e for e in experiments if e.resilience == "on"]
    bites = [doc["summary"]["bite"] for doc in docs if (doc.get("summary") or {}).get("bite")]
    return ChaosSection(
        sources=sources,
        suite=", ".join(sorted({str(doc.get("suite", "?")) for doc in docs})),
        experiments=experiments,
        on_runs=len(on),
        held=sum(e.verdict == "held" for e in on),
        failed=sum(e.verdict == "failed" for e in on),
        aborted=sum(e.verdict == "aborted" for e in on),
        errors=sum(e.verdict in ("error", "interrupted") for e in on),
        lost=sum(e.lost for e in experiments),
        leftovers=sum(len((r.get("rollback") or {}).get("leftovers", [])) for r in results),
        bites_checked=sum(int(b.get("checked", 0)) for b in bites),
        bites=sum(int(b.get("bites", 0)) for b in bites),
    )
