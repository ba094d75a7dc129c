"""harness: a testing and chaos harness for LLM multi-agent systems.

The whole public API is the list below; each name loads on first use, so `import harness` costs
nothing and a name pulls in only its own package (the chaos tier never pays for matplotlib, the
unit tier never for Locust). Subpackages keep more behind their own `__all__`: `harness.llm`
(the scripted mock), `harness.llm.server`, `harness.proxy`, `harness.measure`, `harness.load`,
`harness.chaos`, `harness.report`, `harness.evals`, `harness.strategies`.

    from harness import MockLLM, Turn, load_system

    system = load_system()                       # the declared system: [tool.harness.system]
    outcome = await system.ask(Turn(query="My invoice is wrong"))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import HarnessSettings, build_settings
    from ._exceptions import (
        CassetteError,
        CassetteMissError,
        ChaosError,
        ConfigError,
        ExperimentError,
        HarnessError,
        InputValidationError,
        LoadError,
        MockLLMError,
        MockServerError,
        MutationError,
        ProxyError,
        ReportError,
        ScenarioError,
        ScriptError,
        StackError,
        TrialsError,
        UnscriptedCallError,
    )
    from ._pathcov import PathCoverage, edges_of
    from .llm import Call, MockLLM, Reply, ToolCall, Usage, faults, message_text
    from .llm.server import MockLLMServer
    from .measure import AuditLog
    from .pii import PIIKind, find_pii, redact
    from .scenarios import Expected, Scenario, load_scenarios
    from .stack import Stack
    from .sut import (
        CallableSystem,
        GraphSystem,
        HTTPContract,
        HTTPSystem,
        Outcome,
        SystemDeclaration,
        SystemUnderTest,
        Turn,
        load_declaration,
        load_system,
    )
    from .text import fold

__all__ = [
    "AuditLog",
    "Call",
    "CallableSystem",
    "CassetteError",
    "CassetteMissError",
    "ChaosError",
    "ConfigError",
    "Expected",
    "ExperimentError",
    "GraphSystem",
    "HTTPContract",
    "HTTPSystem",
    "HarnessError",
    "HarnessSettings",
    "InputValidationError",
    "LoadError",
    "MockLLM",
    "MockLLMError",
    "MockLLMServer",
    "MockServerError",
    "MutationError",
    "Outcome",
    "PIIKind",
    "PathCoverage",
    "ProxyError",
    "Reply",
    "ReportError",
    "Scenario",
    "ScenarioError",
    "ScriptError",
    "Stack",
    "StackError",
    "SystemDeclaration",
    "SystemUnderTest",
    "ToolCall",
    "TrialsError",
    "Turn",
    "UnscriptedCallError",
    "Usage",
    "build_settings",
    "edges_of",
    "faults",
    "find_pii",
    "fold",
    "load_declaration",
    "load_scenarios",
    "load_system",
    "message_text",
    "redact",
]

#: Where each public name lives: a module relative to this package.
_HOME: dict[str, str] = {
    **dict.fromkeys((n for n in __all__ if n.endswith("Error")), "._exceptions"),
    **dict.fromkeys(("HarnessSettings", "build_settings"), "._config"),
    **dict.fromkeys(("PathCoverage", "edges_of"), "._pathcov"),
    **dict.fromkeys(("Call", "MockLLM", "Reply", "ToolCall", "Usage", "faults", "message_text"), ".llm"),
    "MockLLMServer": ".llm.server",
    "AuditLog": ".measure",
    **dict.fromkeys(("PIIKind", "find_pii", "redact"), ".pii"),
    **dict.fromkeys(("Expected", "Scenario", "load_scenarios"), ".scenarios"),
    "Stack": ".stack",
    **dict.fromkeys(
        ("CallableSystem", "GraphSystem", "HTTPContract", "HTTPSystem", "Outcome", "SystemDeclaration"),
        ".sut",
    ),
    **dict.fromkeys(("SystemUnderTest", "Turn", "load_declaration", "load_system"), ".sut"),
    "fold": ".text",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
