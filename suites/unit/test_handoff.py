"""Handoff faults between agents reach the graph, and the graph survives each one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from harness._pathcov import edges_of
from harness.llm import MockLLM
from support_desk import EDGES, HandoffFaults, HandoffRule, SupportSystem
from support_desk import specialist_reply as answer

Make = Callable[..., SupportSystem]


def with_faults(make_system: Make, *rules: HandoffRule, seed: int = 0) -> SupportSystem:
    system = make_system()
    system.handoff.set(list(rules), seed)
    return system


def script(llm: MockLLM, route: str = "billing_support") -> None:
    llm.agent("supervisor").return_value = route
    llm.agent(route).return_value = answer("All sorted.", 0.9)


def test_edges_constant_matches_the_compiled_graph(system: SupportSystem) -> None:
    assert set(EDGES) == edges_of(system.graph)


@pytest.mark.parametrize("kind", ["drop", "corrupt"])
async def test_lost_or_garbled_route_goes_to_a_human(make_system: Make, mock_llm: MockLLM, kind: str) -> None:
    system = with_faults(make_system, HandoffRule(kind=kind, source="supervisor"))
    script(mock_llm)
    result = await system.ainvoke("Invoice question")
    assert result.escalated and result.escalation_reason == "invalid_handoff"
    assert result.route == "escalate_to_human"  # never the garbled label
    mock_llm.agent("billing_support").assert_not_called()
    assert system.handoff.snapshot()["fired"] == {f"{kind}:supervisor": 1}


@pytest.mark.parametrize("kind", ["drop", "corrupt"])
async def test_lost_or_garbled_answer_goes_to_a_human(
    make_system: Make, mock_llm: MockLLM, kind: str
) -> None:
    system = with_faults(make_system, HandoffRule(kind=kind, source="billing_support"))
    script(mock_llm)
    result = await system.ainvoke("Invoice question")
    assert result.escalation_reason == "invalid_handoff" and "\ufffd" not in result.answer


async def test_without_the_fault_the_same_request_is_answered(make_system: Make, mock_llm: MockLLM) -> None:
    system = with_faults(make_system, HandoffRule(kind="corrupt", source="billing_support", probability=0))
    script(mock_llm)
    result = await system.ainvoke("Invoice question")
    assert (result.escalated, result.answer) == (False, "All sorted.")


@pytest.mark.parametrize("idempotent", [True, False], ids=["defence on", "defence off"])
async def test_a_duplicated_update_is_applied_once_unless_the_defence_is_off(
    make_system: Make, mock_llm: MockLLM, idempotent: bool
) -> None:
    plain = make_system()
    doubled = make_system(resilience={"idempotency": idempotent})
    doubled.handoff.set([HandoffRule(kind="duplicate", source="billing_support")])
    script(mock_llm)
    a = await plain.ainvoke("Invoice question one")
    b = await doubled.ainvoke("Invoice question two")
    assert doubled.handoff.snapshot()["fired"] == {"duplicate:billing_support": 1}
    factor = 1 if idempotent else 2
    assert b.agents["billing_support"]["tokens_in"] == factor * a.agents["billing_support"]["tokens_in"]
    assert b.cost_usd == pytest.approx(
        factor * a.cost_usd - (factor - 1) * a.agents["supervisor"]["cost_usd"]
    )
    assert b.answer == a.answer and not b.escalated


async def test_delay_holds_the_handoff(make_system: Make, mock_llm: MockLLM) -> None:
    system = with_faults(make_system, HandoffRule(kind="delay", source="supervisor", delay_ms=120))
    script(mock_llm)
    result = await system.ainvoke("Invoice question")
    assert result.latency_ms >= 120 and not result.escalated


async def test_a_vip_is_never_answered_from_the_cache(make_system: Make, mock_llm: MockLLM) -> None:
    system = make_system()
    script(mock_llm, "general_support")
    await system.ainvoke("Opening hours?")  # cached for a standard customer
    before = len(mock_llm.calls)
    result = await system.ainvoke("Opening hours?", customer_tier="vip")
    assert (result.escalation_reason, result.cache_hit) == ("vip_customer", False)
    assert result.path == ["escalate_to_human"]
    assert len(mock_llm.calls) == before


def test_seeded_rules_fire_reproducibly() -> None:
    async def fire(seed: int) -> list[bool]:
        faults = HandoffFaults([HandoffRule(kind="drop", probability=0.5)], seed=seed)
        return [
            (await faults.apply("supervisor", {"route": "x", "path": ["supervisor"]}))
            != [{"route": "x", "path": ["supervisor"]}]
            for _ in range(40)
        ]

    first, again, other = (asyncio.run(fire(s)) for s in (3, 3, 4))
    assert first == again and first != other and 5 < sum(first) < 35


def test_clear_and_bad_rules() -> None:
    faults = HandoffFaults([HandoffRule(kind="drop")])
    faults.clear()
    assert faults.snapshot()["rules"] == []
    with pytest.raises(ValueError, match="kind"):
        HandoffRule(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probability"):
        HandoffRule(kind="drop", probability=2)


async def test_a_garbled_cache_hit_is_refused_not_served(make_system: Make, mock_llm: MockLLM) -> None:
    system = make_system()
    script(mock_llm, "general_support")
    await system.ainvoke("When do you open?")
    system.handoff.set([HandoffRule(kind="corrupt", source="cached_answer")])
    result = await system.ainvoke("When do you open?")
    assert result.escalation_reason == "invalid_handoff" and result.confidence is None
    assert result.model_dump_json()  # valid JSON: no NaN reaches the caller
