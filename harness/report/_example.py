"""A small, complete reports folder made up from a seed: every input `harness report` reads.

For the report's own tests (a healthy folder, and one breach of each kind) and to try the report
without a full `harness run`:

    python -c "from harness.report import write_example_reports; write_example_reports('/tmp/r')"
    python -m harness.report report --reports /tmp/r

The load run's samples use the packaged scenario ids with their labelled routes, so a healthy
example has no MAST tags; `latency_scale`, `error_rate` and `cost_scale` make a canary.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._collect import scenario_labels
from ._stats import nearest_rank

__all__ = ["Breach", "write_example_reports"]

Breach = Literal["coverage", "sla", "chaos", "lost", "tests"]
_TIER_TESTS = {"unit": 70, "integration": 20, "system": 8, "chaos": 2}
_AGENTS = ("supervisor", "technical_support", "billing_support", "general_support")


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
    totals = {
        "covered_lines": covered,
        "num_statements": statements,
        "covered_branches": 270,
        "num_branches": 300,
        "missing_lines": statements - covered,
    }
    files = {"harness/reference/_graph.py": {"summary": {**totals, "percent_statements_covered": line_pct}}}
    for name in ("unit", "integration"):
        _write(folder / "coverage" / f"{name}.json", json.dumps({"totals": totals, "files": files}))
    _write(folder / "coverage" / "html" / "index.html", "<html><body>coverage</body></html>")


def _graph(folder: Path) -> None:
    edges = [
        ("__start__", "intake"),
        ("intake", "supervisor"),
        ("supervisor", "billing_support"),
        ("billing_support", "__end__"),
    ]
    doc = {
        "requests": 10,
        "edges_total": len(edges),
        "edges_covered": len(edges),
        "edge_coverage_pct": 100.0,
        "edges": [{"from": a, "to": b, "hits": 5} for a, b in edges],
        "missing_edges": [],
        "targets": {"reason": {"covered": ["vip_customer"], "missing": []}},
    }
    for name in ("in_process", "http"):
        _write(folder / "integration" / f"graph_coverage_{name}.json", json.dumps(doc))


def _samples(
    n: int, rng: np.random.Generator, latency_scale: float, error_rate: float, cost_scale: float
) -> list[dict[str, Any]]:
    labels = [v for v in scenario_labels().values() if not v["expected"].get("rejected")]
    rows = []
    for i in range(n):
        label = labels[i % len(labels)]
        ok = rng.random() >= error_rate
        exp = label["expected"]
        rows.append(
            {
                "id": f"example_{i}",
                "scenario": label["id"],
                "category": label["category"],
                "worker": "w",
                "start": 1_700_000_000 + i * 0.05,
                "ms": round(float(rng.lognormal(np.log(400), 0.5)) * latency_scale, 3),
                "status": 200 if ok else 503,
                "expected_status": 200,
                "ok": ok,
                "error": "" if ok else "503",
                "route": (exp["route"] or "escalate_to_human") if ok else "",
                "escalated": exp["escalated"] if ok else "",
                "reason": (exp["reason"] or "") if ok else "",
                "tokens_in": 250 if ok else "",
                "tokens_out": 55 if ok else "",
                "cost_usd": round(0.0004 * cost_scale * float(rng.uniform(0.8, 1.2)), 7) if ok else "",
            }
        )
    return rows


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _ci(values: np.ndarray[Any, Any], q: float, rng: np.random.Generator) -> list[float]:
    boots = nearest_rank(values[rng.integers(0, len(values), size=(200, len(values)))], q, axis=1)
    return [float(np.min(boots)), float(np.max(boots))] if len(values) else [0.0, 0.0]


def _check(
    name: str, metric: str, op: str, limit: float, value: float, unit: str, ci: list[float] | None
) -> dict[str, Any]:
    passed = {"<": value < limit, "<=": value <= limit, ">=": value >= limit, "==": value == limit}[op]
    return {
        "name": name,
        "metric": metric,
        "op": op,
        "limit": limit,
        "value": value,
        "ci95": ci,
        "unit": unit,
        "pass": passed,
        "decisive": True,
    }


def _sla(folder: Path, rows: list[dict[str, Any]], lost: int, rng: np.random.Generator) -> None:
    run = folder / "load" / "example-20260101-000000-example"
    ms = np.array([r["ms"] for r in rows])
    answered = [r for r in rows if r["status"] == 200]
    errors = len(rows) - len(answered)
    escalation = sum(bool(r["escalated"]) for r in answered) / len(answered)
    tokens = 305.0
    quantiles = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "p999": 0.999}
    values = {q: float(nearest_rank(ms, v)) for q, v in quantiles.items()}
    pct = {q: {"value": values[q], "ci95": _ci(ms, v, rng)} for q, v in quantiles.items()}
    checks = [
        _check("p95_ms_max", "latency_ms.client.p95", "<", 2000.0, values["p95"], "ms", _ci(ms, 0.95, rng)),
        _check("error_rate_max", "rates.error", "<", 0.02, errors / len(rows), "ratio", None),
        _check("escalation_rate_min", "rates.escalation", ">=", 0.10, escalation, "ratio", None),
        _check("tokens_per_request_max", "tokens.per_request", "<", 12000.0, tokens, "tokens", None),
        _check("lost_max", "requests.lost", "==", 0.0, float(lost), "requests", None),
        _check("sent_min", "requests.sent", ">=", 1.0, float(len(rows)), "requests", None),
    ]
    failures = [c["name"] for c in checks if not c["pass"]]
    cost = [float(r["cost_usd"]) for r in answered]
    agents = {
        a: {
            "calls": len(answered),
            "latency_ms": {q: {"value": v * 0.4} for q, v in values.items()},
            "tokens_in": 60 * len(answered),
            "tokens_out": 14 * len(answered),
            "cost_usd": sum(cost) / 4,
        }
        for a in _AGENTS
    }
    seconds = [
        {
            "second": s,
            "requests": 20,
            "answered": 20,
            "failed": 0,
            "error_rate": 0.0,
            "p50_ms": values["p50"],
            "p95_ms": values["p95"],
            "users": 8,
        }
        for s in range(20)
    ]
    _csv(run / "samples.csv", rows)
    _csv(run / "timeseries.csv", seconds)
    _csv(
        run / "server_agents.csv",
        [
            {
                "request_id": r["id"],
                "agent": a,
                "latency_ms": r["ms"] * 0.4,
                "tokens_in": 60,
                "tokens_out": 14,
                "cost_usd": "",
            }
            for r in answered[:200]
            for a in _AGENTS[:2]
        ],
    )
    doc = {
        "schema": "harness.sla/1",
        "verdict": "fail" if failures else "pass",
        "failures": failures,
        "run": {
            "id": "example",
            "profile": "example",
            "folder": str(run.resolve()),
            "users": 8,
            "started_at": "2026-01-01T00:00:00+00:00",
        },
        "checks": checks,
        "requests": {
            "sent": len(rows),
            "answered": len(answered),
            "failed": errors,
            "lost": lost,
            "no_outcome": 0,
        },
        "latency_ms": {"client": {"count": len(rows), "mean": float(ms.mean()), **pct}},
        "rates": {
            "error": {"value": errors / len(rows), "ci95": None, "count": errors, "of": len(rows)},
            "escalation": {"value": escalation},
        },
        "tokens": {
            "per_request": {"value": tokens},
            "in_total": 250 * len(answered),
            "out_total": 55 * len(answered),
        },
        "cost_usd": {"total": sum(cost), "per_request": {"value": sum(cost) / len(cost), "ci95": None}},
        "agents": agents,
        "throughput": {"duration_s": 20.0, "rps_mean": len(rows) / 20, "rps_peak": 25.0},
        "files": {
            "samples": "samples.csv",
            "timeseries": "timeseries.csv",
            "server_agents": "server_agents.csv",
        },
    }
    _write(run / "sla.json", json.dumps(doc, indent=1))
    _write(folder / "sla.json", json.dumps(doc, indent=1))


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
    rows = _samples(samples, rng, 6.0 if breach == "sla" else latency_scale, error_rate, cost_scale)
    _sla(out, rows, 0, rng)
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
