"""The reference service: a FastAPI app over `SupportSystem`.

Every request ends within the request deadline plus a grace period with one of: an answer, a
fallback, an escalation, a 422 for bad input, or a retriable 429/503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from aiolimiter import AsyncLimiter
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field

from harness import InputValidationError
from harness.measure import AuditLog

from .. import HandoffRule, SupportResult, SupportSystem, load_settings
from .._logging import log_event
from ._metrics import ServiceMetrics
from ._settings import ServiceSettings

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


def _error(status: int, message: str, *, retry_after: float | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    body = {"error": message, "retriable": status in (429, 503)}
    return JSONResponse(body, status_code=status, headers=headers)


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["system"] = system or served_system()
        state["audit"] = AuditLog(cfg.audit_log)
        try:
            yield
        finally:
            state["audit"].close()
            if system is None:
                await state["system"].aclose()

    app = FastAPI(title="harness reference service", lifespan=lifespan)
    metrics = ServiceMetrics()
    limiter = AsyncLimiter(cfg.burst, cfg.burst / cfg.requests_per_second)
    app.state.metrics = metrics

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()
        )
        metrics.rejected("invalid_request")
        return _error(422, f"invalid request: {problems}")

    @app.post("/v1/chat")
    async def chat(body: ChatRequest, request: Request) -> Response:
        request_id = request.headers.get("x-request-id")
        audit: AuditLog = state["audit"]
        if not limiter.has_capacity():
            metrics.rejected("rate_limited")
            audit.write(request_id=request_id, status=429, query_chars=len(body.query))
            return _error(429, "rate limit exceeded; retry later", retry_after=1 / cfg.requests_per_second)
        await limiter.acquire()
        sys_: SupportSystem = state["system"]
        budget = sys_.settings.timeouts.request_deadline_s + cfg.grace_s
        try:
            async with asyncio.timeout(budget):  # no extra task, unlike wait_for
                result = await sys_.ainvoke(
                    body.query, user_id=body.user_id, customer_tier=body.customer_tier
                )
        except InputValidationError as exc:
            metrics.rejected("invalid_input")
            audit.write(request_id=request_id, status=422, query_chars=len(body.query), error=str(exc))
            return _error(422, str(exc))
        except Exception as exc:  # with fallbacks off, a failure is a retriable 503, never a hang
            metrics.rejected("error")
            code = getattr(exc, "code", "error")
            log_event("request_failed", level=logging.ERROR, agent="service", error_code=code)
            audit.write(
                request_id=request_id, status=503, query_chars=len(body.query), error=type(exc).__name__
            )
            return _error(503, f"the system could not answer: {type(exc).__name__}", retry_after=1)
        metrics.observe(result)
        # Render first: the audit log must record the status the client really gets.
        response = JSONResponse(_response(result), headers={"X-Trace-Id": result.trace_id})
        audit.write(
            request_id=request_id,
            status=200,
            query_chars=len(body.query),
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
        return response

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
