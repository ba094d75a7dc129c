"""Every handler of the reference service and every status it answers, in process (ASGI), with a
scripted LLM: the body's shape, and for `POST /v1/chat` the one audit line of that request.

The audit log must hold exactly one line per request, with the status the client got
(docs/audit-format.md): `Service.chat` checks that on every request it sends, so no status can
lose its line unnoticed. Error bodies are `{error, retriable}`; 429 and 503 are retriable and say
when to come back (Retry-After).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.llm import MockLLM, faults
from support_desk import HandoffRule, SupportSystem
from support_desk import specialist_reply as answer
from support_desk.service import ServiceSettings, create_app

Make = Callable[..., SupportSystem]
BODY = {"query": "My invoice is wrong", "user_id": "u-1", "customer_tier": "standard"}
ANSWER_KEYS = {
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
    "cache_hit",
    "path",
}


class Service:
    """The app over a system, an httpx client on it, and its audit log."""

    def __init__(self, client: httpx.AsyncClient, audit: Path, system: SupportSystem) -> None:
        self.client, self.audit, self.system = client, audit, system

    def hold_handoffs(self) -> None:
        """The supervisor's handoff held for 5 s: a hang outside every agent's LLM call."""
        self.system.handoff.set([HandoffRule(kind="delay", delay_ms=5000, source="supervisor")])

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text().splitlines()]

    async def chat(
        self, body: Any = BODY, *, request_id: str | None = "r-1", raw: bytes | None = None
    ) -> tuple[httpx.Response, dict[str, Any]]:
        """POST /v1/chat; the response and the one audit line it wrote (checked to be one)."""
        headers = {"X-Request-Id": request_id} if request_id else {}
        before = len(self.audit_lines())
        if raw is not None:
            headers["Content-Type"] = "application/json"
            response = await self.client.post("/v1/chat", content=raw, headers=headers)
        else:
            response = await self.client.post("/v1/chat", json=body, headers=headers)
        new = self.audit_lines()[before:]
        assert len(new) == 1, f"{response.status_code}: {len(new)} audit lines for one request: {new}"
        (line,) = new
        assert (line["request_id"], line["status"]) == (request_id, response.status_code)
        assert line["v"] == 1 and isinstance(line["ts"], float)
        if isinstance(body, dict) and isinstance(body.get("query"), str) and len(body["query"]) > 3:
            assert body["query"] not in json.dumps(line), "the audit log holds no query text"
        return response, line


ServiceFactory = Callable[..., Any]


@pytest.fixture
async def make_service(make_system: Make, tmp_path: Path) -> AsyncIterator[ServiceFactory]:
    """`await make_service(reference={...system settings}, **service settings)`."""
    async with AsyncExitStack() as stack:
        made: list[Service] = []

        async def make(
            reference: dict[str, Any] | None = None,
            starting: Callable[[], str | None] | None = None,
            **cfg: Any,
        ) -> Service:
            system = make_system(**(reference or {}))
            audit = tmp_path / f"audit-{len(made)}.jsonl"
            app = create_app(system, ServiceSettings(audit_log=str(audit), **cfg), starting=starting)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://sd")
            )
            made.append(Service(client, audit, system))
            return made[-1]

        yield make


def error_body(response: httpx.Response, *, retriable: bool) -> str:
    doc = response.json()
    assert set(doc) == {"error", "retriable"} and doc["retriable"] is retriable
    assert isinstance(doc["error"], str) and doc["error"]
    return str(doc["error"])


# -- POST /v1/chat: 200 ------------------------------------------------------------------------------


async def test_an_answer_is_200_with_its_figures_in_the_body_and_the_audit_line(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer("Fixed.", 0.9)
    service = await make_service()
    response, line = await service.chat()
    doc = response.json()
    assert response.status_code == 200 and set(doc) == ANSWER_KEYS
    assert (doc["route"], doc["answer"], doc["escalated"], doc["degraded"]) == (
        "billing_support",
        "Fixed.",
        False,
        False,
    )
    assert response.headers["x-trace-id"] == doc["trace_id"] == line["trace_id"]
    assert doc["path"] == ["supervisor", "billing_support"]
    assert (line["tokens_in"], line["tokens_out"]) == (doc["tokens"]["in"], doc["tokens"]["out"])
    assert (
        line["tokens_in"] > 0 and line["cost_usd"] == pytest.approx(doc["cost_usd"]) and doc["cost_usd"] > 0
    )
    assert (line["route"], line["escalated"], line["fallback"], line["degraded"]) == (
        "billing_support",
        False,
        None,
        False,
    )
    assert set(line["agents"]) == {"supervisor", "billing_support"}
    assert sum(a["tokens_in"] for a in line["agents"].values()) == line["tokens_in"]
    assert line["query_chars"] == len(BODY["query"]) and line["server_ms"] >= 0


async def test_an_escalation_by_rule_is_200_and_audited_with_its_reason(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    service = await make_service()
    response, line = await service.chat({**BODY, "customer_tier": "vip"})
    assert response.status_code == 200 and mock_llm.calls == []
    assert response.json()["escalation_reason"] == line["escalation_reason"] == "vip_customer"
    assert line["escalated"] is True and line["tokens_in"] == 0


async def test_a_fallback_is_200_and_audited_as_degraded(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "technical_support"
    mock_llm.agent("technical_support").return_value = faults.Status(503)
    service = await make_service()
    response, line = await service.chat({**BODY, "query": "The app crashes"})
    assert response.status_code == 200
    assert (response.json()["fallback"], response.json()["degraded"]) == ("generic", True)
    assert (line["fallback"], line["degraded"], line["route"]) == ("generic", True, "technical_support")


async def test_a_request_without_a_request_id_is_audited_with_null(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "escalate_to_human"
    service = await make_service()
    response, line = await service.chat(request_id=None)
    assert response.status_code == 200 and line["request_id"] is None


# -- POST /v1/chat: 400 / 422 ------------------------------------------------------------------------
# TARGET (another engineer's change, landing separately): every 400 and 422 writes its one audit
# line too, with an `{error, retriable}` body. Until it lands, the tests below that go through the
# framework's request validation fail on the audit line only (`Service.chat`'s check).


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"user_id": "u"}, "query"),
        ({"query": "hi"}, "user_id"),
        ({**BODY, "customer_tier": "gold"}, "customer_tier"),
        ({**BODY, "extra": 1}, "extra"),
        ({**BODY, "query": 5}, "query"),
    ],
)
async def test_a_malformed_request_is_422_naming_the_field_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM, body: dict[str, Any], names: str
) -> None:
    service = await make_service()
    response, line = await service.chat(body)  # TARGET: the audit line (see above)
    assert response.status_code == 422 and names in error_body(response, retriable=False)
    assert mock_llm.calls == [] and "error" in line


async def test_a_body_that_is_not_json_is_rejected_and_audited(make_service: ServiceFactory) -> None:
    service = await make_service()
    response, line = await service.chat(raw=b"{oops")  # TARGET: the audit line (see above)
    # 400 (unparseable) or 422 (invalid): a client error, not retriable, with its one audit line.
    assert response.status_code in (400, 422)
    error_body(response, retriable=False)
    assert "error" in line


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "query is empty"),
        ("   ", "query is empty"),
        ("bad\x00byte", "control character"),
        ("x" * 4001, "limit is 4000"),
    ],
)
async def test_a_query_the_system_refuses_is_422_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM, query: str, says: str
) -> None:
    service = await make_service()
    response, line = await service.chat({**BODY, "query": query})
    assert response.status_code == 422 and says in error_body(response, retriable=False)
    assert says in line["error"] and line["query_chars"] == len(query)
    assert mock_llm.calls == []


# -- POST /v1/chat: 429 ------------------------------------------------------------------------------


async def test_over_the_api_rate_limit_is_a_retriable_429_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "escalate_to_human"
    service = await make_service(requests_per_second=0.5, burst=2)
    statuses = [
        (await service.chat({**BODY, "query": f"question {i}"}, request_id=f"r-{i}"))[0] for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    refused = statuses[2]
    assert "rate limit" in error_body(refused, retriable=True)
    assert refused.headers["retry-after"] == "2"  # one request's worth at 0.5 req/s
    assert mock_llm.agent("supervisor").call_count == 2
    metrics = (await service.client.get("/metrics")).text
    assert 'harness_requests_total{outcome="rate_limited",route="none"} 1.0' in metrics


# -- POST /v1/chat: 503 ------------------------------------------------------------------------------


async def test_a_failure_the_system_cannot_hide_is_a_retriable_503_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    service = await make_service(reference={"resilience": {"fallback": False}, "retry": {"attempts": 1}})
    response, line = await service.chat()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert error_body(response, retriable=True) == "the system could not answer: LLMServerError"
    assert line["error"] == "LLMServerError" and line["query_chars"] == len(BODY["query"])
    metrics = (await service.client.get("/metrics")).text
    assert 'harness_requests_total{outcome="error",route="none"} 1.0' in metrics


async def test_the_systems_deadline_without_fallbacks_is_a_503_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    # The system's backstop fires (a held handoff, no agent working) and, fallbacks off, raises.
    service = await make_service(
        reference={"timeouts": {"request_deadline_s": 0.2}, "resilience": {"fallback": False}}, grace_s=2
    )
    mock_llm.agent("supervisor").return_value = "billing_support"
    service.hold_handoffs()
    response, line = await asyncio.wait_for(service.chat(), timeout=3)
    assert response.status_code == 503
    assert error_body(response, retriable=True) == "the system could not answer: DeadlineExceededError"
    assert line["error"] == "DeadlineExceededError"


async def test_the_services_own_backstop_is_a_503_at_deadline_plus_grace_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    # Timeouts off in the system: nothing inside it can end the hang; only the service's budget.
    service = await make_service(
        reference={"timeouts": {"request_deadline_s": 0.1}, "resilience": {"timeouts": False}}, grace_s=0.1
    )
    mock_llm.agent("supervisor").return_value = "billing_support"
    service.hold_handoffs()
    response, line = await asyncio.wait_for(service.chat(), timeout=3)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert error_body(response, retriable=True) == "the system could not answer: TimeoutError"
    assert line["error"] == "TimeoutError"


async def test_the_systems_deadline_with_fallbacks_is_a_200_escalation_and_audited(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    service = await make_service(reference={"timeouts": {"request_deadline_s": 0.2}}, grace_s=2)
    mock_llm.agent("supervisor").return_value = "billing_support"
    service.hold_handoffs()
    response, line = await asyncio.wait_for(service.chat(), timeout=3)
    assert response.status_code == 200
    assert response.json()["escalation_reason"] == line["escalation_reason"] == "deadline_exceeded"
    assert (line["escalated"], line["degraded"], line["fallback"]) == (True, True, "escalation")


# -- GET /health -------------------------------------------------------------------------------------


async def test_health_is_ok_with_every_breaker_closed(make_service: ServiceFactory) -> None:
    service = await make_service()
    response = await service.client.get("/health")
    doc = response.json()
    assert response.status_code == 200
    assert (doc["status"], doc["live"], doc["ready"], doc["open_breakers"]) == ("ok", True, True, [])
    assert doc["breakers"] == dict.fromkeys(
        ("supervisor", "technical_support", "billing_support", "general_support"), "closed"
    )
    assert set(doc["cache"]) >= {"hits", "misses", "entries"} and isinstance(doc["pid"], int)
    assert service.audit_lines() == []  # only chat requests are audited


async def test_health_is_degraded_naming_an_open_breaker(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    service = await make_service(reference={"breaker": {"failure_threshold": 1}, "retry": {"attempts": 1}})
    await service.chat()
    doc = (await service.client.get("/health")).json()
    assert (doc["status"], doc["open_breakers"], doc["breakers"]["supervisor"]) == (
        "degraded",
        ["supervisor"],
        "open",
    )
    metrics = (await service.client.get("/metrics")).text
    assert 'harness_breaker_state{agent="supervisor"} 2.0' in metrics


async def test_health_is_503_while_the_service_is_starting(make_service: ServiceFactory) -> None:
    service = await make_service(starting=lambda: "1 of 2 workers ready")
    response = await service.client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "starting",
        "live": True,
        "ready": False,
        "detail": "1 of 2 workers ready",
    }


# -- GET /metrics ------------------------------------------------------------------------------------


async def test_metrics_are_prometheus_text_counting_answers(
    make_service: ServiceFactory, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer("Open 9-5.", 0.95)
    service = await make_service()
    await service.chat({**BODY, "query": "When are you open?"})
    response = await service.client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert 'harness_requests_total{outcome="answered",route="general_support"} 1.0' in response.text
    assert 'harness_tokens_total{agent="general_support",direction="out"}' in response.text


# -- /_control/handoff (chaos control only) ----------------------------------------------------------


async def test_the_handoff_hook_sets_shows_and_clears_faults(make_service: ServiceFactory) -> None:
    service = await make_service(chaos_control=True)
    rule = {"kind": "drop", "probability": 0.5, "source": "supervisor", "delay_ms": 0.0}
    put = await service.client.put("/_control/handoff", json={"seed": 3, "rules": [rule]})
    assert put.status_code == 200 and (put.json()["seed"], put.json()["rules"]) == (3, [rule])
    got = await service.client.get("/_control/handoff")
    assert got.status_code == 200 and got.json()["rules"] == [rule]
    cleared = await service.client.delete("/_control/handoff")
    assert cleared.status_code == 200 and cleared.json()["rules"] == []


async def test_the_handoff_hook_refuses_an_unknown_fault_with_422(make_service: ServiceFactory) -> None:
    service = await make_service(chaos_control=True)
    response = await service.client.put("/_control/handoff", json={"rules": [{"kind": "explode"}]})
    assert response.status_code == 422 and "kind" in error_body(response, retriable=False)


async def test_the_handoff_hook_is_absent_without_chaos_control(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert (await service.client.get("/_control/handoff")).status_code == 404
    assert (await service.client.put("/_control/handoff", json={})).status_code == 404


async def test_unknown_paths_and_methods_are_404_and_405(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert (await service.client.get("/v2/anything")).status_code == 404
    assert (await service.client.get("/v1/chat")).status_code == 405
