"""The reference supervisor graph.

    START -> intake -> supervisor -> technical_support -> END
               |           |      -> billing_support   -> END
               |           |      -> general_support   -> END
               |           |                \\ (low confidence / agent down)
               |           \\---------------> escalate_to_human -> END
               |--(VIP, cancellation, refund)-^
               \\--(cache hit)--> END

Every conditional edge reads the state only; no edge can point back, so no request can loop.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

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


def _after_intake(state: SupportState) -> str:
    if state.get("escalate"):
        return Route.ESCALATE.value
    return END if state.get("cache_hit") else "supervisor"


def _after_supervisor(state: SupportState) -> str:
    if state.get("escalate"):
        return Route.ESCALATE.value
    if state.get("answer") is not None:  # served from the cache as a fallback
        return END
    return str(state.get("route"))


def _after_specialist(state: SupportState) -> str:
    return Route.ESCALATE.value if state.get("escalate") else END


def build_graph(nodes: Nodes) -> Any:
    """Compile the StateGraph over the given bound nodes."""
    graph = StateGraph(SupportState)
    graph.add_node("intake", nodes.intake)
    graph.add_node("supervisor", nodes.supervisor)
    graph.add_node(Route.TECHNICAL.value, nodes.technical_support)
    graph.add_node(Route.BILLING.value, nodes.billing_support)
    graph.add_node(Route.GENERAL.value, nodes.general_support)
    graph.add_node(Route.ESCALATE.value, nodes.escalate_to_human)
    graph.add_edge(START, "intake")
    graph.add_conditional_edges("intake", _after_intake, ["supervisor", Route.ESCALATE.value, END])
    graph.add_conditional_edges("supervisor", _after_supervisor, [*SPECIALISTS, Route.ESCALATE.value, END])
    for name in SPECIALISTS:
        graph.add_conditional_edges(name, _after_specialist, [Route.ESCALATE.value, END])
    graph.add_edge(Route.ESCALATE.value, END)
    return graph.compile()
