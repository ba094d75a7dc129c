"""The desk's tracing, the way a team would test it: off without an OTLP endpoint; with one, a
request that carries a traceparent comes back as spans under that trace id, the graph's nodes
named after the agents (the harness reads the path from them over HTTP), LLM spans with tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from handoff_desk import _tracing, api
from harness import MockLLM, Reply, ToolCall
from harness.traces import OTLPReceiver, group_traces, trace_id_for, traceparent

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def test_tracing_is_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENDPOINTS:
        monkeypatch.delenv(name, raising=False)
    assert not _tracing.enabled()
    assert _tracing.instrument(FastAPI()) is None


async def test_with_an_endpoint_a_request_comes_back_as_spans_of_its_trace(
    monkeypatch: pytest.MonkeyPatch, mock_llm: MockLLM
) -> None:
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    mock_llm.agent("supervisor").side_effect = [
        Reply(tool_calls=[ToolCall("transfer_to_tech", {})]),
        "Reset it from the sign-in page.",
    ]
    mock_llm.agent("tech").side_effect = ["Reset it from the sign-in page."]
    app = FastAPI()
    app.post("/ask")(api.ask)
    with OTLPReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setattr(api, "_graph", None)  # built afresh, once LangChain is instrumented
        provider = _tracing.instrument(app)
        assert provider is not None
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
                header = {"traceparent": traceparent(trace_id_for("t-1"))}
                resp = await client.post("/ask", json={"query": "I cannot log in"}, headers=header)
            assert resp.status_code == 200 and resp.json()["route"] == "tech"
            provider.force_flush()
            assert receiver.wait_for([trace_id_for("t-1")], timeout_s=5) == set()
        finally:
            provider.shutdown()
            LangChainInstrumentor().uninstrument()
            FastAPIInstrumentor.uninstrument_app(app)
            monkeypatch.setattr(api, "_graph", None)
    trace = group_traces(receiver.spans, agents=["supervisor", "billing", "tech"])[trace_id_for("t-1")]
    assert trace.path() == ["supervisor", "tech", "supervisor"]
    assert len(trace.llm_calls()) == 3 and all(t is not None for t in trace.tokens())
    assert {s.kind for s in trace.roots} == {"server"}


async def test_the_api_flushes_its_spans_when_it_shuts_down(monkeypatch: pytest.MonkeyPatch) -> None:
    class Provider:
        shut = False

        def shutdown(self) -> None:
            self.shut = True

    provider: Any = Provider()
    monkeypatch.setattr(api, "_tracer_provider", provider)
    async with api._lifespan(api.app):
        assert not provider.shut
    assert provider.shut
