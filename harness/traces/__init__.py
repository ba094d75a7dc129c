"""Traces: the W3C `traceparent` every request carries, an OTLP/HTTP receiver for the spans a
system exports, and what those spans say about each request (agent path, per-agent time, tokens
and errors, the first failure), for any system instrumented with OpenTelemetry.

    from harness.traces import OTLPReceiver, group_traces, trace_id_for
    with OTLPReceiver("spans.jsonl") as receiver:      # OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint
        ...                                             # requests sent with a request id
        receiver.wait_for([trace_id_for(rid) for rid in sent])
    trace = group_traces(receiver.spans, agents=["supervisor", "billing"])[trace_id_for(rid)]
    trace.path(), trace.first_failure()
"""

from ._collect import collect_traces
from ._context import TRACEPARENT, parse_traceparent, trace_id_for, traceparent
from ._derive import Failure, Prices, Trace, cost_of, group_traces, is_llm, tokens_of
from ._model import Span, SpanEvent, read_spans
from ._otlp import OTLPError, decode
from ._receiver import OTLPReceiver
from ._summary import AgentFigures, Sent, SpanRow, TracesRecord, TracesRun, TraceView, summarise

__all__ = [
    "TRACEPARENT",
    "AgentFigures",
    "Failure",
    "OTLPError",
    "OTLPReceiver",
    "Prices",
    "Sent",
    "Span",
    "SpanEvent",
    "SpanRow",
    "Trace",
    "TraceView",
    "TracesRecord",
    "TracesRun",
    "collect_traces",
    "cost_of",
    "decode",
    "group_traces",
    "is_llm",
    "parse_traceparent",
    "read_spans",
    "summarise",
    "tokens_of",
    "trace_id_for",
    "traceparent",
]
