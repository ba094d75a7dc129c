"""The reference system's OpenTelemetry spans, in process (ASGI) with a scripted LLM and an
in-memory exporter: the request span under the `traceparent` sent, one `invoke_agent` span per
node on the path, one `chat` span per LLM call with the tokens the reply counts, error spans for a
failing LLM, one trace id in the reply, the audit line and the logs, no PII in any span, and no
export at all unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then OTLP/HTTP, flushed at shutdown)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from harness.llm import MockLLM, faults
from support_desk import SupportSystem, _tracing, load_settings
from support_desk import specialist_reply as answer
from support_desk._logging import configure_logging
from support_desk.service import ServiceSettings, create_app

Make = Callable[..., SupportSystem]
BODY = {"query": "My invoice is wrong", "user_id": "u-1", "customer_tier": "standard"}
TRACE_ID, PARENT_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture(autouse=True)
def no_export_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the developer's shell says, no test here exports unless it sets the variable."""
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans of `support_desk` go to memory (the module's provider; the process-global one is
    never set, so no other test sees a provider)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with _tracing.use(provider):
        yield memory
    provider.shutdown()


class Service:
    def __init__(self, client: httpx.AsyncClient, audit: Path) -> None:
        self.client, self.audit = client, audit

    async def chat(
        self, body: dict[str, Any] = BODY, *, traceparent: str | None = TRACEPARENT, path: str = "/v1/chat"
    ) -> httpx.Response:
        headers = {"X-Request-Id": "r-1"}
        if traceparent is not None:
            headers["traceparent"] = traceparent
        return await self.client.post(path, json=body, headers=headers)

    def audit_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.audit.read_text().splitlines()]


@pytest.fixture
async def make_service(make_system: Make, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await make_service(**system settings)`, or `make_service(system=...)` for a system of one's own."""
    async with AsyncExitStack() as stack:

        async def make(system: SupportSystem | None = None, **reference: Any) -> Service:
            audit = tmp_path / "audit.jsonl"
            app = create_app(system or make_system(**reference), ServiceSettings(audit_log=str(audit)))
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://sd")
            )
            return Service(client, audit)

        yield make


def hex_id(value: int) -> str:
    return format(value, "032x")


def the_server_span(spans: Sequence[ReadableSpan]) -> ReadableSpan:
    (server,) = [s for s in spans if s.kind == SpanKind.SERVER]
    return server


def of_kind(spans: Sequence[ReadableSpan], kind: SpanKind) -> list[ReadableSpan]:
    return sorted((s for s in spans if s.kind == kind), key=lambda s: s.start_time or 0)


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def billing_answers(mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer("Fixed.", 0.9)


# -- the request span -----------------------------------------------------------------------------


async def test_the_request_span_is_the_child_of_the_traceparent_sent(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    billing_answers(mock_llm)
    service = await make_service()
    response = await service.chat()
    server = the_server_span(exporter.get_finished_spans())
    assert server.name == "POST /v1/chat"
    assert hex_id(server.context.trace_id) == TRACE_ID
    assert server.parent is not None and server.parent.is_remote
    assert format(server.parent.span_id, "016x") == PARENT_ID
    assert dict(server.attributes or {}) == {
        "http.request.method": "POST",
        "http.route": "/v1/chat",
        "http.response.status_code": 200,
        "http.request.header.x-request-id": ("r-1",),
    }
    assert server.status.status_code == StatusCode.UNSET
    doc = response.json()
    assert doc["trace_id"] == response.headers["x-trace-id"] == TRACE_ID
    assert service.audit_lines()[0]["trace_id"] == TRACE_ID


async def test_without_a_traceparent_the_trace_id_is_fresh_and_is_the_request_spans(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    billing_answers(mock_llm)
    service = await make_service(cache={"enabled": False})
    first = (await service.chat(traceparent=None)).json()["trace_id"]
    second = (await service.chat(traceparent="00-not-a-valid-header-01")).json()["trace_id"]
    servers = of_kind(exporter.get_finished_spans(), SpanKind.SERVER)
    assert [hex_id(s.context.trace_id) for s in servers] == [first, second]
    assert first != second and TRACE_ID not in (first, second)
    assert [s.parent for s in servers] == [None, None]
    for span in exporter.get_finished_spans():  # every span of a request is in its trace
        assert hex_id(span.context.trace_id) in (first, second)


async def test_a_failure_the_system_cannot_hide_is_an_error_request_span(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    service = await make_service(resilience={"fallback": False}, retry={"attempts": 1})
    response = await service.chat()
    assert response.status_code == 503
    spans = exporter.get_finished_spans()
    server = the_server_span(spans)
    assert server.status.status_code == StatusCode.ERROR
    assert (server.attributes or {})["http.response.status_code"] == 503
    assert (server.attributes or {})["error.type"] == "503"
    (agent,) = of_kind(spans, SpanKind.INTERNAL)
    assert agent.status.status_code == StatusCode.ERROR and agent.status.description == "llm_5xx"
    assert (agent.attributes or {})["error.type"] == "LLMServerError"
    assert [e.name for e in agent.events] == ["exception"]
    assert service.audit_lines()[0]["trace_id"] == TRACE_ID


# -- agent and LLM spans ----------------------------------------------------------------------------


async def test_agent_spans_name_the_nodes_on_the_path_in_order_under_the_request_span(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    billing_answers(mock_llm)
    service = await make_service()
    doc = (await service.chat()).json()
    spans = exporter.get_finished_spans()
    agents = of_kind(spans, SpanKind.INTERNAL)
    assert doc["path"] == ["supervisor", "billing_support"]
    assert [s.name for s in agents] == [f"invoke_agent {node}" for node in doc["path"]]
    assert [(s.attributes or {})["gen_ai.agent.name"] for s in agents] == doc["path"]
    assert {(s.attributes or {})["gen_ai.operation.name"] for s in agents} == {"invoke_agent"}
    server = the_server_span(spans)
    assert {parent_of(s) for s in agents} == {server.context.span_id}
    assert (agents[0].attributes or {})["support_desk.route"] == "billing_support"


async def test_llm_spans_carry_the_model_and_the_tokens_the_reply_counts(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    billing_answers(mock_llm)
    service = await make_service()
    doc = (await service.chat()).json()
    spans = exporter.get_finished_spans()
    agent_of = {
        s.context.span_id: (s.attributes or {})["gen_ai.agent.name"]
        for s in of_kind(spans, SpanKind.INTERNAL)
    }
    calls = of_kind(spans, SpanKind.CLIENT)
    assert [agent_of.get(parent_of(s) or 0) for s in calls] == ["supervisor", "billing_support"]
    for span in calls:
        a = span.attributes or {}
        assert span.name == "chat gpt-4o-mini" and span.status.status_code == StatusCode.UNSET
        assert (a["gen_ai.operation.name"], a["gen_ai.provider.name"]) == ("chat", "openai")
        assert a["gen_ai.request.model"] == a["gen_ai.response.model"] == "gpt-4o-mini"
        assert a["gen_ai.response.finish_reasons"] == ("stop",)
    tokens = [(s.attributes or {}) for s in calls]
    assert sum(int(str(t["gen_ai.usage.input_tokens"])) for t in tokens) == doc["tokens"]["in"] > 0
    assert sum(int(str(t["gen_ai.usage.output_tokens"])) for t in tokens) == doc["tokens"]["out"] > 0
    audited = service.audit_lines()[0]["agents"]
    for span in calls:
        agent = audited[agent_of[parent_of(span) or 0]]
        assert (span.attributes or {})["gen_ai.usage.input_tokens"] == agent["tokens_in"]


async def test_a_failing_llm_gives_an_error_span_per_attempt_and_a_fallback_on_the_agent(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    mock_llm.agent("supervisor").return_value = "technical_support"
    mock_llm.agent("technical_support").return_value = faults.Status(500)
    service = await make_service(retry={"attempts": 3, "jitter": False})
    doc = (await service.chat({**BODY, "query": "The app crashes"})).json()
    assert (doc["fallback"], doc["degraded"]) == ("generic", True)
    spans = exporter.get_finished_spans()
    technical = next(s for s in spans if s.name == "invoke_agent technical_support")
    attempts = [s for s in of_kind(spans, SpanKind.CLIENT) if parent_of(s) == technical.context.span_id]
    assert len(attempts) == 3
    for span in attempts:
        a = span.attributes or {}
        assert span.status.status_code == StatusCode.ERROR and span.status.description == "llm_5xx"
        assert (a["error.type"], a["support_desk.error_code"]) == ("LLMServerError", "llm_5xx")
        (event,) = span.events
        assert event.name == "exception"
        assert (event.attributes or {})["exception.type"] == "support_desk._errors.LLMServerError"
        assert "gen_ai.usage.input_tokens" not in a
    a = technical.attributes or {}
    assert technical.status.status_code == StatusCode.UNSET  # it answered: generically
    assert (a["support_desk.fallback"], a["support_desk.degraded"]) == ("generic", True)
    assert a["support_desk.error_code"] == "llm_5xx"


async def test_an_open_breaker_shows_on_the_agent_span_with_no_llm_span(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    service = await make_service(
        breaker={"failure_threshold": 1}, retry={"attempts": 1}, cache={"enabled": False}
    )
    await service.chat()  # trips the supervisor's breaker
    exporter.clear()
    await service.chat()
    spans = exporter.get_finished_spans()
    supervisor = next(s for s in spans if s.name == "invoke_agent supervisor")
    a = supervisor.attributes or {}
    assert (a["support_desk.error_code"], a["support_desk.fallback"]) == ("circuit_open", "escalation")
    assert of_kind(spans, SpanKind.CLIENT) == []


async def test_a_cache_hit_is_its_node_span_with_the_cache_hit_attribute(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    billing_answers(mock_llm)
    service = await make_service()
    await service.chat()
    exporter.clear()
    doc = (await service.chat()).json()
    (agent,) = of_kind(exporter.get_finished_spans(), SpanKind.INTERNAL)
    assert doc["path"] == ["cached_answer"] and agent.name == "invoke_agent cached_answer"
    assert (agent.attributes or {})["support_desk.cache_hit"] is True


async def test_spans_hold_no_query_answer_user_id_or_pii(
    make_service: Callable[..., Any], mock_llm: MockLLM, exporter: InMemorySpanExporter
) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    echoed = "your message from ana@example.com was refused"  # an error body quoting its input
    mock_llm.agent("billing_support").return_value = faults.Status(400, message=echoed)
    query = "Bill for ana@example.com is wrong, phone +34 612 345 678"
    service = await make_service()
    doc = (await service.chat({**BODY, "query": query, "user_id": "secret-user-77"})).json()
    spans = exporter.get_finished_spans()
    assert any(e.name == "exception" for s in spans for e in s.events), "the 400 is recorded"
    values = [str(v) for s in spans for v in (s.attributes or {}).values()]
    values += [str(v) for s in spans for e in s.events for v in (e.attributes or {}).values()]
    text = "\n".join([*values, *(s.name for s in spans), *(s.status.description or "" for s in spans)])
    for secret in ("ana@example.com", "612 345 678", "Bill for", "secret-user-77", doc["answer"]):
        assert secret not in text
    assert "[EMAIL]" in text  # the exception's message is there, redacted


async def test_a_streamed_request_is_one_span_to_its_last_event_with_the_same_trace_id(
    exporter: InMemorySpanExporter, make_service: Callable[..., Any]
) -> None:
    reply = json.dumps({"answer": "Fixed, see Billing.", "confidence": 0.9})

    def llm(request: httpx.Request) -> httpx.Response:
        doc = json.loads(request.content)
        if not doc.get("stream"):
            usage = {"prompt_tokens": 7, "completion_tokens": 1}
            message = {"role": "assistant", "content": "billing_support"}
            choice = {"message": message, "finish_reason": "stop"}
            return httpx.Response(200, json={"model": "m-1", "choices": [choice], "usage": usage})
        chunks = [
            {"model": "m-2", "choices": [{"delta": {"content": reply}}]},
            {"model": "m-2", "choices": [{"delta": {}, "finish_reason": "stop"}]},
            {"model": "m-2", "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 5}},
        ]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(llm))
    settings = load_settings(llm_base_url="http://llm.test/v1", cache={"enabled": False})
    service = await make_service(SupportSystem(settings, http_client=http))
    response = await service.chat(path="/v1/chat/stream")
    await http.aclose()
    final = json.loads(response.text.strip().split("\n\n")[-1].split("data: ", 1)[1])
    assert final["trace_id"] == response.headers["x-trace-id"] == TRACE_ID
    spans = exporter.get_finished_spans()
    server = the_server_span(spans)
    assert server.name == "POST /v1/chat/stream" and format(parent_of(server) or 0, "016x") == PARENT_ID
    assert (server.attributes or {})["http.response.status_code"] == 200
    assert all(server.end_time >= (s.end_time or 0) for s in spans if server.end_time)
    agents = of_kind(spans, SpanKind.INTERNAL)
    assert [s.name for s in agents] == ["invoke_agent supervisor", "invoke_agent billing_support"]
    streamed = of_kind(spans, SpanKind.CLIENT)[-1]
    a = streamed.attributes or {}
    assert parent_of(streamed) == agents[1].context.span_id
    assert (a["gen_ai.response.model"], a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (
        "m-2",
        11,
        5,
    )
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert final["tokens"] == {"in": 18, "out": 6}


# -- one trace id in the reply, the audit line and the logs -----------------------------------------


@pytest.mark.parametrize("exported", [False, True], ids=["export-off", "export-on"])
async def test_the_reply_and_every_log_line_carry_the_traceparents_trace_id(
    make_service: Callable[..., Any], mock_llm: MockLLM, request: pytest.FixtureRequest, exported: bool
) -> None:
    if exported:
        request.getfixturevalue("exporter")
    mock_llm.agent("supervisor").return_value = "technical_support"
    mock_llm.agent("technical_support").return_value = faults.Status(500)  # logs a failure too
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, stream)
    try:
        service = await make_service(retry={"attempts": 1})
        doc = (await service.chat({**BODY, "query": "The app crashes"})).json()
    finally:
        logging.getLogger("support_desk").removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {"llm_call", "request_done"} <= {line["event"] for line in lines}
    assert {line.get("trace_id") for line in lines} == {TRACE_ID}
    assert doc["trace_id"] == service.audit_lines()[0]["trace_id"] == TRACE_ID


async def test_a_failed_requests_log_line_and_audit_line_carry_the_trace_id(
    make_service: Callable[..., Any], mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = faults.Status(500)
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, stream)
    try:
        service = await make_service(resilience={"fallback": False}, retry={"attempts": 1})
        assert (await service.chat()).status_code == 503
    finally:
        logging.getLogger("support_desk").removeHandler(handler)
    failed = [d for d in map(json.loads, stream.getvalue().splitlines()) if d["event"] == "request_failed"]
    assert [d["trace_id"] for d in failed] == [TRACE_ID]
    assert service.audit_lines()[0]["trace_id"] == TRACE_ID


# -- off by default; on with the standard variable ----------------------------------------------


async def test_without_the_env_var_no_provider_is_installed_and_spans_are_no_ops(
    make_service: Callable[..., Any], mock_llm: MockLLM
) -> None:
    billing_answers(mock_llm)
    service = await make_service()  # its lifespan ran `install`
    assert not _tracing.enabled() and _tracing.export_endpoint() is None
    assert not _tracing.tracer().start_span("probe").is_recording()
    with _tracing.agent_span("supervisor") as span:
        assert not span.is_recording()
    doc = (await service.chat(traceparent=None)).json()
    assert len(doc["trace_id"]) == 32 and int(doc["trace_id"], 16) > 0


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver of one test: keeps each decoded export request."""

    got: ClassVar[list[tuple[str, ExportTraceServiceRequest]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append((self.path, ExportTraceServiceRequest.FromString(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, ExportTraceServiceRequest]]]]:
    got: list[tuple[str, ExportTraceServiceRequest]] = []
    handler = type("Handler", (_Collector,), {"got": got})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got
    server.shutdown()
    server.server_close()


async def test_with_the_env_var_spans_go_over_otlp_http_and_are_flushed_at_shutdown(
    make_system: Make,
    mock_llm: MockLLM,
    monkeypatch: pytest.MonkeyPatch,
    collector: tuple[str, list[tuple[str, ExportTraceServiceRequest]]],
    tmp_path: Path,
) -> None:
    endpoint, got = collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    billing_answers(mock_llm)
    app = create_app(make_system(), ServiceSettings(audit_log=str(tmp_path / "audit.jsonl")))
    async with app.router.lifespan_context(app):
        assert _tracing.enabled()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sd") as client:
            response = await client.post("/v1/chat", json=BODY, headers={"traceparent": TRACEPARENT})
        assert got == []  # batched: nothing sent yet
    assert not _tracing.enabled()  # shut down with the service
    assert response.json()["trace_id"] == TRACE_ID
    assert {path for path, _ in got} == {"/v1/traces"}
    resources = [r for _, req in got for r in req.resource_spans]
    names = {a.key: a.value.string_value for r in resources for a in r.resource.attributes}
    assert names["service.name"] == "support-desk"
    spans = [s for r in resources for scope in r.scope_spans for s in scope.spans]
    assert {s.trace_id.hex() for s in spans} == {TRACE_ID}
    assert sorted(s.name for s in spans) == sorted(
        [
            "POST /v1/chat",
            "invoke_agent supervisor",
            "invoke_agent billing_support",
            *["chat gpt-4o-mini"] * 2,
        ]
    )
