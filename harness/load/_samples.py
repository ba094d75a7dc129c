"""Raw samples: the client's (one JSON line per request, from the locustfile) and the service's own
(its audit log: one line per request, with per-agent timings), merged into pandas frames.

Client columns (`CLIENT_COLUMNS`): request id, scenario, category, worker, start (epoch s),
ms (round trip), status (HTTP; 0 = no response: timeout or connection error; empty = still in
flight when the user was stopped), expected_status, ok, error, and for a 200 the answer's route,
escalated, reason, cache_hit, fallback, tokens_in, tokens_out, cost_usd, server_ms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "AGENT_COLUMNS",
    "AUDIT_COLUMNS",
    "CLIENT_COLUMNS",
    "read_audit",
    "read_client",
    "read_jsonl",
]

CLIENT_COLUMNS = [
    "id", "scenario", "category", "worker", "start", "ms", "status", "expected_status", "ok",
    "error", "route", "escalated", "reason", "cache_hit", "fallback", "tokens_in", "tokens_out",
    "cost_usd", "server_ms",
]  # fmt: skip
AUDIT_COLUMNS = [
    "request_id", "ts", "status", "route", "escalated", "reason", "fallback", "latency_ms",
    "tokens_in", "tokens_out", "cost_usd", "error",
]  # fmt: skip
AGENT_COLUMNS = ["request_id", "agent", "latency_ms", "tokens_in", "tokens_out", "cost_usd"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a JSON Lines file; a line cut short by a killed process is skipped."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return rows


def read_client(folder: Path) -> pd.DataFrame:
    """Every process's samples (`samples-*.jsonl`) in one frame, in order of start time."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("samples-*.jsonl")):
        rows += read_jsonl(path)
    frame = pd.DataFrame(rows, columns=CLIENT_COLUMNS)
    for column in (
        "start",
        "ms",
        "status",
        "expected_status",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "server_ms",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.sort_values("start", kind="stable").reset_index(drop=True)
    frame["end"] = frame["start"] + frame["ms"] / 1000
    return frame


def _agent_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    agents = doc.get("agents") or {}
    return [
        {
            "request_id": doc["request_id"],
            "agent": name,
            "latency_ms": stats.get("latency_ms"),
            "tokens_in": stats.get("tokens_in"),
            "tokens_out": stats.get("tokens_out"),
            "cost_usd": stats.get("cost_usd"),  # null when the system's log has none
        }
        for name, stats in agents.items()
        if isinstance(stats, dict)
    ]


def read_audit(path: Path, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """This run's lines of the service's audit log: (per request, per agent call); a missing log
    reads as empty (a service that logged nothing has every answered request unaccounted)."""
    prefix = f"{run_id}_"
    docs = [
        d
        for d in (read_jsonl(path) if path.exists() else [])
        if str(d.get("request_id") or "").startswith(prefix)
    ]
    requests = pd.DataFrame(docs, columns=AUDIT_COLUMNS)
    agents = pd.DataFrame([row for d in docs for row in _agent_rows(d)], columns=AGENT_COLUMNS)
    for column in ("latency_ms", "tokens_in", "tokens_out", "cost_usd"):
        requests[column] = pd.to_numeric(requests[column], errors="coerce")
        agents[column] = pd.to_numeric(agents[column], errors="coerce")
    requests["status"] = pd.to_numeric(requests["status"], errors="coerce")
    return requests, agents
