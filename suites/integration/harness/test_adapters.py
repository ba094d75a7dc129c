"""The three adapters drive a LangGraph graph, an HTTP endpoint and a callable the same way."""

from __future__ import annotations

from typing import Any, TypedDict

import httpx
import pytest
from langgraph.graph import END, START, StateGraph

from harness._exceptions import ConfigError
from harness._pathcov import PathCoverage, edges_of
from harness.sut import (
    CallableSystem,
    GraphSystem,
    HttpSpec,
    HTTPSystem,
    ReplyFields,
    SystemUnderTest,
    Turn,
    load_system,
)

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


class TinyState(TypedDict, total=False):
    query: str
    dept: str
    reply: str


def _triage(state: TinyState) -> TinyState:
    return {"dept": "billing" if "invoice" in state["query"] else "tech"}


def _billing(state: TinyState) -> TinyState:
    return {"reply": "billing answer"}


def _tech(state: TinyState) -> TinyState:
    return {"reply": "tech answer"}


def tiny_graph() -> Any:
    g = StateGraph(TinyState)
    g.add_node("triage", _triage)
    g.add_node("billing", _billing)
    g.add_node("tech", _tech)
    g.add_edge(START, "triage")
    g.add_conditional_edges("triage", lambda s: s["dept"], ["billing", "tech"])
    g.add_edge("billing", END)
    g.add_edge("tech", END)
    return g.compile()


def from_tiny(state: dict[str, Any]) -> dict[str, Any]:
    return {"answer": state["reply"], "route": state["dept"]}


async def test_a_teams_own_graph_with_path_coverage() -> None:
    graph = tiny_graph()
    system = GraphSystem(graph, to_input=lambda t: {"query": t.query}, from_output=from_tiny)
    assert isinstance(system, SystemUnderTest)
    coverage = PathCoverage(edges_of(graph))
    for query in ("my invoice", "it crashes"):
        outcome = await system.ask(Turn(query=query))
        assert outcome.status == "ok"
        coverage.record(outcome.path)
    assert outcome.path == ["triage", "tech"] and outcome.answer == "tech answer"
    assert coverage.complete and coverage.edge_percent == 100


async def test_partial_coverage_names_the_missing_edges() -> None:
    graph = tiny_graph()
    system = GraphSystem(graph, to_input=lambda t: {"query": t.query}, from_output=from_tiny)
    coverage = PathCoverage(edges_of(graph), reason={"a", "b"})
    coverage.record((await system.ask(Turn(query="my invoice"))).path, reason="a")
    assert not coverage.complete
    assert coverage.missing_edges == [("tech", "__end__"), ("triage", "tech")]
    assert coverage.missing("reason") == ["b"]
    assert "missing edge triage -> tech" in coverage.summary()


async def test_graph_errors_are_outcomes_not_crashes() -> None:
    system = GraphSystem(tiny_graph(), to_input=lambda t: {})
    outcome = await system.ask(Turn(query="x"))
    assert outcome.status == "error" and "KeyError" in (outcome.error or "")


def test_graph_adapter_rejects_an_uncompiled_graph() -> None:
    with pytest.raises(TypeError, match=r"call \.compile\(\)"):
        GraphSystem(StateGraph(TinyState))


async def test_callable_sync_and_async() -> None:
    def sync_fn(query: str, **_: Any) -> dict[str, Any]:
        return {"answer": query.upper(), "route": "general_support", "tokens": {"in": 3, "out": 4}}

    async def async_fn(query: str, **_: Any) -> str:
        return "plain " + query

    a = await CallableSystem(sync_fn).ask(Turn(query="hi"))
    b = await CallableSystem(async_fn).ask(Turn(query="hi"))
    assert (a.answer, a.tokens_in, a.tokens_out, a.route) == ("HI", 3, 4, "general_support")
    assert b.answer == "plain hi" and b.latency_ms > 0


async def test_callable_bad_return_type_is_an_error_outcome() -> None:
    outcome = await CallableSystem(lambda q, **_: 42).ask(Turn(query="x"))
    assert outcome.status == "error" and "return a dict" in (outcome.error or "")


def _endpoint(request: httpx.Request) -> httpx.Response:
    import json

    body = json.loads(request.content)
    if not body["query"].strip():
        return httpx.Response(422, json={"error": "query is empty"})
    if body["query"] == "busy":
        return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "slow down"})
    return httpx.Response(
        200,
        json={
            "route": "billing_support",
            "answer": "ok",
            "escalated": False,
            "tokens": {"in": 10, "out": 2},
            "trace_id": request.headers["x-request-id"],
        },
    )


@pytest.mark.parametrize(
    ("query", "status", "retriable"),
    [("invoice", "ok", False), (" ", "rejected", False), ("busy", "error", True)],
)
async def test_http_endpoint(query: str, status: str, retriable: bool) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(_endpoint))
    # The reply's own shape, declared: tokens under "tokens" as {"in", "out"}.
    spec = HttpSpec(path="/v1/chat", reply=ReplyFields(tokens_in="tokens.in", tokens_out="tokens.out"))
    system = HTTPSystem("http://svc", spec, client=client)
    outcome = await system.ask(Turn(query=query, request_id="r-9"))
    assert (outcome.status, outcome.retriable) == (status, retriable)
    if status == "ok":
        assert outcome.tokens_in == 10 and outcome.trace_id == "r-9"
    await client.aclose()


async def test_http_connection_refused_is_a_retriable_error() -> None:
    system = HTTPSystem("http://127.0.0.1:9/v1/chat", timeout_s=2)
    outcome = await system.ask(Turn(query="x"))
    assert outcome.status == "error" and outcome.retriable and "ConnectError" in (outcome.error or "")
    await system.aclose()


def test_load_system_specs() -> None:
    assert isinstance(load_system("http://127.0.0.1:1/v1/chat"), HTTPSystem)
    assert isinstance(load_system(f"{__name__}:tiny_graph"), GraphSystem)  # a zero-arg factory
    assert isinstance(load_system(f"{__name__}:_triage"), CallableSystem)
    with pytest.raises(ConfigError, match=r"package\.module:attribute"):
        load_system("nonsense")
    with pytest.raises(ConfigError, match="cannot import it"):
        load_system("no_such_module_xyz:thing")
    with pytest.raises(ConfigError, match="expected a compiled LangGraph graph"):
        load_system(f"{__name__}:__doc__")
