"""A small, complete reports folder made up from a seed: every input `harness report` reads.

For the report's own tests (a healthy folder, and one breach of each kind) and to try the report
without a full `harness run`:

    python -c "from harness.report import write_example_reports; write_example_reports('/tmp/r')"
    python -m harness.report report --reports /tmp/r

The load run's samples use the packaged scenario ids with their labelled routes, so a healthy
example has no MAST tags; `latency_scale`, `error_rate` and `cost_scale` make a canary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._example_load import write_example_load

__all__ = ["Breach", "write_example_reports"]

Breach = Literal["coverage", "sla", "chaos", "lost", "tests"]
_TIER_TESTS = {"unit": 70, "integration": 20, "system": 8, "chaos": 2}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _junit(folder: Path, tier: str, tests: int, failing: list[tuple[str, str]]) -> None:
    cases = [
        f'<testcase classname="suites.{tier}.test_example" name="test_{i}" time="0.01" />'
        for i in range(tests - len(failing))
    ]
    for name, message in failing:
        cases.append(
            f'<testcase classname="suites.{tier}.test_example" name="{name}" time="0.02">'
            f'<failure message="{message}">AssertionError</failure></testcase>'
        )
    suite = (
        f'<testsuite name="pytest" errors="0" failures="{len(failing)}" skipped="0" tests="{tests}" '
        f'time="{tests * 0.05:.2f}">{"".join(cases)}</testsuite>'
    )
    _write(
        folder / "junit" / f"{tier}.xml",
        f'<?xml version="1.0" encoding="utf-8"?><testsuites>{suite}</testsuites>',
    )


def _coverage(folder: Path, line_pct: float) -> None:
    statements = 1000
    covered = round(statements * line_pct / 100)
    # fmt: off
    totals = {"covered_lines": covered, "num_statements": statements, "covered_branches": 270,
              "num_branches": 300, "missing_lines": statements - covered}
    # fmt: on
    files = {"harness/reference/_graph.py": {"summary": {**totals, "percent_statements_covered": line_pct}}}
    for name in ("unit", "integration"):
        _write(folder / "coverage" / f"{name}.json", json.dumps({"totals": totals, "files": files}))
    _write(folder / "coverage" / "html" / "index.html", "<html><body>coverage</body></html>")


def _graph(folder: Path) -> None:
    # fmt: off
    edges = [("__start__", "supervisor"), ("supervisor", "billing_support"), ("billing_support", "__end__")]
    doc = {"requests": 10, "edges_total": len(edges), "edges_covered": len(edges), "edge_coverage_pct": 100.0,
           "edges": [{"from": a, "to": b, "hits": 5} for a, b in edges], "missing_edges": [],
           "targets": {"reason": {"covered": ["vip_customer"], "missing": []}}}
    # fmt: on
    for name in ("in_process", "http"):
        _write(folder / "integration" / f"graph_coverage_{name}.json", json.dumps(doc))


def _experiment(name: str, fault: str, held: bool, lost: int) -> dict[str, Any]:
    hyp = {"error_rate": 0.02, "p95_ms": 2000, "lost": max(lost, 0), "recovery_s": 5}
    phase = {
        "sent": 20,
        "answered": 20,
        "error_rate": 0.0,
        "p50_ms": 300.0,
        "p95_ms": 600.0,
        "misrouted_rate": 0.0,
        "degraded": 0,
    }
    during = {**phase, "error_rate": 0.0 if held else 0.25, "degraded": 4}
    return {
        "name": name,
        "title": f"Example: {fault}",
        "family": "handoff" if fault == "drop" else "llm",
        "resilience": "on",
        "fault": {"kind": fault},
        "hypothesis": hyp,
        "verdict": "held" if held else "failed",
        "violations": [] if held else ["during.error_rate 0.25 > 0.02"],
        "phases": {"before": phase, "during": during, "after": phase},
        "recovery_s": 1.2,
        "requests": {"sent": 60, "lost": lost},
        "timeline_s": {"injected": 2.0, "rolled_back": 6.0, "ended": 9.0},
        "breaker_transitions": [{"t_s": 3.1, "agent": "supervisor", "from": "closed", "to": "open"}],
        "rollback": {"leftovers": []},
    }


def write_example_reports(
    folder: str | Path,
    *,
    breach: Breach | None = None,
    seed: int = 0,
    samples: int = 400,
    latency_scale: float = 1.0,
    error_rate: float = 0.0,
    cost_scale: float = 1.0,
) -> Path:
    """Write a reports folder that passes every default gate, but for `breach`."""
    out, rng = Path(folder), np.random.default_rng(seed)
    failing = (
        {"unit": [("test_escalation_policy_vip", "assert route == escalate_to_human")]}
        if breach == "tests"
        else {}
    )
    for tier, tests in _TIER_TESTS.items():
        _junit(out, tier, tests, failing.get(tier, []))
    pyramid = {
        "tiers": [{"tier": t, "exit_code": 1 if failing.get(t) else 0, "seconds": 1.0} for t in _TIER_TESTS]
    }
    _write(out / "pyramid.json", json.dumps(pyramid))
    _coverage(out, 70.0 if breach == "coverage" else 96.0)
    _graph(out)
    latency = 6.0 if breach == "sla" else latency_scale
    write_example_load(
        out, rng, samples=samples, latency_scale=latency, error_rate=error_rate, cost_scale=cost_scale
    )
    experiments = [
        _experiment("handoff-drop", "drop", breach != "chaos", 0),
        _experiment("llm-hang", "hang", True, 1 if breach == "lost" else 0),
    ]
    doc = {
        "schema": "harness.chaos/1",
        "suite": "short",
        "experiments": experiments,
        "summary": {"bite": None, "lost": sum(e["requests"]["lost"] for e in experiments)},
    }
    _write(out / "chaos.json", json.dumps(doc, indent=1))
    return out
