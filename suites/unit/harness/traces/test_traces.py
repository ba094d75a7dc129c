"""harness.traces: the traceparent every request carries, the OTLP receiver, and what a request's
spans say (agent path, tokens, the first failure), each shown able to say no."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest

from harness.sut import HTTPContract, HTTPSystem, Turn
from harness.traces import (
    OTLPError,
    OTLPReceiver,
    Span,
    collect_traces,
    decode,
    group_traces,
    parse_traceparent,
    read_spans,
    trace_id_for,
    traceparent,
)


def span(name: str, sid: str, parent: str | None, start: int, end: int, **kw: object) -> Span:
    return Span(
        trace_id="a" * 32, span_id=sid.ljust(16, "0"), parent_span_id=parent and parent.ljust(16, "0"),
        name=name, start_ns=start, end_ns=end, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


# --- the header ---------------------------------------------------------------------------


def test_a_request_ids_trace_id_is_stable_and_w3c_shaped() -> None:
    tid = trace_id_for("hr-run-1-7")
    assert tid == trace_id_for("hr-run-1-7") != trace_id_for("hr-run-1-8")
    assert parse_traceparent(traceparent(tid)) is not None
    assert parse_traceparent(traceparent(tid))[0] == tid  # type: ignore[index]
    assert trace_id_for(None) != trace_id_for(None)  # no request id: a random one each time


@pytest.mark.parametrize(
    "bad",
    [None, "", "00-" + "0" * 32 + "-" + "1" * 16 + "-01", "00-" + "1" * 32 + "-" + "0" * 16 + "-01",
     "00-xyz-1-01", "01-" + "1" * 32 + "-" + "1" * 16 + "-01"],
)  # fmt: skip
def test_an_invalid_traceparent_is_none(bad: str | None) -> None:
    assert parse_traceparent(bad) is None


def test_every_request_carries_a_traceparent_derived_from_its_request_id() -> None:
    req = HTTPContract().request(Turn(query="hi", request_id="r-1"))
    assert req.trace_id == trace_id_for("r-1")
    assert HTTPContract().request(Turn(query="hi")).trace_id is not None


def test_a_traceparent_the_team_set_is_kept() -> None:
    from harness.sut import HttpSpec

    theirs = traceparent("b" * 32)
    req = HTTPContract(HttpSpec(headers={"Traceparent": theirs})).request(Turn(query="hi", request_id="r"))
    assert "traceparent" not in req.headers and req.headers["Traceparent"] == theirs
    assert req.trace_id == "b" * 32


async def test_the_outcome_names_the_trace_sent_unless_the_system_names_its_own() -> None:
    seen: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["traceparent"])
        own = {"trace_id": "c" * 32} if "own" in request.content.decode() else {}
        return httpx.Response(200, json={"answer": "ok", **own})

    client = httpx.AsyncClient(transport=httpx.MockTransport(reply))
    system = HTTPSystem("http://sut.test/ask", client=client)
    plain = await system.ask(Turn(query="plain", request_id="r-9"))
    own = await system.ask(Turn(query="own", request_id="r-10"))
    assert plain.trace_id == trace_id_for("r-9") == parse_traceparent(seen[0])[0]  # type: ignore[index]
    assert own.trace_id == "c" * 32
    failed = await HTTPSystem(
        "http://sut.test/ask", client=httpx.AsyncClient(transport=httpx.MockTransport(_refuse))
    ).ask(Turn(query="x", request_id="r-11"))
    assert failed.status == "error" and failed.trace_id == trace_id_for("r-11")


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


# --- OTLP in --------------------------------------------------------------------------------


def _sdk_spans() -> list[object]:
    """Spans as an OpenTelemetry SDK makes them: a request, an agent, a failed LLM call."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "desk"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    parent = TraceContextTextMapPropagator().extract(
        {"traceparent": traceparent(trace_id_for("r-1"), "e" * 16)}
    )
    with tracer.start_as_current_span("POST /ask", context=parent) as root:
        root.set_attribute("http.response.status_code", 503)
        with tracer.start_as_current_span(
            "invoke_agent billing", attributes={"gen_ai.agent.name": "billing"}
        ):
            attrs = {
                "gen_ai.operation.name": "chat",
                "gen_ai.usage.input_tokens": 11,
                "gen_ai.usage.output_tokens": 4,
            }
            with tracer.start_as_current_span("chat gpt-x", attributes=attrs) as llm:
                llm.record_exception(RuntimeError("upstream 500"))
                llm.set_status(Status(StatusCode.ERROR, "LLM failed"))
    return list(memory.get_finished_spans())


def test_a_protobuf_export_reads_back_span_for_span() -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    body = encode_spans(_sdk_spans()).SerializeToString()  # type: ignore[arg-type]
    spans = decode(gzip.compress(body), "application/x-protobuf", "gzip")
    by_name = {s.name: s for s in spans}
    assert set(by_name) == {"POST /ask", "invoke_agent billing", "chat gpt-x"}
    root = by_name["POST /ask"]
    assert root.trace_id == trace_id_for("r-1") and root.parent_span_id == "e" * 16
    assert root.kind == "internal" and root.service == "desk" and root.scope == "test"
    llm = by_name["chat gpt-x"]
    assert llm.status == "error" and llm.attributes["gen_ai.usage.input_tokens"] == 11
    assert llm.why() == "RuntimeError: upstream 500"


def test_an_otlp_json_export_reads_hex_ids_and_string_ints() -> None:
    service = {"key": "service.name", "value": {"stringValue": "s"}}
    doc = {"resourceSpans": [{"resource": {"attributes": [service]},
           "scopeSpans": [{"scope": {"name": "lib"}, "spans": [{"traceId": "AB" * 16, "spanId": "CD" * 8,
           "name": "n", "kind": 2, "startTimeUnixNano": "1000", "endTimeUnixNano": "3000000",
           "status": {"code": 2, "message": "m"},
           "attributes": [{"key": "k", "value": {"intValue": "42"}}]}]}]}]}  # fmt: skip
    (s,) = decode(json.dumps(doc).encode(), "application/json")
    assert (s.trace_id, s.span_id, s.kind, s.status, s.attributes) == (
        "ab" * 16,
        "cd" * 8,
        "server",
        "error",
        {"k": 42},
    )
    assert s.duration_ms == pytest.approx(2.999)


@pytest.mark.parametrize(
    ("body", "ctype", "encoding"),
    [(b"\xff\x00junk", "application/x-protobuf", ""), (b"{not json", "application/json", ""),
     (b"plain", "application/x-protobuf", "gzip")],
)  # fmt: skip
def test_a_payload_that_is_not_an_export_is_refused(body: bytes, ctype: str, encoding: str) -> None:
    with pytest.raises(OTLPError):
        decode(body, ctype, encoding)


def test_the_receiver_takes_an_sdk_exporters_spans_into_its_file(tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    out = tmp_path / "spans.jsonl"
    with OTLPReceiver(out) as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.endpoint + "/v1/traces")
        assert exporter.export(_sdk_spans()) == SpanExportResult.SUCCESS  # type: ignore[arg-type]
        assert receiver.wait_for([trace_id_for("r-1")], timeout_s=5) == set()
        junk = httpx.post(receiver.endpoint + "/v1/traces", content=b"\xff\x00junk")
        elsewhere = httpx.post(receiver.endpoint + "/v1/metrics", content=b"")
    assert (junk.status_code, elsewhere.status_code, receiver.rejected) == (400, 404, 1)
    assert [s.name for s in read_spans([out])] == [s.name for s in receiver.spans] != []


def test_a_torn_last_line_is_skipped_and_a_bad_one_named(tmp_path: Path) -> None:
    good = span("a", "1", None, 0, 1).model_dump_json()
    torn = tmp_path / "torn.jsonl"
    torn.write_text(good + "\n" + good[:20])
    assert len(list(read_spans([torn]))) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"nope": 1}\n' + good + "\n")
    with pytest.raises(Exception, match=r"bad.jsonl:1: not a span"):
        list(read_spans([bad]))


# --- what the spans say -----------------------------------------------------------------------


def _desk_trace() -> list[Span]:
    """The handoff desk's shape (OpenInference on langgraph-supervisor): node spans named after
    the agents, a subgraph named like its node, LLM spans under inner spans."""
    oi_llm = {"openinference.span.kind": "LLM", "llm.token_count.prompt": 50, "llm.token_count.completion": 5}
    return [
        span("POST /ask", "1", "f", 0, 100, kind="server", attributes={"http.response.status_code": 200}),
        span("LangGraph", "2", "1", 1, 99),
        span("supervisor", "3", "2", 2, 30),
        span("supervisor", "4", "3", 3, 29),
        span("ChatOpenAI", "5", "4", 4, 28, attributes=oi_llm),
        span("transfer_to_tech", "6", "4", 28, 29),
        span("tech", "7", "2", 31, 70),
        span("tech", "8", "7", 32, 69),
        span("ChatOpenAI", "9", "8", 33, 60, attributes=oi_llm),
        span("supervisor", "a", "2", 71, 98),
    ]


def test_the_agent_path_is_each_visit_in_order_nested_visits_once() -> None:
    trace = group_traces(_desk_trace(), agents=["supervisor", "billing", "tech"])["a" * 32]
    assert trace.path() == ["supervisor", "tech", "supervisor"]
    assert [(agent, s.span_id[:1]) for agent, s in trace.llm_calls()] == [("supervisor", "5"), ("tech", "9")]
    assert trace.tokens() == (100, 10) and trace.http_status() == 200 and not trace.failed
    assert [s.name for s in trace.roots] == ["POST /ask"]
    # without the declared agents, names alone say nothing: no path is made up
    assert group_traces(_desk_trace())["a" * 32].path() == []


def test_genai_agent_spans_need_no_declared_agents() -> None:
    spans = [
        span("invoke_agent triage", "1", None, 0, 10, attributes={"gen_ai.agent.name": "triage"}),
        span("invoke_agent refunds", "2", None, 11, 20, attributes={"gen_ai.agent.name": "refunds"}),
    ]
    assert group_traces(spans)["a" * 32].path() == ["triage", "refunds"]


def test_the_first_failure_is_the_deepest_error_that_ended_first() -> None:
    spans = [
        *_desk_trace()[:6],
        span("tech", "7", "2", 31, 70, status="error", status_message="tech agent gave up"),
        span("tech", "8", "7", 32, 69, status="error", status_message="inner"),
        span("ChatOpenAI", "9", "8", 33, 60, status="error", status_message="HTTP 500 from the LLM"),
    ]
    trace = group_traces(spans, agents=["supervisor", "tech"])["a" * 32]
    failure = trace.first_failure()
    assert failure is not None and failure.agent == "tech" and failure.span.span_id.startswith("9")
    assert failure.describe() == "agent tech, span 'ChatOpenAI': HTTP 500 from the LLM"
    assert group_traces(_desk_trace(), agents=["tech"])["a" * 32].first_failure() is None


def test_a_span_sent_twice_counts_once() -> None:
    spans = _desk_trace()
    trace = group_traces([*spans, *spans], agents=["supervisor", "tech"])["a" * 32]
    assert len(trace.spans) == len(spans) and trace.tokens() == (100, 10)


def test_collect_waits_for_the_traces_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    out.write_text("".join(s.model_dump_json() + "\n" for s in _desk_trace()))
    got = collect_traces(out, ["a" * 32], timeout_s=2, settle_s=0.1)
    assert list(got) == ["a" * 32]
    missing = collect_traces(out, ["b" * 32], timeout_s=0.3, settle_s=0.1)
    assert "b" * 32 not in missing


# --- traces.json ------------------------------------------------------------------------------


def test_the_summary_shows_the_failed_request_first_and_counts_per_agent() -> None:
    from harness.traces import Sent, TracesRecord, summarise

    ok = _desk_trace()
    broken = [
        s.model_copy(update={"trace_id": "b" * 32})
        if s.span_id[0] != "9"
        else s.model_copy(update={"trace_id": "b" * 32, "status": "error", "status_message": "HTTP 500"})
        for s in ok
    ]
    traces = group_traces([*ok, *broken], agents=["supervisor", "tech"])
    sent = {"a" * 32: Sent(request_id="r-1", latency_ms=120.0), "b" * 32: Sent(request_id="r-2", ok=False)}
    run = summarise(traces, {**sent, "c" * 32: Sent(request_id="r-3")}, source="test")
    assert (run.requests, run.traced, run.other_traces) == (3, 2, 0)
    assert [(v.shown_as, v.request_id) for v in run.views] == [("failed", "r-2"), ("slowest", "r-1")]
    assert run.views[0].first_failure == "agent tech, span 'ChatOpenAI': HTTP 500"
    roles = [(r.name, r.role) for r in run.views[0].rows]
    assert ("LangGraph", "other") not in roles and ("ChatOpenAI", "llm") in roles  # glue spans left out
    tech = next(a for a in run.agents if a.agent == "tech")
    assert (tech.visits, tech.llm_calls, tech.tokens_in, tech.errors, tech.failures_began_here) == (
        2,
        2,
        100,
        1,
        1,
    )
    assert TracesRecord.parse(TracesRecord(runs=[run]).dumps()).runs[0] == run


def test_loops_cut_outputs_and_contradicted_statuses_are_found_and_tagged() -> None:
    from harness.report._mast import tag_traces
    from harness.traces import Sent, summarise

    hops = [span("POST /ask", "1", None, 0, 100, attributes={"http.response.status_code": 500})]
    hops += [span("supervisor", f"{n + 2}", "1", 10 * n, 10 * n + 5) for n in range(3)]
    cut = {"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["length"]}
    hops.append(span("chat m", "9", "2", 1, 4, attributes=cut))
    traces = group_traces(hops, agents=["supervisor"])
    run = summarise(traces, {"a" * 32: Sent(request_id="r-1", status=200)}, source="load x")
    kinds = {f.kind: f for f in run.findings}
    assert set(kinds) == {"loop", "truncated", "status_mismatch"}
    assert (
        kinds["loop"].example
        == "request r-1: supervisor visited 3 times (supervisor -> supervisor -> supervisor)"
    )
    assert "the client got 200, the system's span says 500" in kinds["status_mismatch"].example
    assert [o.modes for o in tag_traces([run])] == [("FM-1.3",), ("FM-3.1",), ("FM-2.4",)]
    # the same request, healthy: two visits, a normal stop, the status both saw
    calm = [hops[0].model_copy(update={"attributes": {"http.response.status_code": 200}}), *hops[1:3]]
    calm.append(hops[-1].model_copy(update={"attributes": {"gen_ai.operation.name": "chat"}}))
    quiet = summarise(group_traces(calm, agents=["supervisor"]), {"a" * 32: Sent(status=200)}, source="x")
    assert quiet.findings == [] and tag_traces([quiet]) == []


def test_an_llm_spans_cost_is_what_it_reports_else_its_tokens_at_the_declared_price() -> None:
    from harness.traces import Sent, cost_of, summarise

    def llm(model: str, **extra: object) -> Span:
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.response.model": model, **extra}
        return span("chat", "5", "3", 4, 28, attributes={"gen_ai.usage.input_tokens": 1000, **attrs})

    prices = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.5, 10.0)}
    cut = {"gen_ai.usage.output_tokens": 500}
    assert cost_of(llm("gpt-4o-mini", **cut), prices) == pytest.approx((1000 * 0.15 + 500 * 0.6) / 1e6)
    assert cost_of(llm("gpt-4o-2024-08-06"), prices) == pytest.approx(1000 * 2.5 / 1e6)  # its family's
    assert cost_of(llm("claude-x"), prices) is None
    assert cost_of(llm("claude-x", **{"llm.cost.total": 0.25}), prices) == 0.25
    spans = [span("supervisor", "3", None, 0, 30), llm("gpt-4o-mini", **cut)]
    run = summarise(group_traces(spans, agents=["supervisor"]), {"a" * 32: Sent()}, source="x", prices=prices)
    assert run.agents[0].cost_usd == pytest.approx(0.00045) and run.unpriced_models == []
    unpriced = summarise(group_traces(spans, agents=["supervisor"]), {"a" * 32: Sent()}, source="x")
    assert unpriced.agents[0].cost_usd is None and unpriced.unpriced_models == ["gpt-4o-mini"]


def test_a_collectors_otlp_json_file_reads_like_the_receivers(tmp_path: Path) -> None:
    export = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "invoke_agent triage", "kind": 1,
         "startTimeUnixNano": "0", "endTimeUnixNano": "5",
         "attributes": [{"key": "gen_ai.agent.name", "value": {"stringValue": "triage"}}]}]}]}]}  # fmt: skip
    path = tmp_path / "collector.jsonl"
    path.write_text(json.dumps(export) + "\n" + span("a", "1", None, 0, 1).model_dump_json() + "\n")
    spans = list(read_spans([path]))
    assert [s.name for s in spans] == ["invoke_agent triage", "a"]
    assert group_traces(spans)["ab" * 16].path() == ["triage"]
