"""The graph's nodes: the cached answer, the supervisor, the three specialists, and the human handoff."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage

from ._accounting import cost_usd
from ._answer import SpecialistAnswer, parse_answer
from ._cache import CacheEntry, ResponseCache
from ._clock import Clock
from ._decision import parse_decision
from ._errors import DeadlineExceededError, OutputValidationError, SupportDeskError
from ._guard import AgentGuard
from ._llm import Completion, LLMClient
from ._logging import log_event
from ._policy import escalation_by_rule, model_for
from ._prompts import (
    GENERIC_ANSWERS,
    HANDOFF_ANSWER,
    REPAIR_PROMPT,
    ROUTE_REPAIR_PROMPT,
    SPECIALIST_PROMPTS,
    SUPERVISOR_PROMPT,
)
from ._settings import Settings
from ._state import AGENTS, ROUTES, EscalationReason, Fallback, Route, SupportState

__all__ = ["Nodes"]

Update = dict[str, Any]


class Nodes:
    """Node functions bound to their dependencies (settings, LLM client, guards, cache, clock)."""

    def __init__(self, settings: Settings, llm: LLMClient, cache: ResponseCache, clock: Clock):
        self.settings, self.llm, self.cache, self.clock = settings, llm, cache, clock
        self.guards = {agent: AgentGuard(agent, settings, clock) for agent in AGENTS}

    # -- the cached answer -----------------------------------------------------------------
    def lookup(self, state: SupportState) -> CacheEntry | None:
        """For the entry edge: a fresh cached answer to this query, if the cache is on."""
        return self.cache.get(state["query"]) if self._cache_on() else None

    async def cached_answer(self, sent: dict[str, Any]) -> Update:
        """Serve the answer the entry edge found: it sends `{"hit": CacheEntry}`, not the state."""
        hit: CacheEntry = sent["hit"]
        return {
            "path": ["cached_answer"],
            "route": hit.route,
            "answer": hit.answer,
            "confidence": hit.confidence,
            "offer": hit.offer,
            "cache_hit": True,
        }

    # -- supervisor -----------------------------------------------------------------------
    async def supervisor(self, state: SupportState) -> Update:
        # The VIP and cancellation rules were checked on the graph's entry edge, before any node.
        agent = "supervisor"
        messages = [
            {"role": "system", "content": SUPERVISOR_PROMPT},
            {"role": "user", "content": state["query"]},
        ]
        stats: dict[str, Any] = {}
        try:
            done, spent = await self._complete(agent, state, messages, temperature=0.0)
            _add(stats, spent)
            decision = parse_decision(done.text)
            if decision.route is None and self.settings.resilience.retry:
                # An unusable label is asked again once, naming the labels: a human gets the
                # query only if the second answer is no better.
                _log_unrecognised(state, attempt=1)
                again = [
                    *messages,
                    {"role": "assistant", "content": done.text},
                    {"role": "user", "content": ROUTE_REPAIR_PROMPT},
                ]
                done, spent = await self._complete(agent, state, again, temperature=0.0)
                _add(stats, spent)
                decision = parse_decision(done.text)
        except SupportDeskError as exc:
            return self._fallback(agent, state, exc, route=None) | _spent(stats)
        update: Update = _spent(stats) | {"path": [agent]}
        if decision.route is None:
            _log_unrecognised(state, attempt=2 if self.settings.resilience.retry else 1)
            return update | _escalation(EscalationReason.UNRECOGNISED_ROUTE, route=Route.ESCALATE)
        if decision.route == Route.ESCALATE:
            return update | _escalation(EscalationReason.SUPERVISOR, route=Route.ESCALATE)
        return update | {"route": decision.route.value}

    # -- specialists ----------------------------------------------------------------------
    async def technical_support(self, state: SupportState) -> Update:
        return await self._specialist(Route.TECHNICAL, state)

    async def billing_support(self, state: SupportState) -> Update:
        return await self._specialist(Route.BILLING, state)

    async def general_support(self, state: SupportState) -> Update:
        return await self._specialist(Route.GENERAL, state)

    async def _specialist(self, agent: str, state: SupportState) -> Update:
        s = self.settings
        system = SPECIALIST_PROMPTS[agent].format(
            max_words=s.answer_max_words, max_discount=int(s.max_discount_pct)
        )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": state["query"]}]
        stats: dict[str, Any] = {}
        try:
            answer = await self._answer_with_repair(agent, state, messages, stats)
        except SupportDeskError as exc:
            return self._fallback(agent, state, exc, route=agent) | _spent(stats)
        update = _spent(stats) | {
            "path": [agent],
            "route": agent,
            "answer": answer.answer,
            "confidence": answer.confidence,
            "offer": answer.offer.model_dump() if answer.offer else None,
            "messages": [AIMessage(answer.answer, name=agent)],
        }
        if answer.confidence < s.escalation_confidence:
            return update | _escalation(EscalationReason.LOW_CONFIDENCE, route=agent)
        if self._cache_on():
            self.cache.put(
                state["query"],
                {
                    "route": agent,
                    "answer": answer.answer,
                    "confidence": answer.confidence,
                    "offer": update["offer"],
                },
            )
        return update

    async def _answer_with_repair(
        self, agent: str, state: SupportState, messages: list[dict[str, str]], stats: dict[str, Any]
    ) -> SpecialistAnswer:
        """Validate the reply; on a schema or business-rule violation, ask once for a repair."""
        s = self.settings
        done, spent = await self._complete(agent, state, messages)
        _add(stats, spent)
        try:
            return parse_answer(done.text, max_words=s.answer_max_words, max_discount_pct=s.max_discount_pct)
        except OutputValidationError as exc:
            log_event(
                "invalid_output",
                level=logging.WARNING,
                trace_id=state["trace_id"],
                agent=agent,
                error_code=exc.code,
                detail=str(exc),
            )
            repair = [
                *messages,
                {"role": "assistant", "content": done.text},
                {"role": "user", "content": REPAIR_PROMPT.format(error=exc)},
            ]
        done, spent = await self._complete(agent, state, repair)
        _add(stats, spent)
        return parse_answer(done.text, max_words=s.answer_max_words, max_discount_pct=s.max_discount_pct)

    # -- the human handoff ----------------------------------------------------------------
    async def escalate_to_human(self, state: SupportState) -> Update:
        ticket = "HD-" + state["trace_id"][:8].upper()
        route = state.get("route")
        draft = state.get("answer")
        log_event(
            "escalated",
            trace_id=state["trace_id"],
            agent="escalate_to_human",
            reason=state.get("escalation_reason"),
            route=state.get("route"),
        )
        return {
            "path": ["escalate_to_human"],
            "escalate": True,
            "escalation_reason": _reason(state),
            "route": route if route in ROUTES else Route.ESCALATE.value,
            "answer": HANDOFF_ANSWER.format(ticket=ticket),
            "offer": None if draft is None else state.get("offer"),
            "messages": [AIMessage(HANDOFF_ANSWER.format(ticket=ticket), name="escalate_to_human")],
        }

    # -- shared ---------------------------------------------------------------------------
    async def _complete(
        self, agent: str, state: SupportState, messages: list[dict[str, str]], temperature: float = 0.2
    ) -> tuple[Completion, dict[str, Any]]:
        """One guarded LLM call, logged as one `llm_call` line (tokens on success, code on error)."""
        model = model_for(agent, state["query"], self.settings)
        started = self.clock.monotonic()
        try:
            done: Completion = await self.guards[agent].call(
                lambda timeout: self.llm.complete(
                    agent=agent, model=model, messages=messages, temperature=temperature, timeout=timeout
                ),
                deadline_at=state["deadline_at"],
            )
        except SupportDeskError as exc:
            _log_call(state, agent, model, started, self.clock, error_code=exc.code)
            raise
        cost = cost_usd(done.model, done.tokens_in, done.tokens_out, self.settings.prices)
        latency_ms = _log_call(state, agent, done.model, started, self.clock, done=done, cost=cost)
        return done, {
            agent: {
                "latency_ms": latency_ms,
                "tokens_in": done.tokens_in,
                "tokens_out": done.tokens_out,
                "cost_usd": cost,
                "model": done.model,
                "calls": 1,
            }
        }

    def _fallback(
        self, agent: str, state: SupportState, exc: SupportDeskError, *, route: str | None
    ) -> Update:
        """Cached answer, then a generic one, then a human: never an error for the customer."""
        if not self.settings.resilience.fallback:
            raise exc
        base: Update = {
            "path": [agent],
            "degraded": True,
            "errors": [{"agent": agent, "code": exc.code, "message": str(exc)[:200]}],
        }
        stale = self.cache.get_stale(state["query"]) if self._cache_on() else None
        if stale is not None:
            return base | {
                "route": stale.route,
                "answer": stale.answer,
                "confidence": stale.confidence,
                "offer": stale.offer,
                "fallback": Fallback.CACHE.value,
            }
        if route in GENERIC_ANSWERS:
            return base | {
                "route": route,
                "answer": GENERIC_ANSWERS[route],
                "confidence": None,
                "fallback": Fallback.GENERIC.value,
            }
        reason = (
            EscalationReason.DEADLINE
            if isinstance(exc, DeadlineExceededError)
            else EscalationReason.AGENT_UNAVAILABLE
        )
        return (
            base
            | {"fallback": Fallback.ESCALATION.value}
            | _escalation(reason, route=route or Route.ESCALATE)
        )

    def _cache_on(self) -> bool:
        return self.settings.cache.enabled and self.settings.resilience.cache


def _reason(state: SupportState) -> str:
    recorded = state.get("escalation_reason")
    if recorded:
        return recorded
    # Nothing recorded: either the entry edge sent the query here by rule, or a conditional
    # edge refused a lost or garbled handoff.
    rule = escalation_by_rule(state["query"], state["customer_tier"])
    return (rule or EscalationReason.INVALID_HANDOFF).value


def _escalation(reason: EscalationReason, *, route: str) -> Update:
    return {"escalate": True, "escalation_reason": reason.value, "route": str(route)}


def _add(total: dict[str, Any], spent: dict[str, Any]) -> None:
    for agent, stats in spent.items():
        cur = total.setdefault(agent, {})
        for key, value in stats.items():
            cur[key] = cur.get(key, 0) + value if isinstance(value, (int, float)) else value


def _log_unrecognised(state: SupportState, attempt: int) -> None:
    log_event(
        "unrecognised_route",
        level=logging.WARNING,
        trace_id=state["trace_id"],
        agent="supervisor",
        error_code="unrecognised_route",
        attempt=attempt,
    )


def _spent(stats: dict[str, Any]) -> Update:
    if not stats:
        return {}
    return {"agent_stats": stats, "cost_usd": sum(s.get("cost_usd", 0.0) for s in stats.values())}


def _log_call(
    state: SupportState,
    agent: str,
    model: str,
    started: float,
    clock: Clock,
    *,
    done: Completion | None = None,
    cost: float = 0.0,
    error_code: str | None = None,
) -> float:
    latency_ms = (clock.monotonic() - started) * 1000
    log_event(
        "llm_call",
        level=logging.WARNING if error_code else logging.INFO,
        trace_id=state["trace_id"],
        agent=agent,
        model=model,
        latency_ms=round(latency_ms, 2),
        tokens_in=done.tokens_in if done else None,
        tokens_out=done.tokens_out if done else None,
        cost_usd=round(cost, 8) if done else None,
        error_code=error_code,
    )
    return latency_ms
