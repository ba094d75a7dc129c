"""OpenTelemetry for the help desk, the way a team adds it: OpenInference's LangChain
instrumentation (a span for the graph, each node and agent, each LLM call with its tokens, each
tool) and OpenTelemetry's FastAPI instrumentation (a server span per request, the caller's W3C
`traceparent` honoured), exported over OTLP/HTTP.

Off unless the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set; the
exporter reads the rest of the standard variables itself (`OTEL_SERVICE_NAME`, batch delay).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["enabled", "instrument"]

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled() -> bool:
    return any(os.environ.get(name) for name in _ENDPOINTS)


def instrument(app: Any) -> Any:
    """Instrument LangChain and `app` and return the tracer provider (to flush at shutdown); None
    when tracing is off."""
    if not enabled():
        return None
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    LangChainInstrumentor().instrument(tracer_provider=provider)
    # The health probe is polled: its spans would only be noise.
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz")
    return provider
