"""The reference service: a FastAPI app over `SupportSystem`.

Every request ends within the request deadline plus a grace period with one of: an answer, a
fallback, an escalation, a 4xx for bad input, or a retriable 429/503 with Retry-After. Every
error reply is `{"error", "retriable"}`, whoever raised it (FastAPI's parser and router too), and
every request but the operational ones (`/health`, `/metrics`, `/_control/...`) gets exactly one
audit line with the status it got: `AuditMiddleware` writes it as the response ends, with what the
handler noted (`audit_fields`). The same middleware bounds the read: a body over
`max_body_bytes` gets 413, one not whole within `read_timeout_s` of its headers 408.
Each audited request is a SERVER span under the `traceparent` it came with, whose trace id is
the request's `trace_id` (`_tracing.py`); spans are exported only if OTEL_EXPORTER_OTLP_ENDPOINT
is set.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

from aiolimiter import AsyncLimiter
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from harness import InputValidationError
from harness.measure import AuditLog, AuditMiddleware, audit_fields
from harness.sut import bypassing_cache

from .. import HandoffRule, SupportResult, SupportSystem, _tracing, load_settings
from .._logging import log_event
from .._policy import sanitise_query
from ._metrics import ServiceMetrics
from ._settings import ServiceSettings
from ._stream import stream_answer
from ._tracing import RequestSpans, request_trace_id

__all__ = ["ChatRequest", "create_app", "served_system"]


def served_system(reference: dict[str, Any] | None = None) -> SupportSystem:
    """The system a service process runs: `llm_http` defaults to aiohttp here (it costs about
    1.2 ms less CPU an LLM call than httpx); set anywhere (argument, env, pyproject), it wins."""
    settings = load_settings(**(reference or {}))
    if settings.llm_http is None:
        settings = settings.model_copy(update={"llm_http": "aiohttp"})
    return SupportSystem(settings)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(max_length=100_000)
    user_id: str = Field(min_length=1, max_length=200)
    customer_tier: Literal["standard", "vip"] = "standard"
    session_id: str | None = Field(None, max_length=200)


def _response(result: SupportResult) -> dict[str, Any]:
    return {
        "trace_id": result.trace_id,
        "route": result.route,
        "answer": result.answer,
        "escalated": result.escalated,
        "escalation_reason": result.escalation_reason,
        "confidence": result.confidence,
        "fallback": result.fallback,
        "degraded": result.degraded,
        "tokens": {"in": result.tokens_in, "out": result.tokens_out},
        "cost_usd": result.cost_usd,
        "latency_ms": round(result.latency_ms, 3),
        "cache_hit": result.cache_hit,
        "path": result.path,
    }


def _note(noted: dict[str, Any], result: SupportResult) -> None:
    """What the audit line of an answered request holds (/v1/chat and its stream alike)."""
    noted.update(
        trace_id=result.trace_id,
        route=result.route,
        escalated=result.escalated,
        escalation_reason=result.escalation_reason,
        fallback=result.fallback,
        degraded=result.degraded,
        server_ms=round(result.latency_ms, 3),
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
        cost_usd=result.cost_usd,
        agents={
            k: {
                "latency_ms": round(float(v.get("latency_ms", 0)), 3),
                "tokens_in": v.get("tokens_in", 0),
                "tokens_out": v.get("tokens_out", 0),
                # 12 places: exact enough to add up, short enough not to read as a card number
                "cost_usd": round(float(v.get("cost_usd", 0.0)), 12),
            }
            for k, v in result.agents.items()
        },
    )


RETRIABLE = (408, 429, 503)  # "try again": the request may succeed as it is, later
OPERATIONAL = ("/health", "/metrics", "/_control/handoff")  # probes and chaos control: not audited
ROUTES = ("/v1/chat", "/v1/chat/stream")  # what names a request's span (`POST /v1/chat`)


def _error(
    status: int,
    message: str,
    *,
    retry_after: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    body = {"error": message, "retriable": status in RETRIABLE}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _no_cache(request: Request) -> bool:
    """`Cache-Control: no-cache`: answer afresh (the harness's repeated trials send it)."""
    directives = request.headers.get("cache-control", "").lower().split(",")
    return "no-cache" in (d.strip() for d in directives)


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """FastAPI's and Starlette's own errors (unknown path, wrong method, unparseable body), in the
    service's shape."""
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        message = f"no such path: {where}; the API is POST /v1/chat (or /v1/chat/stream)"
    elif exc.status_code == 405:
        message = f"method not allowed: {where}; allowed: {(exc.headers or {}).get('Allow', '?')}"
    elif exc.status_code == 400:  # the body is not text JSON can read: not UTF-8, or nested too deep
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "unreadable"
        message = f"invalid request: the body cannot be read as JSON ({cause}); send UTF-8 JSON"
    else:
        message = str(exc.detail)
    return _error(exc.status_code, message, headers=exc.headers)


def create_app(
    system: SupportSystem | None = None,
    settings: ServiceSettings | None = None,
    *,
    starting: Callable[[], str | None] | None = None,
) -> FastAPI:
    """The app; builds a `SupportSystem` from the settings files when none is given. `starting`
    says why the service is not ready yet (other workers still starting), or None once it is."""
    cfg = settings or ServiceSettings()
    state: dict[str, Any] = {}
    audit = AuditLog(cfg.audit_log)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _tracing.install()  # only if OTEL_EXPORTER_OTLP_ENDPOINT is set
        state["system"] = system or served_system()
        try:
            yield
        finally:
            audit.close()
            if system is None:
                await state["system"].aclose()
            _tracing.shutdown()  # last: the spans of requests that just ended are exported

    app = FastAPI(title="harness reference service", lifespan=lifespan)
    app.add_middleware(
        AuditMiddleware,
        path=audit,
        skip=OPERATIONAL,
        max_body_bytes=cfg.max_body_bytes,
        read_timeout_s=cfg.read_timeout_s,
    )
    # Added last, so outermost: the span covers the audit middleware's own 408 and 413 too.
    app.add_middleware(RequestSpans, routes=ROUTES, skip=OPERATIONAL)
    metrics = ServiceMetrics()
    limiter = AsyncLimiter(cfg.burst, cfg.burst / cfg.requests_per_second)
    app.state.metrics = metrics

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.rejected("invalid_request")
        if request.method == "POST" and not _is_json(request):
            got = request.headers.get("content-type") or "none"
            return _error(415, f"invalid request: Content-Type {got}; send application/json")
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return _error(422, f"invalid request: {problems}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code < 500:
            metrics.rejected("invalid_request")
        return _http_error(request, exc)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:  # a bug: still the shape
        log_event("request_crashed", level=logging.ERROR, agent="service", error_code=type(exc).__name__)
        return _error(500, f"internal error: {type(exc).__name__}")

    @app.post("/v1/chat")
    async def chat(body: ChatRequest, request: Request) -> Response:
        noted = audit_fields(request.scope)  # the line AuditMiddleware writes once this is sent
        trace_id = request_trace_id(request.scope)
        noted.update(query_chars=len(body.query), trace_id=trace_id)
        if not limiter.has_capacity():
            metrics.rejected("rate_limited")
            return _error(429, "rate limit exceeded; retry later", retry_after=1 / cfg.requests_per_second)
        await limiter.acquire()
        sys_: SupportSystem = state["system"]
        budget = sys_.settings.timeouts.request_deadline_s + cfg.grace_s
        try:
            async with asyncio.timeout(budget):  # no extra task, unlike wait_for
                with bypassing_cache(_no_cache(request)):
                    result = await sys_.ainvoke(
                        body.query, user_id=body.user_id, customer_tier=body.customer_tier, trace_id=trace_id
                    )
        except InputValidationError as exc:
            metrics.rejected("invalid_input")
            return _error(422, str(exc))
        except Exception as exc:  # with fallbacks off, a failure is a retriable 503, never a hang
            metrics.rejected("error")
            code = getattr(exc, "code", "error")
            log_event(
                "request_failed", level=logging.ERROR, trace_id=trace_id, agent="service", error_code=code
            )
            noted["error"] = type(exc).__name__
            return _error(503, f"the system could not answer: {type(exc).__name__}", retry_after=1)
        metrics.observe(result)
        _note(noted, result)
        return JSONResponse(_response(result), headers={"X-Trace-Id": result.trace_id})

    @app.post("/v1/chat/stream")
    async def chat_stream(body: ChatRequest, request: Request) -> Response:
        """The same answer as /v1/chat, as server-sent events (see `_stream`)."""
        noted = audit_fields(request.scope)
        noted.update(query_chars=len(body.query), stream=True)
        if not limiter.has_capacity():  # refused before the stream starts: a plain error reply
            metrics.rejected("rate_limited")
            return _error(429, "rate limit exceeded; retry later", retry_after=1 / cfg.requests_per_second)
        await limiter.acquire()
        sys_: SupportSystem = state["system"]
        # Checked before the stream starts, so a bad query gets the 422 /v1/chat gives it.
        try:
            sanitise_query(body.query, max_chars=sys_.settings.max_query_chars)
        except InputValidationError as exc:
            metrics.rejected("invalid_input")
            return _error(422, str(exc))
        trace_id = request_trace_id(request.scope)

        def reply(result: SupportResult) -> dict[str, Any]:
            metrics.observe(result)
            _note(noted, result)
            return _response(result)

        def fail(exc: BaseException) -> dict[str, Any]:
            metrics.rejected("error")
            name = "DeadlineExceeded" if isinstance(exc, TimeoutError) else type(exc).__name__
            log_event(
                "request_failed",
                level=logging.ERROR,
                trace_id=trace_id,
                agent="service",
                error_code=getattr(exc, "code", name),
            )
            noted.update(error=name, trace_id=trace_id)
            return {"error": f"the system could not answer: {name}", "retriable": True}

        events = stream_answer(
            lambda: sys_.ainvoke(
                body.query, user_id=body.user_id, customer_tier=body.customer_tier, trace_id=trace_id
            ),
            reply,
            fail,
            budget_s=sys_.settings.timeouts.request_deadline_s + cfg.grace_s,
        )
        headers = {"X-Trace-Id": trace_id, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)

    @app.get("/health", response_model=None)
    async def health() -> dict[str, Any] | JSONResponse:
        waiting = starting() if starting is not None else None
        if waiting is not None:
            return JSONResponse({"status": "starting", "live": True, "ready": False, "detail": waiting}, 503)
        info = state["system"].health()
        metrics.breakers(info["breakers"])
        open_ = [a for a, s in info["breakers"].items() if s == "open"]
        return {
            "status": "degraded" if open_ else "ok",
            "live": True,
            "ready": True,
            "open_breakers": open_,
            "pid": os.getpid(),  # which worker answered, when several share the port
            **info,
        }

    if cfg.chaos_control:
        _add_chaos_control(app, state)

    @app.get("/metrics")
    async def prometheus() -> Response:
        metrics.breakers(state["system"].health()["breakers"])
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


class _HandoffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    rules: list[HandoffRule] = Field(default_factory=list)


def _add_chaos_control(app: FastAPI, state: dict[str, Any]) -> None:
    """Handoff faults switched on and off at run time (only with `chaos_control`)."""

    @app.get("/_control/handoff")
    async def get_handoff() -> dict[str, Any]:
        return dict(state["system"].handoff.snapshot())

    @app.put("/_control/handoff")
    async def put_handoff(body: _HandoffUpdate) -> dict[str, Any]:
        state["system"].handoff.set(body.rules, body.seed)
        return dict(state["system"].handoff.snapshot())

    @app.delete("/_control/handoff")
    async def clear_handoff() -> dict[str, Any]:
        state["system"].handoff.clear()
        return dict(state["system"].handoff.snapshot())
