"""The reference supervisor graph.

    START -> intake -> supervisor -> technical_support -> END
               |           |      -> billing_support   -> END
               |           |      -> general_support   -> END
               |           |                \\ (low confidence / agent down)
               |           \\---------------> escalate_to_human -> END
               |--(VIP, cancellation, refund)-^
               \\--(cache hit)--> END

Every conditional edge reads the state only; no edge can point back, so no request can loop.
Edges are coroutines: LangGraph runs a sync edge function in a thread pool, a thread handoff
per edge per request.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.graph import END, START, StateGraph

from ._handoff import HandoffFaults
from ._nodes import Nodes
from ._state import Route, SupportState

__all__ = ["EDGES", "build_graph"]

SPECIALISTS = (Route.TECHNICAL.value, Route.BILLING.value, Route.GENERAL.value)

# Every edge of the graph, for graph path coverage (integration tier).
EDGES: tuple[tuple[str, str], ...] = (
    ("__start__", "intake"),
    ("intake", "supervisor"),
    ("intake", "escalate_to_human"),
    ("intake", "__end__"),
    *(("supervisor", s) for s in SPECIALISTS),
    ("supervisor", "escalate_to_human"),
    ("supervisor", "__end__"),
    *((s, "escalate_to_human") for s in SPECIALISTS),
    *((s, "__end__") for s in SPECIALISTS),
    ("escalate_to_human", "__end__"),
)


async def _after_intake(state: SupportState) -> str:
    if state.get("escalate"):
        return Route.ESCALATE.value
    if state.get("cache_hit"):
        # A cached answer garbled on its way out is refused like any other bad handoff.
        return END if _valid_answer(state) else Route.ESCALATE.value
    return "supervisor"


async def _after_supervisor(state: SupportState) -> str:
    if state.get("escalate"):
        return Route.ESCALATE.value
    if state.get("answer") is not None:  # served from the cache as a fallback
        return END
    route = state.get("route")
    # A lost or garbled handoff never reaches a specialist: a human gets it.
    return route if route in SPECIALISTS else Route.ESCALATE.value


async def _after_specialist(state: SupportState) -> str:
    if state.get("escalate") or not _valid_answer(state):
        return Route.ESCALATE.value
    return END


def _valid_answer(state: SupportState) -> bool:
    confidence, answer = state.get("confidence"), state.get("answer")
    if not isinstance(answer, str) or not answer.strip() or "\ufffd" in answer:
        return False
    if state.get("fallback"):  # a generic or cached answer carries no fresh confidence
        return True
    return isinstance(confidence, (int, float)) and math.isfinite(confidence) and 0 <= confidence <= 1


def build_graph(nodes: Nodes, handoff: HandoffFaults | None = None) -> Any:
    """Compile the StateGraph over the given bound nodes; `handoff` faults sit between them."""
    graph = StateGraph(SupportState)
    for name, fn in (
        ("intake", nodes.intake),
        ("supervisor", nodes.supervisor),
        (Route.TECHNICAL.value, nodes.technical_support),
        (Route.BILLING.value, nodes.billing_support),
        (Route.GENERAL.value, nodes.general_support),
        (Route.ESCALATE.value, nodes.escalate_to_human),
    ):
        action: Any = _with_handoff(name, fn, handoff) if handoff else fn
        graph.add_node(name, action)
    graph.add_edge(START, "intake")
    graph.add_conditional_edges("intake", _after_intake, ["supervisor", Route.ESCALATE.value, END])
    graph.add_conditional_edges("supervisor", _after_supervisor, [*SPECIALISTS, Route.ESCALATE.value, END])
    for name in SPECIALISTS:
        graph.add_conditional_edges(name, _after_specialist, [Route.ESCALATE.value, END])
    graph.add_edge(Route.ESCALATE.value, END)
    return graph.compile()


def _with_handoff(
    name: str, fn: Callable[[SupportState], Awaitable[dict[str, Any]]], handoff: HandoffFaults
) -> Callable[[SupportState], Awaitable[dict[str, Any]]]:
    async def node(state: SupportState) -> dict[str, Any]:
        return await handoff.apply(name, await fn(state))

    node.__name__ = name
    return node
