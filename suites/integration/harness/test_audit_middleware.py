"""The audit-log middleware writes `harness.audit/1` for any ASGI app, so any system can be
reconciled on the server side: one line per request, the status the client got, its figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.measure import AuditMiddleware, read_audit
from harness.sut import ReplyFields

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A team's bare ASGI app: /ask answers JSON, an empty query is a 422, 'boom' crashes."""
    body = json.loads((await receive())["body"] or b"{}")
    if body.get("query") == "boom":
        raise RuntimeError("boom")
    status = 422 if not body.get("query") else 200
    reply = {"route": "billing", "answer": "ok", "usage": {"in": 7, "out": 3}} if status == 200 else {}
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": json.dumps(reply).encode()})


async def test_every_request_gets_one_line_with_the_status_the_client_got(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    app = AuditMiddleware(_app, log, reply=ReplyFields(tokens_in="usage.in", tokens_out="usage.out"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://team.test") as client:
        ok = await client.post("/ask", json={"query": "invoice"}, headers={"X-Request-Id": "hr-run1-w-1"})
        bad = await client.post("/ask", json={"query": ""}, headers={"X-Request-Id": "hr-run1-w-2"})
        await client.post("/ask", json={"query": "boom"}, headers={"X-Request-Id": "hr-run1-w-3"})
        await client.post("/ask", json={"query": "x"}, headers={"X-Request-Id": "other-run"})
    assert ok.headers["x-request-id"] == "hr-run1-w-1" and bad.status_code == 422
    found = read_audit(log, "hr-run1-")
    assert found is not None
    requests, _ = found
    rows = requests.set_index("request_id")
    assert rows["status"].to_dict() == {"hr-run1-w-1": 200, "hr-run1-w-2": 422, "hr-run1-w-3": 500}
    assert (rows.loc["hr-run1-w-1", "route"], rows.loc["hr-run1-w-1", "tokens_in"]) == ("billing", 7)
    assert (rows["server_ms"] >= 0).all()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(line["v"] == 1 and "query" not in line for line in lines) and len(lines) == 4


async def test_the_line_is_written_before_the_reply_s_last_byte_leaves(tmp_path: Path) -> None:
    # A load or chaos run reads the log as soon as its last reply arrived: a line written after
    # the reply was sent could be missing then (one request "lost" in CI). So the line must be on
    # disk when the server is handed the last body message: checked in the server's own `send`.
    log = tmp_path / "audit.jsonl"
    app = AuditMiddleware(_app, log)
    seen: list[tuple[bool, int]] = []

    async def server_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            seen.append((message.get("more_body", False), len(log.read_text().splitlines())))

    body = json.dumps({"query": "invoice"}).encode()
    scope = {"type": "http", "method": "POST", "path": "/ask", "headers": [(b"x-request-id", b"hr-r-1")]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    await app(scope, receive, server_send)
    assert seen == [(False, 1)], seen
    assert len(log.read_text().splitlines()) == 1  # and only once
