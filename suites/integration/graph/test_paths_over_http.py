"""Graph path coverage over real HTTP: the stack (mock LLM server + reference service), faults set
through the mock server's control API. Every edge, reason and fallback, or the run fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness._pathcov import PathCoverage
from harness.stack import Stack
from support_desk import EDGES, EscalationReason, Fallback

REPORTS = Path(__file__).resolve().parents[3] / "reports" / "integration"


def down(agent: str) -> dict[str, Any]:
    return {"kind": "status", "status": 503, "probability": 1, "target": {"agent": agent}}


@dataclass
class Case:
    name: str
    query: str
    expect: dict[str, Any]
    faults: list[dict[str, Any]] = field(default_factory=list)
    tier: str = "standard"
    warmup: bool = False  # ask once without faults first, then wait for the 1 s cache TTL
    stale: bool = False
    handoff: list[dict[str, Any]] = field(default_factory=list)  # the service's handoff faults


CASES = [
    Case(
        "technical", "My app crashes when I upload a file", {"route": "technical_support", "escalated": False}
    ),
    Case(
        "billing", "Why was I charged twice on my invoice?", {"route": "billing_support", "escalated": False}
    ),
    Case("general", "What are your opening hours?", {"route": "general_support", "escalated": False}),
    Case("technical low confidence", "the app is a bit odd", {"escalation_reason": "low_confidence"}),
    Case("billing low confidence", "the price", {"escalation_reason": "low_confidence"}),
    Case("general low confidence", "I have a question", {"escalation_reason": "low_confidence"}),
    Case(
        "supervisor escalates",
        "Your staff was rude and I will sue you",
        {"escalation_reason": "supervisor_decision"},
    ),
    Case(
        "unrecognised label",
        "La aplicación se cierra al abrirla",
        {"escalation_reason": "unrecognised_route"},
        faults=[{"kind": "invalid_route", "probability": 1}],
    ),
    Case("vip", "What are your opening hours?", {"escalation_reason": "vip_customer"}, tier="vip"),
    Case("refund", "I want a refund now", {"escalation_reason": "cancellation_or_refund"}),
    Case("cache hit", "Where do you ship orders to?", {"cache_hit": True}, warmup=True),
    Case(
        "garbled cached answer",
        "Where do you ship parcels to?",
        {"escalation_reason": "invalid_handoff"},
        warmup=True,
        handoff=[{"kind": "corrupt", "source": "cached_answer"}],
    ),
    Case(
        "supervisor down, stale cache",
        "How long does shipping take?",
        {"fallback": "cache"},
        faults=[down("supervisor")],
        warmup=True,
        stale=True,
    ),
    Case(
        "supervisor down, nothing cached",
        "My app crashes at login",
        {"escalation_reason": "agent_unavailable"},
        faults=[down("supervisor")],
    ),
    Case(
        "technical down",
        "The app crashes on startup",
        {"fallback": "generic", "escalated": False},
        faults=[down("technical_support")],
    ),
    Case(
        "billing down",
        "I was charged twice this month",
        {"fallback": "escalation"},
        faults=[down("billing_support")],
    ),
    Case(
        "billing hangs past the deadline",
        "Why is my invoice so high?",
        {"escalation_reason": "deadline_exceeded"},
        faults=[{"kind": "hang", "probability": 1, "seconds": 5, "target": {"agent": "billing_support"}}],
    ),
    Case(
        "garbled supervisor handoff",
        "My invoice has a strange charge",
        {"escalation_reason": "invalid_handoff"},
        handoff=[{"kind": "corrupt", "source": "supervisor"}],
    ),
]


def test_every_edge_reason_and_fallback_is_exercised_over_http(stack: Stack, llm_control: Any) -> None:
    coverage = PathCoverage(
        EDGES, reason=[r.value for r in EscalationReason], fallback=[f.value for f in Fallback]
    )
    failures = []
    with httpx.Client(base_url=stack.service_url, timeout=30) as client:
        for i, case in enumerate(CASES):
            ask: Callable[[], httpx.Response] = lambda case=case, i=i: client.post(  # noqa: E731
                "/v1/chat", json={"query": case.query, "user_id": f"u{i}", "customer_tier": case.tier}
            )
            if case.warmup:
                assert ask().status_code == 200
                time.sleep(1.2 if case.stale else 0)
            llm_control.faults(*case.faults) if case.faults else llm_control.clear()
            client.put("/_control/handoff", json={"rules": case.handoff}).raise_for_status()
            started = time.monotonic()
            resp = ask()
            elapsed = time.monotonic() - started
            llm_control.clear()
            client.delete("/_control/handoff").raise_for_status()
            if resp.status_code != 200:
                failures.append(f"{case.name}: HTTP {resp.status_code} {resp.text[:200]}")
                continue
            doc = resp.json()
            coverage.record(doc["path"], reason=doc["escalation_reason"], fallback=doc["fallback"])
            wrong = {k: (doc[k], v) for k, v in case.expect.items() if doc[k] != v}
            if wrong:
                failures.append(f"{case.name}: (got, expected) {wrong}; path {doc['path']}")
            if elapsed > 1.5 + 2.0:
                failures.append(f"{case.name}: took {elapsed:.2f} s, past the deadline plus grace")
    coverage.write(REPORTS / "graph_coverage_http.json")
    assert not failures, "\n".join(failures)
    assert coverage.complete, coverage.summary()
