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

__all__ = ["AGENT_COLUMNS", "AUDIT_COLUMNS", "AUDIT_FORMAT", "AuditLog", "AuditMiddleware", "read_audit"]

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


class AuditMiddleware:
    """ASGI middleware that writes the harness audit log for any ASGI app (FastAPI, Starlette...):
    one line per request once its response is sent, with the request id header echoed back to
    the client, the status the client got and the app's own time for it. With `reply` (the
    declared reply fields), the figures of a JSON reply body (route, escalation, tokens, cost)
    are written too.

        app = AuditMiddleware(app, "audit.jsonl", reply=load_declaration().http.reply)
    """

    def __init__(
        self,
        app: Any,
        path: str | Path | None,
        *,
        request_id_header: str = "x-request-id",
        reply: Any = None,
        paths: tuple[str, ...] = (),
    ) -> None:
        self.app, self.log = app, AuditLog(path)
        self.header = request_id_header.lower().encode()
        self.reply, self.paths = reply, paths

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (self.paths and scope.get("path") not in self.paths):
            await self.app(scope, receive, send)
            return
        request_id = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == self.header), None
        )
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "body": b""}  # an app that dies sends nothing: a 500

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = list(message.get("headers", []))
                if request_id is not None and all(k.lower() != self.header for k, _ in headers):
                    # Echoed, so a client can match its own record to the reply too.
                    message = {**message, "headers": [*headers, (self.header, request_id.encode())]}
            elif message["type"] == "http.response.body" and self.reply is not None:
                seen["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            server_ms = round((time.perf_counter() - started) * 1000, 3)
            self.log.write(
                request_id=request_id, status=int(seen["status"]), server_ms=server_ms, **self._fields(seen)
            )

    def _fields(self, seen: dict[str, Any]) -> dict[str, Any]:
        if self.reply is None or not 200 <= seen["status"] < 300:
            return {}
        try:
            doc = json.loads(seen["body"])
        except ValueError:
            return {}
        from ..sut._http import dig

        wanted = (
            "route",
            "escalated",
            "escalation_reason",
            "fallback",
            "degraded",
            "tokens_in",
            "tokens_out",
            "cost_usd",
        )
        fields = {name: dig(doc, path) for name in wanted if (path := getattr(self.reply, name, None))}
        return {k: v for k, v in fields.items() if v is not None}
