"""Chaos for streams, the pure parts: the schema's stream probes, the per-phase TTFT and
completion figures, their verdicts (each able to say no), and the mock LLM's `stall` rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from harness.chaos import load_catalogue
from harness.chaos._exercised import fault_fired, not_exercised
from harness.chaos._faults import LLMInjector, Targets
from harness.chaos._measure import phase_stats, recovery_s, violations
from harness.chaos._schema import Experiment, Hypothesis
from harness.llm.server import FaultPlan, FaultRule
from harness.measure import Sample
from harness.sut import SystemDeclaration, Vocabulary

pytestmark = pytest.mark.harness_self

STALL: dict[str, Any] = {
    "name": "stall",
    "title": "a stall",
    "load": {"stream": True},
    "hypothesis": {"error_rate": 0.02, "ttft_p95_ms": 500, "completion_rate_min": 0.9},
    "method": {"fault": {"kind": "stall", "seconds": 5}, "intensity": 0.5, "duration_s": 5},
}


def _stream(i: int, *, ttft: float | None, done: bool, ms: float = 100.0) -> Sample:
    x = Sample(id=f"s{i}", start=float(i), ms=ms, status=200, kind="answered" if done else "error")
    x.ttft_ms, x.completed = ttft, done
    return x


def test_a_stream_experiment_parses_with_its_probes() -> None:
    exp = Experiment.model_validate(STALL)
    assert exp.load.stream and exp.hypothesis.on_streams == ["ttft_p95_ms", "completion_rate_min"]
    assert exp.all_rollbacks() == ["clear_llm_faults"]


def test_stream_probes_without_a_streamed_load_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"set load: \{stream: true\}"):
        Experiment.model_validate({**STALL, "load": {}})


def test_stream_probes_alone_are_something_to_check() -> None:
    assert Hypothesis(completion_rate_min=0.9).completion_rate_min == 0.9
    with pytest.raises(ValidationError, match="completion_rate_min"):
        Hypothesis()


def test_a_phase_reports_ttft_and_completion_of_its_streams() -> None:
    samples = [_stream(i, ttft=10.0 * (i + 1), done=i < 8) for i in range(10)]
    s = phase_stats(samples)
    assert (s.streamed, s.completed, s.completion_rate) == (10, 8, 0.8)
    assert (s.ttft_p50_ms, s.ttft_p95_ms) == (50.0, 100.0)


def test_a_stream_that_never_started_counts_at_its_wait() -> None:
    hung = _stream(0, ttft=None, done=False, ms=10_000.0)
    s = phase_stats([hung, *(_stream(i, ttft=5.0, done=True) for i in range(1, 10))])
    assert s.ttft_p95_ms == 10_000.0 and s.completion_rate == 0.9


def test_a_plain_load_has_no_stream_figures() -> None:
    s = phase_stats([Sample(id="p", ms=5.0, status=200, kind="answered")])
    assert (s.streamed, s.ttft_p95_ms, s.completion_rate) == (0, None, None)


def test_the_verdict_holds_when_streams_complete_in_time() -> None:
    h = Experiment.model_validate(STALL).hypothesis
    assert violations("during", phase_stats([_stream(i, ttft=50.0, done=True) for i in range(10)]), h) == []


def test_the_verdict_says_no_to_cut_streams_and_late_first_events() -> None:
    h = Experiment.model_validate(STALL).hypothesis
    cut = phase_stats([_stream(i, ttft=50.0, done=i % 2 == 0) for i in range(10)])
    assert violations("during", cut, h) == [
        "during.error_rate 0.5 > 0.02",
        "during.completion_rate 0.5 < 0.9",
    ]
    slow = phase_stats([_stream(i, ttft=900.0, done=True) for i in range(10)])
    assert violations("after", slow, h) == ["after.ttft_p95_ms 900 > 500"]


def test_recovery_waits_for_completed_streams_within_the_ttft_limit() -> None:
    h = Experiment.model_validate(STALL).hypothesis
    after = [_stream(0, ttft=900.0, done=True), *(_stream(i, ttft=10.0, done=True) for i in range(1, 4))]
    assert recovery_s(after, rollback_at=0.0, h=h) == 1.0
    assert recovery_s([_stream(i, ttft=10.0, done=False) for i in range(5)], 0.0, h) is None


def test_a_stall_rule_meets_streamed_calls_only() -> None:
    plan = FaultPlan([FaultRule(kind="stall", probability=1.0, seconds=2)])
    assert plan.pick(model="m", agent="a", route=None) is None
    fired = plan.pick(model="m", agent="a", route=None, stream=True)
    assert fired is not None and fired.rule.hang_seconds == 2
    assert plan.to_json()["counts"] == [{"eligible": 1, "fired": 1}]


def test_seconds_fit_hang_and_stall_only() -> None:
    with pytest.raises(ValidationError, match="'seconds' only applies to kind 'hang' or 'stall'"):
        FaultRule(kind="status", probability=1.0, seconds=2)


def test_a_stall_that_met_no_stream_is_not_exercised() -> None:
    exp = Experiment.model_validate(STALL)
    counts = {"counted_by": "mock LLM rule", "unit": "LLM call", "hits": 0, "eligible": 0}
    assert (why := not_exercised(fault_fired(counts, exp.method, 20))) and "never fired" in why


def test_the_injector_sends_the_stall_rule() -> None:
    targets = Targets(
        "http://127.0.0.1:1", "http://127.0.0.1:2/v1", "http://127.0.0.1:3",
        declaration=SystemDeclaration(name="x", vocabulary=Vocabulary()),
    )  # fmt: skip
    rule = LLMInjector(Experiment.model_validate(STALL).method, targets)._rule()
    assert rule == {"kind": "stall", "probability": 0.5, "seconds": 5.0}


def test_the_reference_catalogue_streams_three_faults_at_the_llm_and_three_at_its_client() -> None:
    streamed = {e.name: (e.method.family, e.method.fault.kind) for e in load_catalogue() if e.load.stream}
    assert streamed == {
        "stream-cut": ("llm", "truncated"),
        "stream-slow-tokens": ("llm", "slow_tokens"),
        "stream-stall": ("llm", "stall"),
        "stream-net-cut": ("network", "limit_data"),
        "stream-net-slow": ("network", "bandwidth"),
        "stream-net-stall": ("network", "timeout"),
    }


def test_the_release_report_checks_completion_as_a_lower_limit() -> None:
    from harness.measure._chaos_report import Phases
    from harness.report._chaos import _checks

    done = phase_stats([_stream(i, ttft=50.0, done=True) for i in range(4)])
    cut = phase_stats([_stream(i, ttft=50.0, done=i < 2) for i in range(4)])
    checks = _checks(
        {"completion_rate_min": 0.9, "ttft_p95_ms": 100}, Phases(before=done, during=cut, after=done)
    )
    held = {(c.phase, c.probe): c.held for c in checks}
    assert held[("during", "completion_rate_min")] is False and held[("after", "completion_rate_min")] is True
    assert held[("during", "ttft_p95_ms")] is True


# --- the client side: HTTPSystem.ask_stream over an in-process transport --------------------

_FINAL = {"route": "billing_support", "answer": "Fixed now.", "escalated": False}
_ROUTE = b'event: route\ndata: {"route": "billing_support"}\n\n'
_DELTA = b'event: delta\ndata: {"text": "Fixed "}\n\n'


async def _ask_stream(*chunks: bytes, pause_s: float = 0.0, timeout_s: float = 5.0) -> Any:
    import asyncio

    import httpx

    from harness.sut import HttpSpec, HTTPSystem, Turn
    from harness.sut._stream import StreamSpec

    async def body() -> Any:
        for i, chunk in enumerate(chunks):
            if i == 1 and pause_s:
                await asyncio.sleep(pause_s)  # a stall after the first event
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/stream"
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=body())

    spec = HttpSpec(path="/v1/chat", stream=StreamSpec(path="/v1/chat/stream"))
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=timeout_s)
    system = HTTPSystem("http://127.0.0.1:1", spec, client=client)
    try:
        return await system.ask_stream(Turn(query="my invoice"))
    finally:
        await client.aclose()


async def test_a_stream_with_its_final_event_completed() -> None:
    final = b"event: final\ndata: " + json.dumps(_FINAL).encode() + b"\n\n"
    outcome, reader = await _ask_stream(_ROUTE, _DELTA, final)
    assert outcome.kind == "answered" and reader.completed and reader.timing.ttft_ms is not None


async def test_a_cut_stream_and_an_error_event_did_not_complete() -> None:
    outcome, reader = await _ask_stream(_ROUTE, _DELTA)
    assert outcome.kind == "error" and "ended before" in (outcome.error or "") and not reader.completed
    error = b'event: error\ndata: {"error": "deadline", "retriable": true}\n\n'
    outcome, reader = await _ask_stream(_ROUTE, error)
    assert outcome.kind == "retriable" and not reader.completed


async def test_a_stall_past_the_client_timeout_is_cut_by_it() -> None:
    final = b"event: final\ndata: " + json.dumps(_FINAL).encode() + b"\n\n"
    outcome, reader = await _ask_stream(_ROUTE, final, pause_s=2.0, timeout_s=0.3)
    assert outcome.kind == "no_response" and "within 0.3 s" in (outcome.error or "")
    assert not reader.completed and reader.timing.ttft_ms is not None
