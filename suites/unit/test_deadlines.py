"""The request deadline has two guards, and each test here lets only one of them fire.

1. The agent's own check (`AgentGuard`): an agent never starts after the request's deadline, and
   its budget is cut to what is left of it; its error names the agent (`errors[0].agent`).
2. The whole-request backstop (`SupportSystem.ainvoke`, a little after the deadline): it catches
   a hang outside any LLM call; its error names `system`.

The agents' budgets come from the fake clock, the backstop from real time: moving the fake clock
past the deadline makes only the agent's check fire (the backstop is seconds away), and a hang
outside every agent (a delayed handoff) leaves only the backstop. The service's own backstop
(deadline plus grace, a 503) is tested with the service, in test_service_handlers.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.llm import Call, MockLLM
from support_desk import FakeClock, HandoffRule, SupportSystem, load_settings
from support_desk._errors import DeadlineExceededError
from support_desk._guard import AgentGuard

Make = Callable[..., SupportSystem]
HangCalls = Callable[[SupportSystem, str], None]  # the `hang_calls_of` fixture
SPECIALISTS = ("technical_support", "billing_support", "general_support")
# Past the deadline, the specialists that have a generic answer give it; billing's money questions
# go to a human.
FALLBACK = {"technical_support": "generic", "general_support": "generic", "billing_support": "escalation"}
DEADLINE_S = 10.0  # in fake seconds for the agents; the backstop would wait 10.55 real ones


def route_then_advance(clock: FakeClock, agent: str, seconds: float) -> Callable[[Call], str]:
    """A supervisor reply that routes to `agent` and lets `seconds` pass on the fake clock."""

    def reply(_call: Call) -> str:
        clock.advance(seconds)
        return agent

    return reply


def assert_the_agents_check_fired(result: Any, agent: str, message: str) -> None:
    (error,) = result.errors  # the agent's, and no backstop's ("system")
    assert (error["agent"], error["code"]) == (agent, "deadline_exceeded")
    assert message in error["message"]
    assert result.fallback == FALLBACK[agent] and result.degraded
    if FALLBACK[agent] == "escalation":
        assert result.escalated and result.escalation_reason == "deadline_exceeded"


# -- 1. the agent's own check ------------------------------------------------------------------------


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_an_agent_does_not_start_after_the_deadline(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, agent: str
) -> None:
    system = make_system(timeouts={"request_deadline_s": DEADLINE_S})
    mock_llm.agent("supervisor").side_effect = route_then_advance(clock, agent, DEADLINE_S + 0.5)
    result = await asyncio.wait_for(system.ainvoke("A slow first step"), timeout=3)
    mock_llm.agent(agent).assert_not_called()
    assert_the_agents_check_fired(result, agent, "the request deadline passed before it could start")


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_an_agents_budget_is_cut_to_what_is_left_of_the_deadline(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, agent: str, hang_calls_of: HangCalls
) -> None:
    # Its own timeout is 5 s; 0.1 s of the deadline is left when it starts, and its LLM hangs.
    system = make_system(timeouts={"fast_agent_s": 5, "technical_s": 5, "request_deadline_s": DEADLINE_S})
    mock_llm.agent("supervisor").side_effect = route_then_advance(clock, agent, DEADLINE_S - 0.1)
    hang_calls_of(system, agent)
    result = await asyncio.wait_for(system.ainvoke("A slow second step"), timeout=3)
    assert_the_agents_check_fired(result, agent, "the request deadline passed while it was working")
    assert result.latency_ms < 2000  # 0.1 s, not the agent's 5 s nor the backstop's 10.55 s


async def test_the_supervisors_budget_is_cut_to_the_deadline(clock: FakeClock) -> None:
    # The supervisor runs first, so the fake clock cannot pass the deadline before it through the
    # system: its guard is driven directly.
    guard = AgentGuard("supervisor", load_settings(timeouts={"fast_agent_s": 5}), clock)

    async def hang(_timeout: float) -> None:
        await asyncio.sleep(30)

    assert guard.budget(clock.monotonic() + 0.1) == pytest.approx(0.1)
    with pytest.raises(DeadlineExceededError, match="supervisor: the request deadline passed while"):
        await asyncio.wait_for(guard.call(hang, deadline_at=clock.monotonic() + 0.1), timeout=3)
    with pytest.raises(DeadlineExceededError, match="supervisor: the request deadline passed before"):
        await guard.call(hang, deadline_at=clock.monotonic())


async def test_a_deadline_cut_counts_as_the_agents_failure(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, hang_calls_of: HangCalls
) -> None:
    system = make_system(
        timeouts={"fast_agent_s": 5, "request_deadline_s": DEADLINE_S},
        breaker={"failure_threshold": 2},
        retry={"attempts": 1, "jitter": False},
    )
    mock_llm.agent("supervisor").side_effect = route_then_advance(clock, "billing_support", DEADLINE_S - 0.05)
    hang_calls_of(system, "billing_support")
    for i in range(2):
        await asyncio.wait_for(system.ainvoke(f"slow billing question {i}"), timeout=3)
    breakers = system.health()["breakers"]
    assert breakers["billing_support"] == "open" and breakers["supervisor"] == "closed"


# -- 2. the whole-request backstop -------------------------------------------------------------------


def held_handoff(make_system: Make, mock_llm: MockLLM, **settings: Any) -> SupportSystem:
    """A system whose supervisor answers at once but whose handoff is held for 5 s: no agent is
    working, so no agent's check can see the deadline pass."""
    system = make_system(timeouts={"request_deadline_s": 0.2}, **settings)
    system.handoff.set([HandoffRule(kind="delay", delay_ms=5000, source="supervisor")])
    mock_llm.agent("supervisor").return_value = "billing_support"
    return system


async def test_the_backstop_cuts_a_hang_outside_every_agent(make_system: Make, mock_llm: MockLLM) -> None:
    system = held_handoff(make_system, mock_llm)
    result = await asyncio.wait_for(system.ainvoke("A lost handoff"), timeout=3)
    (error,) = result.errors  # the backstop's alone: no agent saw the deadline
    assert (error["agent"], error["code"]) == ("system", "deadline_exceeded")
    assert (result.escalated, result.escalation_reason, result.fallback) == (
        True,
        "deadline_exceeded",
        "escalation",
    )
    assert result.route == "escalate_to_human" and result.degraded
    assert 200 <= result.latency_ms < 2000  # at the deadline (x 1.05), not at the 5 s handoff
    mock_llm.agent("billing_support").assert_not_called()


async def test_without_fallbacks_the_backstop_raises_the_deadline(
    make_system: Make, mock_llm: MockLLM
) -> None:
    system = held_handoff(make_system, mock_llm, resilience={"fallback": False})
    with pytest.raises(DeadlineExceededError, match=r"passed its 0\.2 s deadline"):
        await asyncio.wait_for(system.ainvoke("A lost handoff"), timeout=3)


async def test_with_timeouts_off_nothing_cuts_the_held_handoff(make_system: Make, mock_llm: MockLLM) -> None:
    system = held_handoff(make_system, mock_llm, resilience={"timeouts": False})
    task = asyncio.ensure_future(system.ainvoke("A lost handoff"))
    done, _ = await asyncio.wait({task}, timeout=0.6)
    assert not done  # the backstop is what ended it above
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
