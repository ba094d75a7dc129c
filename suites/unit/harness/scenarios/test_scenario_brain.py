"""The scenario brain plays a tool-calling team's LLM from its labelled scenarios: the router hands
off to the expected route, a worker calls its expected tools, then answers."""

from __future__ import annotations

from typing import Any

import pytest

from harness.llm import Reply
from harness.scenarios import Scenario, ScenarioBrain

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


def _scenario(query: str, route: str, tools: list[Any] | None = None) -> Scenario:
    expected: dict[str, Any] = {"route": route, "escalated": route == "human", "tool_calls": tools or []}
    if route == "human":
        expected["reason"] = "asked_for_one"
    return Scenario.model_validate(
        {"id": f"s-{route}", "query": query, "category": "c", "expected": expected}
    )


BRAIN = ScenarioBrain(
    [
        _scenario(
            "my invoice is wrong",
            "billing",
            ["lookup_invoice", {"name": "refund", "arguments": {"amount": 5}}],
        ),
        _scenario("the app crashes", "tech"),
        _scenario("I want a person", "human"),
    ],
    router="supervisor",
)
HANDOFFS = [{"type": "function", "function": {"name": f"transfer_to_{a}"}} for a in ("billing", "tech")]


def _tool(name: str, required: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"type": "object", "properties": {}}
    if required:
        params = {"type": "object", "properties": {required: {"type": "string"}}, "required": [required]}
    return {"type": "function", "function": {"name": name, "parameters": params}}


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "route"}, {"role": "user", "content": text}]


def _called(reply: Reply | str) -> list[tuple[str, Any]]:
    assert isinstance(reply, Reply), reply
    return [(c.name, c.arguments) for c in reply.tool_calls]


def test_the_router_hands_off_to_the_expected_route() -> None:
    assert _called(BRAIN("supervisor", _user("my invoice is wrong"), "m", tools=HANDOFFS)) == [
        ("transfer_to_billing", {})
    ]
    assert _called(BRAIN("supervisor", _user("the app crashes #17"), "m", tools=HANDOFFS)) == [
        ("transfer_to_tech", {})
    ]  # a chaos run's unique suffix is not part of the query


def test_a_route_no_tool_hands_to_is_said_as_a_label() -> None:
    assert BRAIN("supervisor", _user("I want a person"), "m", tools=HANDOFFS) == "human"


def test_after_the_handoff_the_router_gives_the_workers_answer() -> None:
    messages = [
        *_user("the app crashes"),
        _assistant_call("transfer_to_tech"),
        {"role": "tool", "tool_call_id": "transfer_to_tech", "content": "Transferred"},
        {"role": "assistant", "content": "Reinstall the app."},
    ]
    assert BRAIN("supervisor", messages, "m", tools=HANDOFFS) == "Reinstall the app."


def test_a_worker_calls_its_expected_tools_in_turn_then_answers() -> None:
    tools = [_tool("lookup_invoice", required="invoice_id"), _tool("refund")]
    messages = _user("my invoice is wrong")
    first = BRAIN("billing", messages, "m", tools=tools)
    assert _called(first) == [("lookup_invoice", {"invoice_id": "mock"})]  # placeholder fits the schema
    messages += [
        _assistant_call("lookup_invoice"),
        {"role": "tool", "tool_call_id": "x", "content": "42 EUR"},
    ]
    assert _called(BRAIN("billing", messages, "m", tools=tools)) == [("refund", {"amount": 5})]
    messages += [_assistant_call("refund"), {"role": "tool", "tool_call_id": "y", "content": "done"}]
    final = BRAIN("billing", messages, "m", tools=tools)
    assert isinstance(final, str) and "my invoice is wrong" in final


def test_a_worker_without_expected_tools_calls_one_once() -> None:
    tools = [_tool("search_docs", required="q")]
    messages = _user("the app crashes")
    assert _called(BRAIN("tech", messages, "m", tools=tools)) == [("search_docs", {"q": "mock"})]
    messages += [_assistant_call("search_docs"), {"role": "tool", "tool_call_id": "x", "content": "doc"}]
    assert isinstance(BRAIN("tech", messages, "m", tools=tools), str)


def test_a_label_router_without_tools_says_the_route() -> None:
    assert BRAIN("supervisor", _user("the app crashes"), "m") == "tech"


def test_an_unlabelled_turn_gets_a_deterministic_handoff() -> None:
    picks = {
        _called(BRAIN("supervisor", _user("something else"), "m", tools=HANDOFFS))[0][0] for _ in range(3)
    }
    assert len(picks) == 1 and picks <= {"transfer_to_billing", "transfer_to_tech"}


def _assistant_call(name: str) -> dict[str, Any]:
    call = {"id": name, "type": "function", "function": {"name": name, "arguments": "{}"}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


@pytest.mark.parametrize(
    ("match", "called", "problem"),
    [
        ("in_order", ["lookup_invoice", "log", "refund"], None),
        ("in_order", ["refund", "lookup_invoice"], "call 2: expected 'refund', got 'nothing'"),
        ("in_order", ["lookup_invoice"], "call 2: expected 'refund', got 'nothing'"),
        ("exact", ["lookup_invoice", "refund"], None),
        ("exact", ["lookup_invoice", "log", "refund"], "call 2: expected 'refund', got 'log'"),
        ("exact", ["lookup_invoice", "refund", "log"], "call 3: 'log' was not expected"),
        ("subset", ["refund", "x", "lookup_invoice"], None),
        ("subset", ["lookup_invoice"], "never called 'refund'"),
    ],
)
def test_a_trajectory_reports_its_first_divergence(
    match: str, called: list[str], problem: str | None
) -> None:
    expected = _scenario("q", "billing", ["lookup_invoice", "refund"]).expected.model_copy(
        update={"tool_match": match}
    )
    got = expected.divergence(called)
    assert got == problem if problem is None else got is not None and got.startswith(problem)
