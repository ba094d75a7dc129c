"""Every fault kind fires on tool-calling traffic too: a supervisor offered `transfer_to_*`
handoff tools, and a worker offered tools of its own, as langgraph-supervisor sends them, with
no tool_choice and no agent header (the agents are known by their tools and prompts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.llm.server import LLM_FAULT_KINDS, MockLLMServer, ServerConfig, start_in_thread
from harness.llm.server._effects import NONSENSE_LABELS
from harness.scenarios import ScenarioBrain
from harness.scenarios._schema import Scenario

pytestmark = pytest.mark.harness_self

QUERY = "Was INV-1002 charged twice?"
SCENARIO = Scenario.model_validate(
    {"id": "b1", "query": QUERY, "category": "billing", "expected": {"route": "billing", "escalated": False,
     "tool_calls": [{"name": "lookup_invoice", "arguments": {"invoice_id": "INV-1002"}}]}}
)  # fmt: skip


def _tool(name: str, **properties: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {k: {"type": v} for k, v in properties.items()}}
    return {
        "type": "function",
        "function": {"name": name, "parameters": schema | {"required": list(properties)}},
    }


SUPERVISOR = {  # the router's call: hand off, or answer
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You are the supervisor."},
        {"role": "user", "content": QUERY},
    ],
    "tools": [_tool("transfer_to_billing"), _tool("transfer_to_tech")],
}
WORKER = {  # a worker's call: one of its own tools, with arguments
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You are the billing agent."},
        {"role": "user", "content": QUERY},
    ],
    "tools": [_tool("lookup_invoice", invoice_id="string")],
}
RULES = {
    "status": {"status": 500},
    "hang": {"seconds": 5},
    "schema_violation": {"variant": "missing_answer"},
}


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[MockLLMServer] = []

    def make(kind: str | None) -> MockLLMServer:
        faults = [{"kind": kind, "probability": 1, **RULES.get(kind, {})}] if kind else []
        config = ServerConfig(
            router="supervisor",
            faults=faults,
            agents={"supervisor": {"tool": "transfer_to_billing"}, "billing": {"system": "billing agent"}},
        )
        started.append(start_in_thread(config, brain=ScenarioBrain([SCENARIO], router="supervisor")))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def _post(server: MockLLMServer, body: dict[str, Any], timeout: float = 5.0) -> httpx.Response:
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=timeout)


def _calls(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    message = response.json()["choices"][0]["message"]
    return [
        (c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in message.get("tool_calls") or []
    ]


def test_without_a_fault_the_brain_hands_off_and_the_worker_calls_its_tool(serve: Any) -> None:
    server = serve(None)
    assert _calls(_post(server, SUPERVISOR)) == [("transfer_to_billing", {})]
    assert _calls(_post(server, WORKER)) == [("lookup_invoice", {"invoice_id": "INV-1002"})]


@pytest.mark.parametrize("kind", LLM_FAULT_KINDS)
def test_every_fault_kind_fires_on_tool_calling_traffic(serve: Any, kind: str) -> None:
    server = serve(kind)
    body = SUPERVISOR if kind == "invalid_route" else WORKER  # invalid_route is the router's fault
    if kind == "stall":  # a stream's fault: a plain tool call is neither eligible nor hit
        assert _calls(_post(server, body)) == [("lookup_invoice", {"invoice_id": "INV-1002"})]
        assert httpx.get(f"{server.url}/_control/stats", timeout=5).json()["faults"] == {}
        return
    if kind == "hang":
        with pytest.raises(httpx.ReadTimeout):
            _post(server, body, timeout=0.5)
    elif kind == "truncated":
        with pytest.raises(httpx.RemoteProtocolError):
            _post(server, body)
    else:
        reply = _post(server, body)
        if kind == "status":
            assert reply.status_code == 500
        elif kind == "malformed":
            with pytest.raises(ValueError):
                reply.json()
        elif kind == "empty":
            assert _calls(reply) == [] and reply.json()["choices"][0]["message"]["content"] == ""
        elif kind == "invalid_route":
            assert _calls(reply) == [] and reply.json()["choices"][0]["message"]["content"] in NONSENSE_LABELS
        elif kind == "schema_violation":
            ((name, arguments),) = _calls(reply)
            assert name == "lookup_invoice" and "invoice_id" not in arguments  # the required one dropped
        elif kind == "hallucinated_tool":
            ((name, _),) = _calls(reply)
            assert name != "lookup_invoice"
        else:
            raise AssertionError(f"no check for the fault kind {kind!r}: add one")
    stats = httpx.get(f"{server.url}/_control/stats", timeout=5).json()
    assert stats["faults"] == {kind: 1}, stats  # it fired, once, on that one call
