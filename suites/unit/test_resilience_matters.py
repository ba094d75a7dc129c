"""Each resilience mechanism, through the whole system: on, it saves the request; off, it does not.

Every test here runs twice, with the mechanism on and switched off by configuration, and asserts a
different outcome for each: remove the mechanism and the 'on' assertion fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.llm import MockLLM, faults
from support_desk import FakeClock, SupportSystem
from support_desk import specialist_reply as answer
from support_desk._errors import LLMServerError
from support_desk._graph import build_graph

ON_OFF = pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
Make = Callable[..., SupportSystem]


def switch(name: str, on: bool) -> dict[str, Any]:
    return {"resilience": {name: on}}


@ON_OFF
async def test_retry_asks_the_supervisor_again_after_a_label_naming_no_route(
    make_system: Make, mock_llm: MockLLM, on: bool
) -> None:
    system = make_system(**switch("retry", on))
    mock_llm.agent("supervisor").side_effect = ["sales_team", "billing_support"]
    mock_llm.agent("billing_support").return_value = answer("Your invoice is fine.", confidence=0.9)
    result = await system.ainvoke("Why is my invoice so high?")
    if on:
        assert result.route == "billing_support" and not result.escalated
        assert [c.agent for c in mock_llm.calls] == ["supervisor", "supervisor", "billing_support"]
    else:
        assert result.escalated and result.escalation_reason == "unrecognised_route"
        assert [c.agent for c in mock_llm.calls] == ["supervisor"]


@ON_OFF
async def test_retry_turns_a_transient_503_into_a_normal_answer(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, on: bool
) -> None:
    system = make_system(**switch("retry", on))
    mock_llm.agent("supervisor").side_effect = [faults.Status(503), "billing_support"]
    mock_llm.agent("billing_support").return_value = answer()
    result = await system.ainvoke("Invoice question")
    if on:
        assert (result.route, result.degraded, result.fallback) == ("billing_support", False, None)
        assert clock.sleeps == [0.5]
    else:
        assert result.degraded and result.fallback == "escalation"
        assert result.errors[0]["code"] == "llm_5xx"
        mock_llm.agent("billing_support").reset()  # not reached: keep the teardown check quiet


@ON_OFF
async def test_breaker_stops_hammering_a_dead_llm(make_system: Make, mock_llm: MockLLM, on: bool) -> None:
    system = make_system(**switch("breaker", on))
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    for i in range(8):
        result = await system.ainvoke(f"Question number {i}")
        assert result.escalated and result.fallback == "escalation"
    calls = mock_llm.agent("supervisor").call_count
    if on:
        assert calls == 5 * 3  # five failed requests of three attempts, then the breaker opens
        assert system.health()["breakers"]["supervisor"] == "open"
        assert result.errors[0]["code"] == "circuit_open"
    else:
        assert calls == 8 * 3


async def test_breaker_half_opens_after_reset_timeout_and_closes_on_success(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock
) -> None:
    system = make_system(breaker={"failure_threshold": 2, "reset_timeout_s": 30})
    mock_llm.agent("supervisor").side_effect = [faults.Status(500)] * 6 + ["general_support"]
    mock_llm.agent("general_support").return_value = answer()
    for i in range(3):
        await system.ainvoke(f"q{i}")
    assert system.health()["breakers"]["supervisor"] == "open"
    clock.advance(31)
    assert system.health()["breakers"]["supervisor"] == "half_open"
    result = await system.ainvoke("after the storm")
    assert result.route == "general_support" and not result.degraded
    assert system.health()["breakers"]["supervisor"] == "closed"


async def _hang(**_: Any) -> Any:
    await asyncio.sleep(30)


@ON_OFF
async def test_timeouts_bound_a_hanging_llm(make_system: Make, on: bool) -> None:
    system = make_system(timeouts={"fast_agent_s": 0.05, "request_deadline_s": 0.2}, **switch("timeouts", on))
    system.llm.complete = _hang  # type: ignore[method-assign]
    task = asyncio.ensure_future(system.ainvoke("Anyone there?"))
    done, _ = await asyncio.wait({task}, timeout=0.6)
    if on:
        result = task.result()
        assert result.escalated and result.errors[0]["code"] == "llm_timeout"
    else:
        assert not done  # without timeouts the request is still hanging
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_request_deadline_cuts_the_whole_graph(make_system: Make) -> None:
    # Agent timeouts larger than the deadline: only the request deadline can stop this.
    system = make_system(timeouts={"fast_agent_s": 5, "technical_s": 5, "request_deadline_s": 0.1})
    system.llm.complete = _hang  # type: ignore[method-assign]
    result = await asyncio.wait_for(system.ainvoke("Slow one"), timeout=2)
    assert result.escalated and result.escalation_reason == "deadline_exceeded"
    assert result.errors[0]["code"] == "deadline_exceeded"
    assert result.latency_ms < 1500


@ON_OFF
async def test_rate_limiter_protects_the_llm_from_a_burst(
    make_system: Make, mock_llm: MockLLM, on: bool
) -> None:
    system = make_system(rate_limit={"requests_per_minute": 3, "max_wait_s": 0}, **switch("rate_limit", on))
    mock_llm.agent("supervisor").return_value = "escalate_to_human"
    results = [await system.ainvoke(f"burst {i}") for i in range(6)]
    calls = mock_llm.agent("supervisor").call_count
    if on:
        assert calls == 3
        assert [r.errors[0]["code"] for r in results[3:]] == ["rate_limited"] * 3
    else:
        assert calls == 6


@ON_OFF
async def test_fallback_answers_instead_of_failing(make_system: Make, mock_llm: MockLLM, on: bool) -> None:
    system = make_system(**switch("fallback", on))
    mock_llm.agent("supervisor").return_value = faults.Status(503)
    if on:
        result = await system.ainvoke("Hello")
        assert result.escalated and result.escalation_reason == "agent_unavailable"
    else:
        with pytest.raises(LLMServerError):
            await system.ainvoke("Hello")


async def test_fallback_order_cache_then_generic_then_escalation(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock
) -> None:
    system = make_system(cache={"ttl_s": 10})
    mock_llm.agent("supervisor").return_value = "technical_support"
    mock_llm.agent("technical_support").side_effect = [answer("Clear the cache.", 0.9)] + [
        faults.Status(503)
    ] * 6
    await system.ainvoke("The app is slow")
    clock.advance(11)  # the cached answer expired: it may only serve as a fallback now
    stale = await system.ainvoke("The app is slow")
    assert (stale.fallback, stale.answer, stale.degraded) == ("cache", "Clear the cache.", True)
    generic = await system.ainvoke("The app crashes")
    assert generic.fallback == "generic" and not generic.escalated


@ON_OFF
async def test_cache_saves_llm_calls_and_tokens(make_system: Make, mock_llm: MockLLM, on: bool) -> None:
    system = make_system(**switch("cache", on))
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer("We open at 9.", 0.9)
    for _ in range(3):
        last = await system.ainvoke("When do you open?")
    assert len(mock_llm.calls) == (2 if on else 6)
    assert last.cache_hit is on


@ON_OFF
async def test_request_deadline_backstop_catches_a_hang_outside_any_llm_call(
    make_system: Make, on: bool
) -> None:
    system = make_system(timeouts={"request_deadline_s": 0.1}, **switch("timeouts", on))
    system.nodes.supervisor = _hang_node  # type: ignore[method-assign]
    system.graph = build_graph(system.nodes)
    task = asyncio.ensure_future(system.ainvoke("Stuck in the supervisor, before any LLM call"))
    done, _ = await asyncio.wait({task}, timeout=0.6)
    if on:
        result = task.result()
        assert result.escalation_reason == "deadline_exceeded" and result.errors[-1]["agent"] == "system"
    else:
        assert not done
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def _hang_node(state: Any) -> Any:
    await asyncio.sleep(30)
