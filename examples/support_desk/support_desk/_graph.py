"""The reference supervisor graph.

    START -> supervisor -> technical_support | billing_support | general_support -> END
      |          \\-> escalate_to_human -> END        \\-(low confidence, agent down)-^
      |-(VIP, cancellation, refund)-> escalate_to_human
      \\-(fresh cache hit)-> cached_answer -> END

Every conditional edge reads the state only, but the entry edge also looks the query up in the
cache and hands a hit to `cached_answer` with a `Send` (so no other request can evict it between
the look and the read); no edge can point back, so no request can loop. The rules and the cache
are checked on the entry edge rather than in a node of their own: a LangGraph superstep costs
about 0.8 ms of CPU, and most requests would pay for one that does nothing.
Edges are coroutines: LangGraph runs a sync edge function in a thread pool, a thread handoff
per edge per request.
Each node's run is an `invoke_agent <node>` span (`_tracing.py`), named as the graph names it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send

from . import _tracing
from ._handoff import UPDATE_ID, HandoffFaults, receive
from ._nodes import Nodes
from ._policy import escalation_by_rule
from ._state import Route, SupportState

__all__ = ["EDGES", "build_graph"]

SPECIALISTS = (Route.TECHNICAL.value, Route.BILLING.value, Route.GENERAL.value)

# Every edge of the graph, for graph path coverage (integration tier).
EDGES: tuple[tuple[str, str], ...] = (
    ("__start__", "supervisor"),
    ("__start__", "escalate_to_human"),
    ("__start__", "cached_answer"),
    ("cached_answer", "__end__"),
    ("cached_answer", "escalate_to_human"),
    *(("supervisor", s) for s in SPECIALISTS),
    ("supervisor", "escalate_to_human"),
    ("supervisor", "__end__"),
    *((s, "escalate_to_human") for s in SPECIALISTS),
    *((s, "__end__") for s in SPECIALISTS),
    ("escalate_to_human", "__end__"),
)


def _entry(nodes: Nodes) -> Callable[[SupportState], Awaitable[str | Send]]:
    async def entry(state: SupportState) -> str | Send:
        # The rules come first: a VIP or a cancellation is never answered from the cache.
        if escalation_by_rule(state["query"], state["customer_tier"]) is not None:
            return Route.ESCALATE.value
        hit = nodes.lookup(state)
        return "supervisor" if hit is None else Send("cached_answer", {"hit": hit})

    return entry


async def _after_cached_answer(state: SupportState) -> str:
    # A cached answer garbled on its way out is refused like any other bad handoff.
    return END if _valid_answer(state) else Route.ESCALATE.value


def _after_supervisor(validate: bool) -> Callable[[SupportState], Awaitable[str]]:
    async def after_supervisor(state: SupportState) -> str:
        if state.get("escalate"):
            return Route.ESCALATE.value
        if state.get("answer") is not None:  # served from the cache as a fallback
            return END
        route = state.get("route")
        if not validate:  # (resilience switch `validation` off: the route is taken on trust)
            return route  # type: ignore[return-value]
        # A lost or garbled handoff never reaches a specialist: a human gets it.
        return route if route in SPECIALISTS else Route.ESCALATE.value

    return after_supervisor


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
        ("cached_answer", nodes.cached_answer),
        ("supervisor", nodes.supervisor),
        (Route.TECHNICAL.value, nodes.technical_support),
        (Route.BILLING.value, nodes.billing_support),
        (Route.GENERAL.value, nodes.general_support),
        (Route.ESCALATE.value, nodes.escalate_to_human),
    ):
        idempotent = nodes.settings.resilience.idempotency
        traced = _traced(name, fn)
        action: Any = _with_handoff(name, traced, handoff, idempotent) if handoff else traced
        graph.add_node(name, action)
    graph.add_conditional_edges(START, _entry(nodes), ["supervisor", Route.ESCALATE.value, "cached_answer"])
    graph.add_conditional_edges("cached_answer", _after_cached_answer, [END, Route.ESCALATE.value])
    validate = nodes.settings.resilience.validation
    graph.add_conditional_edges(
        "supervisor", _after_supervisor(validate), [*SPECIALISTS, Route.ESCALATE.value, END]
    )
    for name in SPECIALISTS:
        graph.add_conditional_edges(name, _after_specialist, [Route.ESCALATE.value, END])
    graph.add_edge(Route.ESCALATE.value, END)
    return graph.compile()


def _traced(
    name: str, fn: Callable[[Any], Awaitable[dict[str, Any]]]
) -> Callable[[Any], Awaitable[dict[str, Any]]]:
    # The span covers the node's own work, not the handoff after it: a delayed or lost handoff
    # shows as time between agent spans, not inside one. LangGraph runs each node in a task that
    # copies the context, so the span nests under the request's and its LLM calls' under it.
    async def node(state: Any) -> dict[str, Any]:
        with _tracing.agent_span(name) as span:
            update = await fn(state)
            _tracing.agent_outcome(span, update)
            return update

    node.__name__ = name
    return node


def _with_handoff(
    name: str, fn: Callable[[Any], Awaitable[dict[str, Any]]], handoff: HandoffFaults, idempotent: bool
) -> Callable[[Any], Awaitable[dict[str, Any] | list[Command[Any]]]]:
    # `Any`: a node gets the state, or what a `Send` handed it (cached_answer).
    async def node(state: Any) -> dict[str, Any] | list[Command[Any]]:
        update = {**await fn(state), UPDATE_ID: uuid.uuid4().hex}
        delivered = receive(await handoff.apply(name, update), idempotent=idempotent)
        if len(delivered) == 1:
            return delivered[0]
        # More than one delivery reaches the state: each is its own update of the same step.
        return [Command(update=d) for d in delivered]

    node.__name__ = name
    return node
