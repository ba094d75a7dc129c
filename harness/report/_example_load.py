"""The example reports folder's load run: raw samples of made-up latency and cost, and the sla.json
(schema harness.sla/1) that `harness load` would write for them, with its CSVs beside it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from ._collect import scenario_labels
from ._stats import nearest_rank

__all__ = ["write_example_load"]

_AGENTS = ("supervisor", "technical_support", "billing_support", "general_support")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _samples(
    n: int, rng: np.random.Generator, latency_scale: float, error_rate: float, cost_scale: float
) -> list[dict[str, Any]]:
    labels = [v for v in scenario_labels().values() if not v["expected"].get("rejected")]
    rows = []
    for i in range(n):
        label = labels[i % len(labels)]
        ok = rng.random() >= error_rate
        exp = label["expected"]
        ms = round(float(rng.lognormal(np.log(400), 0.5)) * latency_scale, 3)
        cost = round(0.0004 * cost_scale * float(rng.uniform(0.8, 1.2)), 7)
        # fmt: off
        answer = {"route": exp["route"] or "escalate_to_human", "escalated": exp["escalated"],
                  "reason": exp["reason"] or "", "tokens_in": 250, "tokens_out": 55, "cost_usd": cost}
        rows.append({"id": f"example_{i}", "scenario": label["id"], "category": label["category"],
                     "worker": "w", "start": 1_700_000_000 + i * 0.05, "ms": ms, "status": 200 if ok else 503,
                     "expected_status": 200, "ok": ok, "error": "" if ok else "503",
                     **(answer if ok else dict.fromkeys(answer, ""))})
        # fmt: on
    return rows


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _ci(values: np.ndarray[Any, Any], q: float, rng: np.random.Generator) -> list[float]:
    boots = nearest_rank(values[rng.integers(0, len(values), size=(200, len(values)))], q, axis=1)
    low, high = np.quantile(boots, [0.025, 0.975])
    return [float(low), float(high)]


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


def write_example_load(
    folder: Path,
    rng: np.random.Generator,
    *,
    samples: int = 400,
    latency_scale: float = 1.0,
    error_rate: float = 0.0,
    cost_scale: float = 1.0,
    lost: int = 0,
) -> None:
    """`<folder>/load/<run>/` with samples.csv, timeseries.csv, server_agents.csv and sla.json,
    and the sla.json copied to `<folder>/sla.json`, as `harness load` does."""
    rows = _samples(samples, rng, latency_scale, error_rate, cost_scale)
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
