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

import asyncio
import json
import os
import threading
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..pii import redact_obj
from ._sample import read_jsonl

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AGENT_COLUMNS",
    "AUDIT_COLUMNS",
    "AUDIT_FORMAT",
    "AUDIT_SCOPE_KEY",
    "AuditLog",
    "AuditMiddleware",
    "audit_fields",
    "read_audit",
]

AUDIT_FORMAT = 1
AUDIT_COLUMNS = [
    "request_id", "ts", "status", "route", "escalated", "escalation_reason", "fallback", "degraded",
    "server_ms", "tokens_in", "tokens_out", "cost_usd", "error",
]  # fmt: skip
AGENT_COLUMNS = ["request_id", "agent", "latency_ms", "tokens_in", "tokens_out", "cost_usd"]
AUDIT_SCOPE_KEY = "harness.audit"  # the ASGI scope key of the fields an app adds to its line


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
    one line per request, written just before its reply's last byte is sent, with the request id
    header echoed back to the client, the status the client got and the app's own time for it.
    With `reply` (the declared reply fields), the figures of a JSON reply body (route,
    escalation, tokens, cost) are written too; an error reply's JSON `error` is written as the
    line's `error`; and what the app adds with `audit_fields(scope)` wins over both.

        app = AuditMiddleware(app, "audit.jsonl", reply=load_declaration().http.reply)

    It is also where a request's read is bounded, so a request cut for it is answered and logged
    like any other: a body over `max_body_bytes` gets 413, one that has not arrived whole within
    `read_timeout_s` of its headers gets 408 (both `{"error", "retriable"}`, `Connection: close`),
    and the app reads a disconnect. `paths` audits only those paths, `skip` all but those.
    """

    def __init__(
        self,
        app: Any,
        path: str | Path | AuditLog | None,
        *,
        request_id_header: str = "x-request-id",
        reply: Any = None,
        paths: tuple[str, ...] = (),
        skip: tuple[str, ...] = (),
        max_body_bytes: int | None = None,
        read_timeout_s: float | None = None,
    ) -> None:
        self.app = app
        self.log = path if isinstance(path, AuditLog) else AuditLog(path)
        self.header = request_id_header.lower().encode()
        self.reply, self.paths, self.skip = reply, paths, skip
        self.max_body_bytes, self.read_timeout_s = max_body_bytes, read_timeout_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, send)
        scope[AUDIT_SCOPE_KEY] = exchange.noted
        try:
            if not await exchange.refused_at_once():
                await self.app(scope, exchange.receiving(receive), exchange.sending)
        except Exception:
            if not exchange.cut:  # after a cut the app only read the disconnect it was given
                raise
        finally:
            exchange.write_line()  # no-op when written before the reply's last byte

    def _audited(self, path: str) -> bool:
        return (not self.paths or path in self.paths) and path not in self.skip

    def reply_fields(self, status: int, body: bytes) -> dict[str, Any]:
        """The line's fields read from the reply: its figures (2xx), or its `error`."""
        if not body or (self.reply is None and status < 400):
            return {}
        try:
            doc = json.loads(body)
        except ValueError:
            return {}
        if not isinstance(doc, dict):
            return {}
        if status >= 400:
            error = doc.get("error")
            return {"error": error[:_MAX_ERROR]} if isinstance(error, str) else {}
        if not 200 <= status < 300:
            return {}
        from ..sut._http import dig

        fields = {
            name: dig(doc, path) for name in _REPLY_FIGURES if (path := getattr(self.reply, name, None))
        }
        return {k: v for k, v in fields.items() if v is not None}


_REPLY_FIGURES = (
    "route", "escalated", "escalation_reason", "fallback", "degraded", "tokens_in", "tokens_out", "cost_usd",
)  # fmt: skip
_MAX_ERROR = 500
_MAX_CAPTURE = 64 * 1024  # an error reply's body is read for its `error`: never a whole download


class _Exchange:
    """One request through `AuditMiddleware`: what it saw sent, and the bounds of its read."""

    def __init__(self, edge: AuditMiddleware, scope: dict[str, Any], send: Any) -> None:
        self.edge, self.send = edge, send
        headers = dict(scope.get("headers", []))
        rid = headers.get(edge.header)
        self.request_id = rid.decode("latin-1") if rid is not None else None
        self.declared = _content_length(headers)
        self.body_done = self.declared == 0 and b"transfer-encoding" not in headers
        self.received = 0
        self.status = 500  # an app that dies sends nothing: a 500
        self.body = b""
        self.error: str | None = None
        self.cut = False  # answered here (408, 413): whatever the app sends after is dropped
        self.noted: dict[str, Any] = {}
        self.audited = edge._audited(scope.get("path", ""))
        self.written = False
        self.started = time.perf_counter()
        timeout = edge.read_timeout_s
        self.deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout

    def write_line(self) -> None:
        if self.audited and not self.written:
            self.written = True
            self.edge.log.write(request_id=self.request_id, **self.line())

    def line(self) -> dict[str, Any]:
        server_ms = round((time.perf_counter() - self.started) * 1000, 3)
        found = self.edge.reply_fields(self.status, self.body)
        mine = {"error": self.error} if self.error else {}
        return {"status": self.status, "server_ms": server_ms, **found, **mine, **self.noted}

    async def refused_at_once(self) -> bool:
        """A body declared over the limit is refused before the app sees it (nothing is read)."""
        limit = self.edge.max_body_bytes
        if limit is None or self.declared is None or self.declared <= limit:
            return False
        await self.refuse(413, _too_large(limit), retriable=False)
        return True

    def receiving(self, receive: Any) -> Any:
        async def bounded() -> dict[str, Any]:
            if self.cut:
                return {"type": "http.disconnect"}
            if self.body_done:  # after the body, waiting for a disconnect is not a read to bound
                message: dict[str, Any] = await receive()
                return message
            try:
                async with asyncio.timeout_at(self.deadline):
                    message = await receive()
            except TimeoutError:
                await self.refuse(408, _too_slow(self.edge.read_timeout_s), retriable=True)
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                self.body_done = not message.get("more_body", False)
                limit = self.edge.max_body_bytes
                if limit is not None and self.received > limit:
                    await self.refuse(413, _too_large(limit), retriable=False)
                    return {"type": "http.disconnect"}
            return message

        return bounded

    async def sending(self, message: dict[str, Any]) -> None:
        if self.cut:
            return
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message = {**message, "headers": self._headers(list(message.get("headers", [])))}
        elif message["type"] == "http.response.body":
            if self._capturing():
                self.body += message.get("body", b"")
            if not message.get("more_body", False):
                # Written before the reply's last byte leaves, so whoever reads the log after the
                # last reply arrived finds its line (written after, a reader could beat it).
                self.write_line()
        await self.send(message)

    def _capturing(self) -> bool:
        wanted = self.status >= 400 or (self.edge.reply is not None and 200 <= self.status < 300)
        return wanted and len(self.body) < _MAX_CAPTURE

    def _headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        header = self.edge.header
        if self.request_id is not None and all(k.lower() != header for k, _ in headers):
            # Echoed, so a client can match its own record to the reply too.
            headers.append((header, self.request_id.encode()))
        if not self.body_done and all(k.lower() != b"connection" for k, _ in headers):
            # Answered before its whole body came: the rest must not be read as the next request.
            headers.append((b"connection", b"close"))
        return headers

    async def refuse(self, status: int, message: str, *, retriable: bool) -> None:
        """Answer in the app's stead, once, and close the connection after it."""
        self.cut, self.body_done, self.status, self.error = True, False, status, message
        body = json.dumps({"error": message, "retriable": retriable}).encode()
        headers = self._headers(
            [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        )
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        self.write_line()
        await self.send({"type": "http.response.body", "body": body})


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    try:
        return int(headers[b"content-length"])
    except (KeyError, ValueError):
        return None


def _too_slow(timeout: float | None) -> str:
    return f"the request body did not arrive whole within {timeout:g} s; send it at once"


def _too_large(limit: int) -> str:
    return f"the request body is over {limit} bytes; send a smaller one"


def audit_fields(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    """The fields an app adds to this request's audit line (under `AuditMiddleware`), e.g.
    `audit_fields(request.scope).update(route=..., tokens_in=...)`; elsewhere, a dict nobody reads."""
    fields = scope.get(AUDIT_SCOPE_KEY)
    return fields if isinstance(fields, dict) else {}
