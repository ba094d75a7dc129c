"""`reports/chaos.json`: every run's measurements, verdicts and, with `--bite`, whether each
experiment bites. The schema is documented in docs/chaos-schema.md (`schema: harness.chaos/1`)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA", "bite_table", "build_chaos_report", "one_line", "summary_line", "write_report"]

SCHEMA = "harness.chaos/1"


def bite_table(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per experiment with both an `on` and an `off` run: does it bite (on holds, off fails)?"""
    by_name: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        by_name.setdefault(r["name"], {})[r["resilience"]] = r
    table = {}
    for name, runs in sorted(by_name.items()):
        on, off = runs.get("on"), runs.get("off")
        if on is None or off is None:
            continue
        table[name] = {
            "on": on["verdict"],
            "off": off["verdict"],
            "switches_off": off.get("switches_off", []),
            "bites": on["verdict"] == "held" and off["verdict"] == "failed",
            "off_violations": off["violations"],
        }
    return table


def build_chaos_report(
    results: list[dict[str, Any]],
    *,
    suite: str,
    started: float,
    stacks: list[dict[str, Any]],
    interrupted: str | None = None,
) -> dict[str, Any]:
    on = [r for r in results if r["resilience"] == "on"]
    counts = {
        v: sum(r["verdict"] == v for r in on) for v in ("held", "failed", "aborted", "error", "interrupted")
    }
    bites = bite_table(results)
    return {
        "schema": SCHEMA,
        "suite": suite,
        "started_at": _iso(started),
        "finished_at": _iso(time.time()),
        "wall_s": round(time.time() - started, 1),
        "interrupted": interrupted,
        "stacks": stacks,
        "summary": {
            "experiments": len(on),
            **counts,
            "lost": sum(r["requests"]["lost"] for r in results),
            "leftovers": sum(len(r["rollback"]["leftovers"]) for r in results),
            "bite": {"checked": len(bites), "bites": sum(b["bites"] for b in bites.values())}
            if bites
            else None,
        },
        "bite": bites,
        "experiments": results,
    }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write_report(doc: dict[str, Any], path: str | Path) -> Path:
    """Write atomically: a run killed while writing leaves the previous report, not half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def one_line(r: dict[str, Any]) -> str:
    """One experiment run as a line of the console output."""
    d = r["phases"]["during"]
    p95 = "-" if d["p95_ms"] is None else f"{d['p95_ms']:.0f} ms"
    rec = "-" if r["recovery_s"] is None else f"{r['recovery_s']:.2f} s"
    why = f"  ({'; '.join(r['violations'][:2])})" if r["violations"] else ""
    return (
        f"{r['name']:<24} [{r['resilience']:>3}] {r['verdict']:<11} during: errors {d['error_rate']:.0%}, "
        f"P95 {p95}, degraded {d['degraded']}; recovery {rec}; lost {r['requests']['lost']}{why}"
    )


def summary_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    bite = f"; bites {s['bite']['bites']}/{s['bite']['checked']}" if s.get("bite") else ""
    stopped = f"; INTERRUPTED ({doc['interrupted']})" if doc.get("interrupted") else ""
    return (
        f"chaos {doc['suite']}: {s['experiments']} experiments, {s['held']} held, {s['failed']} failed, "
        f"{s['aborted']} aborted, {s['error']} errors; lost {s['lost']}; leftovers {s['leftovers']}"
        f"{bite}; {doc['wall_s']:.0f} s{stopped}"
    )
