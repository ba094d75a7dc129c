"""The reference service in process (ASGI): responses, errors, rate limit, health, metrics, audit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.llm import DEFAULT_BASE_URL, MockLLM, faults
from support_desk import SupportSystem, load_settings
from support_desk import specialist_reply as answer
from support_desk.service import ServiceSettings, create_app

Client = Callable[..., Any]


@pytest.fixture
async def make_client(tmp_path: Path) -> AsyncIterator[Client]:
    stack: list[Any] = []

    async def make(**service: Any) -> httpx.AsyncClient:
        reference = service.pop("reference", {})
        system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL, **reference))
        settings = ServiceSettings(audit_log=str(tmp_path / "audit.jsonl"), **service)
        app = create_app(system, settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")
        stack.append((lifespan, client, system))
        return client

    yield make
    for lifespan, client, system in stack:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
        await system.aclose()


def audit_lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


BODY = {"query": "My invoice is wrong", "user_id": "u-1", "customer_tier": "standard"}


async def test_chat_answers_with_the_documented_shape(make_client: Client, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer("Fixed.", 0.9)
    client = await make_client()
    resp = await client.post("/v1/chat", json=BODY, headers={"X-Request-Id": "r-1"})
    assert resp.status_code == 200
    doc = resp.json()
    assert set(doc) >= {
        "trace_id",
        "route",
        "answer",
        "escalated",
        "escalation_reason",
        "confidence",
        "fallback",
        "degraded",
        "tokens",
        "cost_usd",
        "latency_ms",
    }
    assert (doc["route"], doc["answer"], doc["escalated"]) == ("billing_support", "Fixed.", False)
    assert set(doc["tokens"]) == {"in", "out"} and doc["tokens"]["in"] > 0
    assert resp.headers["x-trace-id"] == doc["trace_id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"user_id": "u"}, "query: Field required"),
        ({"query": "hi"}, "user_id: Field required"),
        ({"query": "hi", "user_id": "u", "customer_tier": "gold"}, "customer_tier"),
        ({"query": "hi", "user_id": "u", "extra": 1}, "extra: Extra inputs are not permitted"),
        ({"query": 5, "user_id": "u"}, "query: Input should be a valid string"),
    ],
)
async def test_malformed_request_is_422_with_a_clear_message(
    make_client: Client, body: dict[str, Any], message: str
) -> None:
    client = await make_client()
    resp = await client.post("/v1/chat", json=body)
    assert resp.status_code == 422 and message in resp.json()["error"]


async def test_not_json_is_422(make_client: Client) -> None:
    client = await make_client()
    resp = await client.post("/v1/chat", content=b"{oops", headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error"].startswith("invalid request")


@pytest.mark.parametrize("query", ["", "   ", "bad\x00byte"])
async def test_invalid_query_is_422_and_no_llm_call(
    make_client: Client, mock_llm: MockLLM, query: str
) -> None:
    client = await make_client()
    resp = await client.post("/v1/chat", json={**BODY, "query": query})
    assert resp.status_code == 422 and mock_llm.calls == []


async def test_rate_limit_answers_429_with_retry_after(make_client: Client, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "escalate_to_human"
    client = await make_client(requests_per_second=1, burst=2)
    statuses = [
        (await client.post("/v1/chat", json={**BODY, "query": f"q{i}"})).status_code for i in range(4)
    ]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    resp = await client.post("/v1/chat", json=BODY)
    assert resp.headers["retry-after"] == "1" and resp.json()["retriable"] is True


async def test_system_failure_is_a_retriable_503_never_a_hang(make_client: Client, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    client = await make_client(reference={"resilience": {"fallback": False}, "retry": {"attempts": 1}})
    resp = await client.post("/v1/chat", json=BODY)
    assert resp.status_code == 503 and "retry-after" in resp.headers
    assert resp.json() == {"error": "the system could not answer: LLMServerError", "retriable": True}


async def test_health_reports_each_breaker(make_client: Client, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    client = await make_client(reference={"breaker": {"failure_threshold": 1}, "retry": {"attempts": 1}})
    assert (await client.get("/health")).json()["status"] == "ok"
    await client.post("/v1/chat", json=BODY)
    doc = (await client.get("/health")).json()
    assert doc["breakers"]["supervisor"] == "open" and doc["status"] == "degraded"
    assert doc["open_breakers"] == ["supervisor"] and doc["live"] is True


async def test_metrics_expose_requests_latency_tokens_and_breakers(
    make_client: Client, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer("Open 9-5.", 0.95)
    client = await make_client()
    for _ in range(2):
        await client.post("/v1/chat", json={**BODY, "query": "When are you open?"})
    await client.post("/v1/chat", json={**BODY, "query": "refund please"})
    text = (await client.get("/metrics")).text
    assert 'harness_requests_total{outcome="answered",route="general_support"} 2.0' in text
    assert 'harness_escalations_total{reason="cancellation_or_refund"} 1.0' in text
    assert 'harness_cache_lookups_total{result="hit"} 1.0' in text
    assert (
        "harness_request_latency_seconds_bucket" in text
        and 'harness_agent_latency_seconds_count{agent="supervisor"}' in text
    )
    assert 'harness_tokens_total{agent="general_support",direction="out"}' in text
    assert 'harness_breaker_state{agent="supervisor"} 0.0' in text


async def test_audit_log_reconciles_every_request_without_pii(
    make_client: Client, mock_llm: MockLLM, tmp_path: Path
) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer()
    client = await make_client(requests_per_second=1, burst=2)
    pii = "card 4111 1111 1111 1111, mail marta.lopez@example.org, tel +34 612 345 678"
    for i, body in enumerate(
        [{**BODY, "query": f"{pii} (1)"}, {**BODY, "query": ""}, {**BODY, "query": f"{pii} (3)"}]
    ):
        await client.post("/v1/chat", json=body, headers={"X-Request-Id": f"req-{i}"})
    lines = audit_lines(tmp_path)
    assert [(d["request_id"], d["status"]) for d in lines] == [("req-0", 200), ("req-1", 422), ("req-2", 429)]
    raw = (tmp_path / "audit.jsonl").read_text()
    for secret in ("4111 1111 1111 1111", "marta.lopez@example.org", "612 345 678"):
        assert secret not in raw
    # Nor anything a candidate text could be matched to by lookup: no digest of the query.
    for i, text in ((0, f"{pii} (1)"), (2, f"{pii} (3)")):
        for digest in (hashlib.sha256(text.encode()).hexdigest(), hashlib.md5(text.encode()).hexdigest()):
            assert digest[:12] not in raw, f"request {i}'s query digest is in the audit log"
        assert not any("hash" in key or "sha" in key for key in lines[i]), sorted(lines[i])
    assert lines[0]["agents"]["billing_support"]["tokens_in"] > 0 and lines[0]["route"] == "billing_support"
