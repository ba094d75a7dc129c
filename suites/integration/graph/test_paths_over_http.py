"""Graph path coverage over real HTTP: the stack (mock LLM server + reference service), faults set
through the mock server's control API. Every edge, reason and fallback, or the run fails. The
stack receives the service's OpenTelemetry spans: each reply's `path` must be the path its spans
show (`harness.traces`), faults and fallbacks included, and its tokens what its LLM spans count."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness._pathcov import PathCoverage
from harness.stack import Stack
from harness.traces import collect_traces, trace_id_for, traceparent
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
    failures, replies = [], {}
    with httpx.Client(base_url=stack.service_url, timeout=30) as client:
        for i, case in enumerate(CASES):
            header = {"traceparent": traceparent(trace_id_for(f"path-{i}"))}
            ask: Callable[[], httpx.Response] = lambda case=case, i=i, header=header: client.post(  # noqa: E731
                "/v1/chat",
                json={"query": case.query, "user_id": f"u{i}", "customer_tier": case.tier},
                headers=header,
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
            replies[trace_id_for(f"path-{i}")] = (case.name, doc)
            coverage.record(doc["path"], reason=doc["escalation_reason"], fallback=doc["fallback"])
            wrong = {k: (doc[k], v) for k, v in case.expect.items() if doc[k] != v}
            if wrong:
                failures.append(f"{case.name}: (got, expected) {wrong}; path {doc['path']}")
            if elapsed > 1.5 + 2.0:
                failures.append(f"{case.name}: took {elapsed:.2f} s, past the deadline plus grace")
    coverage.write(REPORTS / "graph_coverage_http.json")
    failures += _spans_disagree(stack, replies)
    assert not failures, "\n".join(failures)
    assert coverage.complete, coverage.summary()


def _spans_disagree(stack: Stack, replies: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    """Where a reply and its spans tell two stories (a warm-up ask shares its case's trace id:
    its spans are a second request span of that trace, so only the last request is compared)."""
    assert stack.spans is not None
    agents = stack.declaration.vocabulary.agents or []
    traces = collect_traces(stack.spans, replies, agents=agents)
    out = []
    for trace_id, (name, doc) in replies.items():
        trace = traces.get(trace_id)
        if trace is None:
            out.append(f"{name}: no spans for trace {trace_id}")
            continue
        last = max(trace.roots, key=lambda s: s.start_ns)
        path = [a for a, s in trace.visits() if s.start_ns >= last.start_ns]
        if path != doc["path"]:
            out.append(f"{name}: the reply's path {doc['path']} but its spans show {path}")
        tokens = sum(
            int(s.attributes.get("gen_ai.usage.input_tokens", 0))
            for _, s in trace.llm_calls()
            if s.start_ns >= last.start_ns
        )
        if tokens != doc["tokens"]["in"]:
            out.append(f"{name}: the reply counts {doc['tokens']['in']} input tokens, its spans {tokens}")
    return out
