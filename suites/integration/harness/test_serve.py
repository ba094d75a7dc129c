"""`harness serve`: any in-process system over HTTP, with the harness audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness._serve import serve_app
from harness.sut import CallableSystem, HTTPContract, HttpSpec

pytestmark = pytest.mark.harness_self


async def answer(query: str, user_id: str) -> dict[str, Any]:
    if "down" in query:
        return {"status": "error", "error": "LLM unreachable", "retriable": True}
    if "broken" in query:
        raise RuntimeError("a bug")
    return {"answer": f"{user_id}: {query}", "route": "desk", "tokens_in": 3, "tokens_out": 4}


async def _post(app: Any, body: Any, rid: str | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://served") as client:
        headers = {"X-Request-Id": rid} if rid else {}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await client.post("/", content=content, headers=headers)


async def test_each_outcome_gets_its_status_and_the_default_contract_reads_it(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    app = serve_app(CallableSystem(answer), name="desk", audit_log=log)
    ok = await _post(app, {"query": "hello", "user_id": "u1"}, rid="hr-test-w-1")
    assert ok.status_code == 200 and ok.headers["x-request-id"] == "hr-test-w-1"
    outcome = HTTPContract(HttpSpec()).outcome(ok.json())
    assert (outcome.answer, outcome.route, outcome.tokens_in, outcome.tokens_out) == (
        "u1: hello",
        "desk",
        3,
        4,
    )
    down = await _post(app, {"query": "LLM down"}, rid="hr-test-w-2")
    assert down.status_code == 503 and down.json()["retriable"] is True
    broken = await _post(app, {"query": "broken"}, rid="hr-test-w-3")
    assert broken.status_code == 500 and "a bug" in broken.json()["error"]
    for bad in ({"query": ""}, {"question": "x"}, [1], b"not json"):
        refused = await _post(app, bad)
        assert refused.status_code == 422 and "query" in refused.json()["error"], bad
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    by_id = {line["request_id"]: line["status"] for line in lines if line.get("request_id")}
    assert by_id == {"hr-test-w-1": 200, "hr-test-w-2": 503, "hr-test-w-3": 500}
    assert len(lines) == 7  # the refused ones too


async def test_health_names_the_system() -> None:
    transport = httpx.ASGITransport(app=serve_app(CallableSystem(answer), name="desk"))
    async with httpx.AsyncClient(transport=transport, base_url="http://served") as client:
        assert (await client.get("/health")).json() == {"status": "ok", "system": "desk"}
