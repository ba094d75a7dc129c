"""Systems under test: one small interface, and adapters for graphs, HTTP endpoints and callables.

from harness.sut import GraphSystem, Turn
system = GraphSystem(my_compiled_graph, from_output=lambda s: {"answer": s["reply"], "route": s["dept"]})
outcome = await system.ask(Turn(query="My invoice is wrong"))
"""

from ._adapters import CallableSystem, GraphSystem, HTTPSystem
from ._load import load_system, reference_system
from ._model import Outcome, SystemUnderTest, Turn

__all__ = [
    "CallableSystem",
    "GraphSystem",
    "HTTPSystem",
    "Outcome",
    "SystemUnderTest",
    "Turn",
    "load_system",
    "reference_system",
]
