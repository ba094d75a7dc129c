"""OpenTelemetry spans of the reference system, after the GenAI semantic conventions; no export
unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.

    POST /v1/chat                     SERVER    one per request (service/_tracing.py)
    ├── invoke_agent supervisor       INTERNAL  one per graph node run, `gen_ai.agent.name`
    │   └── chat gpt-4o-mini          CLIENT    one per LLM call attempt (a retry is its own)
    └── invoke_agent billing_support
        └── chat gpt-4o-mini

With the variable set, the service installs an SDK `TracerProvider` that batches spans to
`<endpoint>/v1/traces` over OTLP/HTTP (`install`, at startup; `shutdown` flushes at exit).
Without it, spans go to the OTel API's global tracer: a no-op unless the process hosting the
system installed a provider of its own, which then gets them.

Spans hold ids, names, counts, codes and statuses, never a query, an answer or a user id: an
exception's message is redacted before it is recorded (`harness.pii`).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer

from harness.pii import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "DEFAULT_SERVICE_NAME",
    "TRACER_NAME",
    "agent_outcome",
    "agent_span",
    "current_trace_id",
    "enabled",
    "export_endpoint",
    "failed",
    "install",
    "llm_outcome",
    "llm_span",
    "shutdown",
    "trace_id_of",
    "tracer",
    "use",
]

TRACER_NAME = "support_desk"
DEFAULT_SERVICE_NAME = "support-desk"
_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_MESSAGE_CHARS = 300

# The module's own provider, not the process-global one: the OTel API lets the global be set once
# per process, and a host that embeds the app (a test, another service) keeps its own.
_provider: TracerProvider | None = None
_installed: TracerProvider | None = None  # the one `install` made, so `shutdown` ends only it
_tracer: Tracer = trace.get_tracer(TRACER_NAME)  # a proxy: follows the global provider


def tracer() -> Tracer:
    return _tracer


def enabled() -> bool:
    """Whether this module exports spans through a provider of its own."""
    return _provider is not None


def export_endpoint() -> str | None:
    """The OTLP endpoint the environment names, if any: what switches export on."""
    for name in _ENDPOINT_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _set(provider: TracerProvider | None) -> None:
    global _provider, _tracer
    _provider = provider
    _tracer = trace.get_tracer(TRACER_NAME) if provider is None else provider.get_tracer(TRACER_NAME)


@contextmanager
def use(provider: TracerProvider) -> Iterator[TracerProvider]:
    """Spans go to `provider` inside the block (tests: an in-memory exporter's provider)."""
    before = _provider
    _set(provider)
    try:
        yield provider
    finally:
        _set(before)


def install() -> bool:
    """Start exporting over OTLP/HTTP if the environment names an endpoint; True if it does."""
    global _installed
    if _provider is not None:  # already on (installed, or a host's provider in `use`)
        return True
    if export_endpoint() is None:
        return False
    # Imported here: a process that exports nothing never loads the SDK's exporter and its
    # protobuf and requests dependencies.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads the endpoint
    _installed = provider
    _set(provider)
    return True


def shutdown() -> None:
    """Flush and stop what `install` started (service shutdown: no span lost at exit). With the
    collector down this waits out the exporter's timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s)."""
    global _installed
    if _installed is None:
        return
    provider, _installed = _installed, None
    if _provider is provider:
        _set(None)
    provider.shutdown()  # the batch processor exports what it still holds first


def trace_id_of(span: Span) -> str | None:
    """The span's trace id as 32 hex digits; None for an invalid one (no-op span, no parent)."""
    ctx = span.get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def current_trace_id() -> str | None:
    """The trace id of the span active here, if there is a valid one."""
    return trace_id_of(trace.get_current_span())


def failed(span: Span, exc: BaseException) -> None:
    """Mark the span failed by `exc`: status ERROR, `error.type`, and the exception, redacted."""
    if not span.is_recording():
        return
    kind = type(exc).__name__
    code = getattr(exc, "code", None)
    span.set_attribute("error.type", kind)
    if isinstance(code, str):
        span.set_attribute("support_desk.error_code", code)
    span.set_status(StatusCode.ERROR, code if isinstance(code, str) else kind)
    # An LLM's error body or a validation message may quote what it was sent: redacted, like logs.
    span.record_exception(
        exc,
        attributes={
            "exception.message": redact(str(exc))[:_MESSAGE_CHARS],
            "exception.stacktrace": redact("".join(traceback.format_exception(exc))),
        },
        escaped=True,
    )


# With nothing to export to, an agent's or a call's span is this: no context switch, no objects.
# (The API's no-op tracer costs about 6 us a span; five a request add up.)
_NO_SPAN: AbstractContextManager[Span] = nullcontext(trace.INVALID_SPAN)
_NO_PROVIDERS = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)


def _span(name: str, kind: SpanKind, attributes: Mapping[str, Any]) -> AbstractContextManager[Span]:
    # A host's global provider, set now or later, still gets the spans.
    if _provider is None and isinstance(trace.get_tracer_provider(), _NO_PROVIDERS):
        return _NO_SPAN
    return _recorded(name, kind, attributes)


@contextmanager
def _recorded(name: str, kind: SpanKind, attributes: Mapping[str, Any]) -> Iterator[Span]:
    # Our own error handling, not the API's: it would record the raw message, and it ignores a
    # cancellation (a timeout cutting an LLM call short), which must still read as a failure.
    with _tracer.start_as_current_span(
        name, kind=kind, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except BaseException as exc:
            failed(span, exc)
            raise


def agent_span(agent: str) -> AbstractContextManager[Span]:
    """The span of one run of a graph node, named as the graph names it."""
    attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent}
    return _span(f"invoke_agent {agent}", SpanKind.INTERNAL, attributes)


# The node update's keys a trace reader wants, and their attribute names (all but `errors`).
_OUTCOME_TEXT = (
    ("route", "support_desk.route"),
    ("fallback", "support_desk.fallback"),
    ("escalation_reason", "support_desk.escalation_reason"),
)
_OUTCOME_FLAGS = (
    ("cache_hit", "support_desk.cache_hit"),
    ("degraded", "support_desk.degraded"),
    ("escalate", "support_desk.escalated"),
)


def agent_outcome(span: Span, update: Mapping[str, Any]) -> None:
    """What a node's update says that a trace reader wants: fallback, cache hit, escalation, and
    the code of an error the node absorbed (a breaker open, a failed LLM call, a deadline)."""
    if not span.is_recording():
        return
    for key, name in _OUTCOME_TEXT:
        if isinstance(update.get(key), str):
            span.set_attribute(name, update[key])
    for key, name in _OUTCOME_FLAGS:
        if update.get(key):
            span.set_attribute(name, True)
    codes = [e.get("code") for e in update.get("errors") or () if isinstance(e, Mapping)]
    if codes:
        span.set_attribute("support_desk.error_code", str(codes[-1]))


def llm_span(
    model: str, *, temperature: float, server: tuple[str, int | None]
) -> AbstractContextManager[Span]:
    """The span of one chat-completions call (one attempt)."""
    host, port = server
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",  # the wire protocol: any OpenAI-compatible endpoint
        "gen_ai.request.model": model,
        "gen_ai.request.temperature": temperature,
        "server.address": host,
    }
    if port is not None:
        attributes["server.port"] = port
    return _span(f"chat {model}", SpanKind.CLIENT, attributes)


def llm_outcome(
    span: Span, *, model: str, tokens_in: int, tokens_out: int, finish_reason: str | None
) -> None:
    """What an answered call reports: the model that answered, its token counts, why it stopped."""
    if not span.is_recording():
        return
    span.set_attribute("gen_ai.response.model", model)
    span.set_attribute("gen_ai.usage.input_tokens", tokens_in)
    span.set_attribute("gen_ai.usage.output_tokens", tokens_out)
    if finish_reason:
        span.set_attribute("gen_ai.response.finish_reasons", (finish_reason,))
