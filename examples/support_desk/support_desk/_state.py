"""The one typed state shared by every node of the reference graph."""

from __future__ import annotations

import operator
from enum import StrEnum
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.graph.message import add_messages

__all__ = [
    "AGENTS",
    "ROUTES",
    "AgentStats",
    "EscalationReason",
    "Fallback",
    "Route",
    "SupportState",
    "initial_state",
]


class Route(StrEnum):
    TECHNICAL = "technical_support"
    BILLING = "billing_support"
    GENERAL = "general_support"
    ESCALATE = "escalate_to_human"


ROUTES: tuple[str, ...] = tuple(r.value for r in Route)
AGENTS: tuple[str, ...] = ("supervisor", Route.TECHNICAL, Route.BILLING, Route.GENERAL)


class EscalationReason(StrEnum):
    LOW_CONFIDENCE = "low_confidence"
    VIP = "vip_customer"
    CANCELLATION = "cancellation_or_refund"
    SUPERVISOR = "supervisor_decision"
    UNRECOGNISED_ROUTE = "unrecognised_route"
    AGENT_UNAVAILABLE = "agent_unavailable"
    DEADLINE = "deadline_exceeded"
    INVALID_HANDOFF = "invalid_handoff"


class Fallback(StrEnum):
    CACHE = "cache"
    GENERIC = "generic"
    ESCALATION = "escalation"


class AgentStats(TypedDict, total=False):
    latency_ms: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    model: str
    calls: int


def _merge_stats(left: dict[str, AgentStats], right: dict[str, AgentStats]) -> dict[str, AgentStats]:
    """Reducer: an agent that runs twice (a repair attempt) adds to its own figures."""
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in left.items()}
    for agent, stats in right.items():
        cur = merged.setdefault(agent, {})
        for key, value in stats.items():
            if isinstance(value, (int, float)) and isinstance(cur.get(key), (int, float)):
                cur[key] = cur[key] + value
            else:
                cur[key] = value
    return merged  # type: ignore[return-value]


class SupportState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    trace_id: str
    user_id: str
    customer_tier: Literal["standard", "vip"]
    query: str  # already sanitised and PII-redacted
    route: str | None
    confidence: float | None
    answer: str | None
    offer: dict[str, Any] | None
    escalate: bool
    escalation_reason: str | None
    fallback: str | None
    degraded: bool
    cache_hit: bool
    deadline_at: float  # monotonic clock time after which no agent may start
    agent_stats: Annotated[dict[str, AgentStats], _merge_stats]
    cost_usd: Annotated[float, operator.add]
    errors: Annotated[list[dict[str, str]], operator.add]
    path: Annotated[list[str], operator.add]  # nodes visited, for graph path coverage


def initial_state(
    *, trace_id: str, user_id: str, customer_tier: str, query: str, deadline_at: float
) -> SupportState:
    return SupportState(
        messages=[HumanMessage(query)],
        trace_id=trace_id,
        user_id=user_id,
        customer_tier="vip" if customer_tier.lower() == "vip" else "standard",
        query=query,
        route=None,
        confidence=None,
        answer=None,
        offer=None,
        escalate=False,
        escalation_reason=None,
        fallback=None,
        degraded=False,
        cache_hit=False,
        deadline_at=deadline_at,
        agent_stats={},
        cost_usd=0.0,
        errors=[],
        path=[],
    )
