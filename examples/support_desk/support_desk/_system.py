"""`SupportSystem`: the reference system as one object a service, a test or a load run can drive."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from typing import Any

import httpx
from pydantic import BaseModel

from harness.pii import redact

from . import _tracing
from ._cache import ResponseCache
from ._clock import Clock, SystemClock
from ._errors import DeadlineExceededError
from ._graph import build_graph
from ._handoff import HandoffFaults
from ._llm import LLMClient
from ._logging import log_event
from ._nodes import Nodes
from ._policy import sanitise_query
from ._settings import Settings, load_settings
from ._state import EscalationReason, Fallback, Route, initial_state

__all__ = ["SupportResult", "SupportSystem"]


class SupportResult(BaseModel):
    """What a customer gets back, plus what the harness measures."""

    trace_id: str
    route: str
    answer: str
    escalated: bool
    escalation_reason: str | None = None
    confidence: float | None = None
    offer: dict[str, Any] | None = None
    fallback: str | None = None
    degraded: bool = False
    cache_hit: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    agents: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, str]] = []
    path: list[str] = []


class SupportSystem:
    """The reference customer-service supervisor: LangGraph graph plus its resilience kit."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        handoff: HandoffFaults | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.clock = clock or SystemClock()
        c = self.settings.cache
        self.cache = ResponseCache(
            max_entries=c.max_entries,
            ttl_s=c.ttl_s,
            stale_ttl_s=c.stale_ttl_s,
            semantic=c.semantic,
            similarity_threshold=c.similarity_threshold,
            clock=self.clock,
        )
        self.llm = LLMClient(
            self.settings.llm_base_url,
            self.settings.llm_api_key.get_secret_value(),
            http_client=http_client,
            http=self.settings.llm_http or "httpx",
        )
        self.nodes = Nodes(self.settings, self.llm, self.cache, self.clock)
        # Always in place (empty by default) so a chaos run can switch handoff faults on live.
        self.handoff = handoff or HandoffFaults()
        self.graph = build_graph(self.nodes, self.handoff)

    async def ainvoke(
        self,
        query: str,
        *,
        user_id: str = "anonymous",
        customer_tier: str = "standard",
        trace_id: str | None = None,
        session_id: str | None = None,  # accepted for the conversation's logs; turns are independent
    ) -> SupportResult:
        """Answer one query. Bad input raises `InputValidationError`; nothing else escapes
        unless `resilience.fallback` is switched off."""
        clean = sanitise_query(query, max_chars=self.settings.max_query_chars)
        if self.settings.redact_llm_input:
            clean = redact(clean)
        # Inside a traced request (the service's span, or a host's): that trace's id, so logs,
        # the audit log, the reply and the spans share one.
        trace_id = trace_id or _tracing.current_trace_id() or _new_trace_id()
        started = time.perf_counter()
        deadline_s = self.settings.timeouts.request_deadline_s
        state = initial_state(
            trace_id=trace_id,
            user_id=redact(user_id),
            customer_tier=customer_tier,
            query=clean,
            deadline_at=self.clock.monotonic() + deadline_s,
        )
        try:
            if self.settings.resilience.timeouts:
                # A backstop a little after the deadline: agents' budgets end at the deadline
                # itself, so this only fires when something other than an LLM call hangs.
                async with asyncio.timeout(deadline_s * 1.05 + 0.05):
                    final = await self.graph.ainvoke(state)
            else:
                final = await self.graph.ainvoke(state)
        except TimeoutError:
            if not self.settings.resilience.fallback:
                raise DeadlineExceededError(
                    f"request {trace_id} passed its {deadline_s} s deadline"
                ) from None
            final = _deadline_state(state)
        result = _result(final, latency_ms=(time.perf_counter() - started) * 1000)
        log_event(
            "request_done",
            trace_id=trace_id,
            agent="system",
            route=result.route,
            escalated=result.escalated,
            fallback=result.fallback,
            latency_ms=round(result.latency_ms, 2),
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
        )
        return result

    def invoke(self, query: str, **kwargs: Any) -> SupportResult:
        """Synchronous form of `ainvoke` (not from inside a running event loop)."""
        return asyncio.run(self.ainvoke(query, **kwargs))

    def health(self) -> dict[str, Any]:
        """Each agent's breaker state, and the cache's counters."""
        return {
            "breakers": {name: g.breaker.state.value for name, g in self.nodes.guards.items()},
            "cache": vars(self.cache.stats) | {"entries": len(self.cache)},
        }

    async def aclose(self) -> None:
        await self.llm.aclose()


def _new_trace_id() -> str:
    # W3C's shape (32 hex digits): logs and the audit log keep it through redaction by design.
    return uuid.uuid4().hex


def _deadline_state(state: Any) -> dict[str, Any]:
    return dict(state) | {
        "route": Route.ESCALATE.value,
        "escalate": True,
        "degraded": True,
        "escalation_reason": EscalationReason.DEADLINE.value,
        "fallback": Fallback.ESCALATION.value,
        "answer": "Your request is taking longer than expected; a member of our team will contact you.",
        "errors": [
            *state.get("errors", []),
            {"agent": "system", "code": "deadline_exceeded", "message": "the request passed its deadline"},
        ],
    }


def _finite(value: Any) -> float | None:
    # Never hand a NaN or an out-of-range number onwards: it is not valid JSON for a caller.
    if isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 1:
        return float(value)
    return None


def _result(final: dict[str, Any], *, latency_ms: float) -> SupportResult:
    stats = final.get("agent_stats") or {}
    return SupportResult(
        trace_id=final["trace_id"],
        route=final.get("route") or Route.ESCALATE.value,
        answer=final.get("answer") or "",
        escalated=bool(final.get("escalate")),
        escalation_reason=final.get("escalation_reason"),
        confidence=_finite(final.get("confidence")),
        offer=final.get("offer"),
        fallback=final.get("fallback"),
        degraded=bool(final.get("degraded")),
        cache_hit=bool(final.get("cache_hit")),
        tokens_in=sum(int(s.get("tokens_in", 0)) for s in stats.values()),
        tokens_out=sum(int(s.get("tokens_out", 0)) for s in stats.values()),
        cost_usd=float(final.get("cost_usd") or 0.0),
        latency_ms=latency_ms,
        agents={k: dict(v) for k, v in stats.items()},
        errors=list(final.get("errors") or []),
        path=list(final.get("path") or []),
    )
