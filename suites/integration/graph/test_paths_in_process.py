"""Graph path coverage in process: every edge, escalation reason and fallback of the reference
graph, each driven by a scripted mock LLM. The run fails if any one was not reached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._pathcov import PathCoverage, edges_of
from harness.llm import DEFAULT_BASE_URL, MockLLM, faults
from support_desk import (
    EscalationReason,
    FakeClock,
    Fallback,
    HandoffFaults,
    HandoffRule,
    SupportSystem,
    load_settings,
)
from support_desk import specialist_reply as answer

REPORTS = Path(__file__).resolve().parents[3] / "reports" / "integration"


@dataclass
class Case:
    name: str
    query: str
    script: Callable[[MockLLM, FakeClock], None]
    expect: dict[str, Any]
    tier: str = "standard"
    warmup: list[str] = field(default_factory=list)  # queries sent first (e.g. to fill the cache)
    before: Callable[[FakeClock], None] | None = None  # runs between warm-up and the case
    handoff: list[HandoffRule] = field(default_factory=list)


def route_to(route: str, reply: Any) -> Callable[[MockLLM, FakeClock], None]:
    def script(llm: MockLLM, clock: FakeClock) -> None:
        llm.agent("supervisor").return_value = route
        llm.agent(route).return_value = reply

    return script


def supervisor_says(reply: Any) -> Callable[[MockLLM, FakeClock], None]:
    return lambda llm, clock: setattr(llm.agent("supervisor"), "return_value", reply)


def warm_then_fail(agent: str) -> Callable[[MockLLM, FakeClock], None]:
    def script(llm: MockLLM, clock: FakeClock) -> None:
        llm.agent("supervisor").side_effect = ["general_support"] + [faults.Status(503)] * 3
        llm.agent("general_support").return_value = answer("Open 9 to 5.", 0.95)

    return script


def deadline_during_supervisor(llm: MockLLM, clock: FakeClock) -> None:
    def slow_supervisor(call: Any) -> str:
        clock.advance(60)  # the supervisor took the whole request budget
        return "billing_support"

    llm.agent("supervisor").side_effect = slow_supervisor


CASES = [
    *(
        Case(
            f"{r} answers",
            "Some question",
            route_to(r, answer("Sure.", 0.9)),
            {"route": r, "escalated": False},
        )
        for r in ("technical_support", "billing_support", "general_support")
    ),
    *(
        Case(
            f"{r} low confidence",
            "Vague question",
            route_to(r, answer("Maybe.", 0.4)),
            {"route": r, "escalation_reason": "low_confidence"},
        )
        for r in ("technical_support", "billing_support", "general_support")
    ),
    Case(
        "supervisor escalates",
        "Your staff was rude",
        supervisor_says("escalate_to_human"),
        {"escalation_reason": "supervisor_decision"},
    ),
    Case("unrecognised route", "???", supervisor_says("banana"), {"escalation_reason": "unrecognised_route"}),
    Case("vip", "Opening hours?", lambda llm, c: None, {"escalation_reason": "vip_customer"}, tier="vip"),
    Case(
        "cancellation",
        "Quiero cancelar mi cuenta",
        lambda llm, c: None,
        {"escalation_reason": "cancellation_or_refund"},
    ),
    Case(
        "cache hit",
        "When do you open?",
        route_to("general_support", answer("9 to 5.", 0.9)),
        {"cache_hit": True},
        warmup=["When do you open?"],
    ),
    Case(
        "garbled cached answer",
        "When do you open?",
        route_to("general_support", answer("9 to 5.", 0.9)),
        {"escalation_reason": "invalid_handoff", "path": ["cached_answer", "escalate_to_human"]},
        warmup=["When do you open?"],
        handoff=[HandoffRule(kind="corrupt", source="cached_answer")],
    ),
    Case(
        "stale cache when the supervisor is down",
        "When do you open?",
        warm_then_fail("supervisor"),
        {"fallback": "cache", "path": ["supervisor"]},
        warmup=["When do you open?"],
        before=lambda clock: clock.advance(7200),
    ),
    Case(
        "technical down: generic answer",
        "App crashes",
        route_to("technical_support", faults.Status(503)),
        {"fallback": "generic", "escalated": False},
    ),
    Case(
        "billing down: escalation",
        "Invoice wrong",
        route_to("billing_support", faults.Status(503)),
        {"fallback": "escalation", "escalation_reason": "agent_unavailable"},
    ),
    Case("deadline", "Invoice wrong", deadline_during_supervisor, {"escalation_reason": "deadline_exceeded"}),
    Case(
        "garbled supervisor handoff",
        "Invoice wrong",
        route_to("billing_support", answer()),
        {"escalation_reason": "invalid_handoff", "route": "escalate_to_human"},
        handoff=[HandoffRule(kind="corrupt", source="supervisor")],
    ),
    Case(
        "specialist handoff lost",
        "App crashes",
        route_to("technical_support", answer()),
        {"escalation_reason": "invalid_handoff"},
        handoff=[HandoffRule(kind="drop", source="technical_support")],
    ),
]


async def test_every_edge_reason_and_fallback_is_exercised_in_process() -> None:
    coverage = None
    failures = []
    for case in CASES:
        clock = FakeClock()
        system = SupportSystem(
            load_settings(llm_base_url=DEFAULT_BASE_URL, retry={"jitter": False, "attempts": 1}),
            clock=clock,
            handoff=HandoffFaults(case.handoff),
        )
        coverage = coverage or PathCoverage(
            edges_of(system.graph),
            reason=[r.value for r in EscalationReason],
            fallback=[f.value for f in Fallback],
        )
        async with MockLLM() as llm:
            case.script(llm, clock)
            for query in case.warmup:
                await system.ainvoke(query)
            if case.before:
                case.before(clock)
            result = await system.ainvoke(case.query, customer_tier=case.tier)
        await system.aclose()
        coverage.record(result.path, reason=result.escalation_reason, fallback=result.fallback)
        got = result.model_dump()
        wrong = {k: (got[k], v) for k, v in case.expect.items() if got[k] != v}
        if wrong:
            failures.append(f"{case.name}: (got, expected) {wrong}")
    assert coverage is not None
    coverage.write(REPORTS / "graph_coverage_in_process.json")
    assert not failures, "\n".join(failures)
    assert coverage.complete, coverage.summary()
    assert coverage.edge_percent == 100.0
