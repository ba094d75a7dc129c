"""W3C trace context: the `traceparent` the harness sends with every request.

A request's trace id is derived from its request id (load and chaos runs give every request one),
so any record that names the request names its trace too, with no table kept in between; a turn
without a request id gets a random one. A system that propagates the context (every OTel
instrumentation of an HTTP server does) puts its spans under that trace id and needs nothing else.
"""

from __future__ import annotations

import hashlib
import re
import secrets

__all__ = ["TRACEPARENT", "parse_traceparent", "trace_id_for", "traceparent"]

TRACEPARENT = "traceparent"
_SHAPE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


def trace_id_for(request_id: str | None) -> str:
    """The 32-hex trace id of the request `request_id` (a random one without)."""
    if not request_id:
        return secrets.token_hex(16)
    digest = hashlib.sha256(f"harness-trace:{request_id}".encode()).hexdigest()[:32]
    return digest if digest != _ZERO_TRACE else "1" + digest[1:]


def traceparent(trace_id: str, span_id: str | None = None) -> str:
    """`00-<trace id>-<parent span id>-01` (sampled): the header value."""
    span = span_id or secrets.token_hex(8)
    if span == _ZERO_SPAN:
        span = "1" + span[1:]
    return f"00-{trace_id}-{span}-01"


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid header value, else None."""
    match = _SHAPE.match((value or "").strip().lower())
    if not match or match[1] == _ZERO_TRACE or match[2] == _ZERO_SPAN:
        return None
    return match[1], match[2]
