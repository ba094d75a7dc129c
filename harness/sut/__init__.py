"""Systems under test: one small interface, the adapters, the HTTP seam and the declaration.

from harness.sut import GraphSystem, Turn
system = GraphSystem(my_compiled_graph, from_output=lambda s: {"answer": s["reply"], "route": s["dept"]})
outcome = await system.ask(Turn(query="My invoice is wrong"))
"""

from ._adapters import CallableSystem, GraphSystem
from ._declaration import (
    Hooks,
    HttpSpec,
    ModelPrice,
    ReplyFields,
    ServeSpec,
    SystemDeclaration,
    Vocabulary,
    load_declaration,
)
from ._http import HTTPContract, HttpRequest, HTTPSystem
from ._load import load_graph, load_system
from ._model import Kind, Outcome, SystemUnderTest, Turn, bypassing_cache, cache_bypassed

__all__ = [
    "CallableSystem",
    "GraphSystem",
    "HTTPContract",
    "HTTPSystem",
    "Hooks",
    "HttpRequest",
    "HttpSpec",
    "Kind",
    "ModelPrice",
    "Outcome",
    "ReplyFields",
    "ServeSpec",
    "SystemDeclaration",
    "SystemUnderTest",
    "Turn",
    "Vocabulary",
    "bypassing_cache",
    "cache_bypassed",
    "load_declaration",
    "load_graph",
    "load_system",
]
