"""OTLP/HTTP trace payloads (`POST /v1/traces`) read into `Span`s: protobuf, as every OTel SDK's
exporter sends by default, or OTLP/JSON (ids in hex, as the spec has it, not proto3's base64).

The protobuf classes come from `opentelemetry-proto`, imported on the first protobuf payload.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from .._exceptions import HarnessError
from ._model import Span, SpanEvent

__all__ = ["OTLPError", "decode"]

_KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {0: "unset", 1: "ok", 2: "error"}


class OTLPError(HarnessError, ValueError):
    """A payload that is not an OTLP trace export."""


def decode(body: bytes, content_type: str = "application/x-protobuf", encoding: str = "") -> list[Span]:
    """The spans in one export request."""
    body = _inflate(body, encoding.strip().lower())
    if "json" in content_type.lower():
        return _from_json(body)
    return _from_protobuf(body)


def _inflate(body: bytes, encoding: str) -> bytes:
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError) as exc:
        raise OTLPError(f"the body says Content-Encoding {encoding} but is not ({exc})") from None
    return body


def _from_protobuf(body: bytes) -> list[Span]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise OTLPError(f"not an OTLP protobuf ExportTraceServiceRequest ({exc})") from None
    spans = []
    for resource in request.resource_spans:
        service = _pb_attrs(resource.resource.attributes).get("service.name")
        for scoped in resource.scope_spans:
            for s in scoped.spans:
                spans.append(
                    Span(
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex() or None,
                        name=s.name,
                        kind=_KINDS.get(s.kind, "internal"),
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        status=_STATUS.get(s.status.code, "unset"),
                        status_message=s.status.message,
                        attributes=_pb_attrs(s.attributes),
                        events=[
                            SpanEvent(
                                name=e.name, time_ns=e.time_unix_nano, attributes=_pb_attrs(e.attributes)
                            )
                            for e in s.events
                        ],
                        service=service,
                        scope=scoped.scope.name or None,
                    )
                )
    return spans


def _pb_attrs(pairs: Any) -> dict[str, Any]:
    return {kv.key: _pb_value(kv.value) for kv in pairs}


def _pb_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _pb_attrs(value.kvlist_value.values)
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None


def _from_json(body: bytes) -> list[Span]:
    try:
        doc = json.loads(body)
        return [
            _json_span(span, _json_attrs(rs.get("resource", {}).get("attributes", [])), ss.get("scope", {}))
            for rs in doc.get("resourceSpans", [])
            for ss in rs.get("scopeSpans", [])
            for span in ss.get("spans", [])
        ]
    except (ValueError, AttributeError, TypeError, KeyError) as exc:
        raise OTLPError(f"not an OTLP/JSON trace export ({exc})") from None


def _json_span(s: dict[str, Any], resource: dict[str, Any], scope: dict[str, Any]) -> Span:
    kind = s.get("kind", 1)
    status = s.get("status", {})
    code = status.get("code", 0)
    return Span(
        trace_id=s["traceId"].lower(),
        span_id=s["spanId"].lower(),
        parent_span_id=(s.get("parentSpanId") or "").lower() or None,
        name=s["name"],
        kind=_KINDS.get(kind if isinstance(kind, int) else 1, "internal"),
        start_ns=int(s["startTimeUnixNano"]),
        end_ns=int(s["endTimeUnixNano"]),
        status=_STATUS.get(code if isinstance(code, int) else 0, "unset"),
        status_message=status.get("message", ""),
        attributes=_json_attrs(s.get("attributes", [])),
        events=[
            SpanEvent(
                name=e["name"],
                time_ns=int(e.get("timeUnixNano", 0)),
                attributes=_json_attrs(e.get("attributes", [])),
            )
            for e in s.get("events", [])
        ],
        service=resource.get("service.name"),
        scope=scope.get("name") or None,
    )


def _json_attrs(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {kv["key"]: _json_value(kv.get("value", {})) for kv in pairs}


def _json_value(value: dict[str, Any]) -> Any:
    if "arrayValue" in value:
        return [_json_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return _json_attrs(value["kvlistValue"].get("values", []))
    if "intValue" in value:
        return int(value["intValue"])  # int64 travels as a string in OTLP/JSON
    for key in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    return None
