"""The streaming contract and the figures of a streamed run, in process: the SSE reader's timing
and outcome for the reference's event format and an OpenAI-style one, goodput, and the stream SLA
checks, each shown able to fail."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from harness.load import SLA
from harness.load._sla import evaluate
from harness.load._streaming import goodput, streaming
from harness.measure import Sample, frame
from harness.sut import HTTPContract, HttpSpec, Turn
from harness.sut._stream import StreamReader, StreamSpec, dig_any, stream_request

REFERENCE = HttpSpec(
    path="/v1/chat",
    stream=StreamSpec(path="/v1/chat/stream"),
    reply={"tokens_in": "tokens.in", "tokens_out": "tokens.out"},  # type: ignore[arg-type]
)
OPENAI = HttpSpec(
    path="/v1/chat/completions",
    stream=StreamSpec(
        path="/v1/chat/completions",
        body={"model": "m", "stream": True, "messages": [{"role": "user", "content": "{query}"}]},
        delta="choices.0.delta.content",
        delta_event=None,
        final_event=None,
        done="[DONE]",
    ),
    reply={"route": None, "tokens_out": "usage.completion_tokens"},  # type: ignore[arg-type]
)
FINAL = {
    "route": "billing_support",
    "answer": "Fixed now.",
    "escalated": False,
    "tokens": {"in": 5, "out": 9},
}


def feed(spec: HttpSpec, events: list[tuple[float, str]]) -> StreamReader:
    """Lines at the given seconds after the start (0)."""
    reader = StreamReader(HTTPContract(spec), started=0.0)
    for at, line in events:
        reader.line(line, now=at)
    return reader


def reference_events(*middle: tuple[float, str]) -> list[tuple[float, str]]:
    return [
        (0.5, "event: route"),
        (0.5, 'data: {"route": "billing_support"}'),
        (0.5, ""),
        *middle,
        (1.0, "event: final"),
        (1.0, "data: " + json.dumps(FINAL)),
    ]


def delta(at: float, text: str) -> list[tuple[float, str]]:
    return [(at, "event: delta"), (at, "data: " + json.dumps({"text": text})), (at, "")]


def test_the_reader_times_first_event_first_text_and_the_gaps_between_chunks() -> None:
    reader = feed(REFERENCE, reference_events(*delta(0.7, "Fixed "), *delta(0.75, "now."), *delta(0.9, "")))
    t = reader.timing
    assert (t.ttft_ms, t.first_content_ms, t.chunks) == (500.0, 700.0, 2)
    assert t.gaps_ms == pytest.approx([50.0])  # the empty delta is no chunk
    outcome = reader.outcome(200, 1000.0)
    assert (outcome.kind, outcome.answer, outcome.tokens_out) == ("answered", "Fixed now.", 9)


def test_an_error_event_or_a_stream_without_its_final_event_is_no_answer() -> None:
    error = [
        (0.2, "event: error"),
        (0.2, 'data: {"error": "the system could not answer", "retriable": true}'),
    ]
    outcome = feed(REFERENCE, error).outcome(200, 200.0)
    assert (outcome.kind, outcome.error) == ("retriable", "error event: the system could not answer")
    cut = feed(REFERENCE, reference_events(*delta(0.7, "Fix"))[:-2]).outcome(200, 800.0)
    assert cut.kind == "error" and "before a 'final' event" in (cut.error or "")
    broken = feed(REFERENCE, [(0.1, "event: delta"), (0.1, "data: {not json")]).outcome(200, 100.0)
    assert broken.kind == "error" and "not a JSON object" in (broken.error or "")


def test_an_openai_style_stream_is_its_joined_deltas() -> None:
    def chunk(at: float, content: str | None, **extra: Any) -> tuple[float, str]:
        return at, "data: " + json.dumps({"choices": [{"delta": {"content": content}}], **extra})

    events = [chunk(0.3, None), chunk(0.4, "Hel"), chunk(0.42, "lo"), (0.45, "data: [DONE]")]
    events.insert(3, (0.43, "data: " + json.dumps({"choices": [], "usage": {"completion_tokens": 2}})))
    reader = feed(OPENAI, events)
    outcome = reader.outcome(200, 450.0)
    assert (reader.timing.ttft_ms, reader.timing.first_content_ms) == (300.0, 400.0)
    assert (outcome.kind, outcome.answer, outcome.tokens_out) == ("answered", "Hello", 2)
    assert feed(OPENAI, events[:-1]).outcome(200, 450.0).kind == "error"  # no [DONE]: not whole


def test_a_reset_withdraws_the_text_so_far() -> None:
    spec = OPENAI.stream.model_copy(update={"reset_event": "reset"})  # type: ignore[union-attr]
    reader = feed(
        OPENAI.model_copy(update={"stream": spec}),
        [
            (0.1, 'data: {"choices": [{"delta": {"content": "draft"}}]}'),
            (0.2, "event: reset"),
            (0.2, "data: {}"),
            (0.2, ""),
            (0.3, 'data: {"choices": [{"delta": {"content": "final"}}]}'),
            (0.4, "data: [DONE]"),
        ],
    )
    assert reader.outcome(200, 400.0).answer == "final"


def test_the_stream_request_fills_the_stream_body_or_the_plain_one() -> None:
    turn = Turn(query="hi", request_id="hr-a-b-1")
    req = stream_request(HTTPContract(OPENAI), turn)
    assert req.path == "/v1/chat/completions" and req.json["messages"][0]["content"] == "hi"
    assert req.headers["X-Request-Id"] == "hr-a-b-1" and req.headers["Accept"] == "text/event-stream"
    assert stream_request(HTTPContract(REFERENCE), turn).json == {"query": "hi"}
    with pytest.raises(ValueError, match=r"http\.stream"):
        stream_request(HTTPContract(HttpSpec()), turn)
    assert dig_any({"a": [{"b": 1}]}, "a.0.b") == 1 and dig_any({"a": []}, "a.0.b") is None


def _runs(*rows: dict[str, Any]) -> pd.DataFrame:
    samples = []
    for n, row in enumerate(rows):
        sample = Sample(id=f"hr-a-b-{n}", kind="answered", status=200, tokens_out=100, **row)
        samples.append(sample)
    return frame(samples)


def test_goodput_counts_the_requests_meeting_every_latency_slo() -> None:
    client = _runs(
        {"ms": 900.0, "ttft_ms": 100.0, "first_content_ms": 200.0, "gaps_ms": [10.0, 20.0]},
        {"ms": 900.0, "ttft_ms": 600.0, "first_content_ms": 700.0, "gaps_ms": [10.0]},  # slow start
        {"ms": 900.0, "ttft_ms": 100.0, "first_content_ms": 200.0, "gaps_ms": [10.0, 90.0]},  # a stall
        {"ms": 5000.0, "ttft_ms": 100.0, "first_content_ms": 200.0, "gaps_ms": []},  # slow overall
    )
    slos = {"p95_ms_max": 2000.0, "ttft_p95_ms_max": 500.0, "itl_p99_ms_max": 50.0}
    assert goodput(client, slos)["value"] == 0.25
    assert goodput(client, {})["value"] == 1.0  # no SLO set: every answered request counts
    failed = client.assign(kind="error", ok=False)
    assert goodput(failed, {})["value"] == 0.0


def test_streaming_figures_and_their_sla_checks() -> None:
    client = _runs(
        *(
            {"ms": 1000.0, "ttft_ms": 100.0 + n, "first_content_ms": 300.0, "gaps_ms": [20.0]}
            for n in range(50)
        )
    )
    figures = streaming(client, {}, window_s=10.0)
    assert figures is not None and figures["ttft_ms"]["p50"]["value"] == 124.0
    assert figures["tokens_per_s"]["p50"]["value"] == 100.0 and figures["tokens_per_s_total"] == 500.0
    assert streaming(_runs({"ms": 10.0}), {}, window_s=1.0) is None  # nothing streamed
    metrics = {"streaming": figures}
    strict = SLA(ttft_p95_ms_max=120, itl_p99_ms_max=50, goodput_min=0.5)
    checks = {c.name: c.passed for c in evaluate(strict, metrics, lost=0, sent=50)}
    assert (checks["ttft_p95_ms_max"], checks["itl_p99_ms_max"], checks["goodput_min"]) == (False, True, True)
    unmeasured = {c.name: c.passed for c in evaluate(strict, {}, lost=0, sent=50)}
    assert unmeasured["ttft_p95_ms_max"] is False  # no stream measured is never a pass
