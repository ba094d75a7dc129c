"""The SERVER span of each request, and the request's trace id.

A request's trace id is its `traceparent`'s when it carries a valid one (W3C trace context), else
a fresh one; logs, the audit line, the reply (`trace_id`, `X-Trace-Id`) and the spans all carry
it. The header is read with export on or off: the OTel API's no-op span keeps the parent's
context, so one rule serves both (`request_trace_id`).
"""

from __future__ import annotations

import uuid
from typing import Any

from opentelemetry.trace import Span, SpanKind, StatusCode, use_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import _tracing

__all__ = ["REQUEST_ID_ATTRIBUTE", "RequestSpans", "request_trace_id"]

# The semantic conventions' name for a captured request header (a list of its values): what
# OTel's own ASGI instrumentation writes when told to capture X-Request-Id.
REQUEST_ID_ATTRIBUTE = "http.request.header.x-request-id"
_TRACE_ID_KEY = "support_desk.trace_id"  # in the ASGI scope's `state`, for the handlers
# W3C only, not the global propagator: the trace id of logs is defined as W3C's.
_W3C = TraceContextTextMapPropagator()


def request_trace_id(scope: Scope) -> str:
    """The trace id `RequestSpans` chose for this request (a fresh one outside it)."""
    value = scope.get("state", {}).get(_TRACE_ID_KEY)
    return value if isinstance(value, str) else uuid.uuid4().hex


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}


class RequestSpans:
    """Pure ASGI (a streamed reply stays inside its span to its last byte). `routes`: the app's
    paths, which name spans (`POST /v1/chat`); any other path's span is named by its method
    only, as the conventions say. `skip`: paths with no span (probes, metrics)."""

    def __init__(self, app: ASGIApp, *, routes: tuple[str, ...], skip: tuple[str, ...] = ()) -> None:
        self.app, self.routes, self.skip = app, frozenset(routes), frozenset(skip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip:
            await self.app(scope, receive, send)
            return
        span = self._start(scope)
        scope["state"] = {**scope.get("state", {}), _TRACE_ID_KEY: _trace_id(span)}

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                _status(span, int(message["status"]))
            await send(message)

        # Ended on the way out; errors are marked below, with the redacted message.
        with use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                await self.app(scope, receive, send_noting_status)
            except BaseException as exc:  # answered 500 by the server-error middleware outside
                _status(span, 500)
                _tracing.failed(span, exc)
                raise

    def _start(self, scope: Scope) -> Span:
        headers = _headers(scope)
        method, path = scope["method"], scope["path"]
        route = path if path in self.routes else None
        attributes: dict[str, Any] = {"http.request.method": method}
        if route is not None:
            attributes["http.route"] = route
        if "x-request-id" in headers:
            attributes[REQUEST_ID_ATTRIBUTE] = (headers["x-request-id"],)
        return _tracing.tracer().start_span(
            f"{method} {route}" if route else method,
            context=_W3C.extract(headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )


def _trace_id(span: Span) -> str:
    # The span's, which is the traceparent's when one came (a no-op span carries the parent's
    # context); none valid: a fresh id, as before tracing existed.
    return _tracing.trace_id_of(span) or uuid.uuid4().hex


def _status(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:  # a 4xx is the client's error, not the server span's (the conventions)
        span.set_attribute("error.type", str(status))
        span.set_status(StatusCode.ERROR, f"HTTP {status}")
