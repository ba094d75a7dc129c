"""The audit log, format `harness.audit/1`: one JSON line per request a system received, written by
the system (any system: `AuditLog` is all it needs), read by the harness to reconcile what it sent
with what the system says it answered.

    {"v": 1, "ts": 1733215200.123456, "request_id": "hr-k3v9x2aa-local-17", "status": 200,
     "route": "billing_support", "escalated": false, "escalation_reason": null, "fallback": null,
     "degraded": false, "server_ms": 812.4, "tokens_in": 412, "tokens_out": 96, "cost_usd": 0.00021,
     "error": null, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
     "agents": {"supervisor": {"latency_ms": 301.2, "tokens_in": 210, "tokens_out": 4, "cost_usd": 3.6e-05}}}

Required: `request_id` (the `X-Request-Id` the harness sent; null when none came) and `status`
(the HTTP status the client got). Everything else is optional; `agents` gives per-agent figures
when the system has them. No text of the request is ever written; string values pass through the
PII redactor, identifiers excepted by their format. One `os.write` per line on an O_APPEND file:
a killed process loses at most the line in flight, and processes sharing the file never
interleave their lines.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..pii import redact_obj
from ._sample import read_jsonl

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AGENT_COLUMNS", "AUDIT_COLUMNS", "AUDIT_FORMAT", "AuditLog", "read_audit"]

AUDIT_FORMAT = 1
AUDIT_COLUMNS = [
    "request_id", "ts", "status", "route", "escalated", "escalation_reason", "fallback", "degraded",
    "server_ms", "tokens_in", "tokens_out", "cost_usd", "error",
]  # fmt: skip
AGENT_COLUMNS = ["request_id", "agent", "latency_ms", "tokens_in", "tokens_out", "cost_usd"]


class AuditLog:
    """Append-only JSONL in the `harness.audit/1` format; `path` None writes nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._fd: int | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, *, request_id: str | None, status: int, **fields: Any) -> None:
        if self._fd is None:
            return
        doc = {"v": AUDIT_FORMAT, "ts": round(time.time(), 6), "request_id": request_id, "status": status}
        line = (json.dumps(redact_obj(doc | fields), ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            written = os.write(self._fd, line)
            while written < len(line):  # only on a full disk or a signal: finish the line
                written += os.write(self._fd, line[written:])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _agent_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    agents = doc.get("agents") or {}
    return [
        {"request_id": doc["request_id"], "agent": name, **{k: stats.get(k) for k in AGENT_COLUMNS[2:]}}
        for name, stats in (agents.items() if isinstance(agents, dict) else ())
        if isinstance(stats, dict)
    ]


def read_audit(path: Path | None, prefix: str, offset: int = 0) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The lines from byte `offset` whose request id starts with `prefix`, as (per request, per
    agent) frames; None when the system keeps no log (`path` None). A log the system should have
    written and did not reads as empty: every answered request is then unaccounted for."""
    import pandas as pd

    if path is None:
        return None
    lines = read_jsonl(path, offset) if path.exists() else []
    docs = [d for d in lines if str(d.get("request_id") or "").startswith(prefix)]
    requests = pd.DataFrame(docs, columns=AUDIT_COLUMNS)
    agents = pd.DataFrame([row for d in docs for row in _agent_rows(d)], columns=AGENT_COLUMNS)
    for column in ("server_ms", "tokens_in", "tokens_out", "cost_usd", "status"):
        requests[column] = pd.to_numeric(requests[column], errors="coerce")
    for column in AGENT_COLUMNS[2:]:
        agents[column] = pd.to_numeric(agents[column], errors="coerce")
    return requests, agents
