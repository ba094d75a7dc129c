"""harness: a testing and chaos harness for LLM multi-agent systems.

The whole public API is the list below; each name loads on first use, so `import harness` costs
nothing and a name pulls in only its own package (the chaos tier never pays for matplotlib, the
unit tier never for Locust). Subpackages hold more for those who need it (`harness.llm.server`,
`harness.proxy`, `harness.chaos`, `harness.load`, `harness.report`), each behind its own `__all__`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import HarnessSettings, build_settings
    from ._exceptions import (
        ChaosError,
        ConfigError,
        ExperimentError,
        HarnessError,
        InputValidationError,
        LoadError,
        MockLLMError,
        MockServerError,
        ProxyError,
        ReportError,
        ScenarioError,
        ScriptError,
        StackError,
        UnscriptedCallError,
    )
    from ._pathcov import PathCoverage, edges_of
    from .llm import Call, MockLLM, Reply, ToolCall, Usage, faults, message_text
    from .pii import PIIKind, find_pii, redact
    from .scenarios import Expected, Scenario, load_scenarios
    from .stack import Stack
    from .sut import CallableSystem, GraphSystem, HTTPSystem, Outcome, SystemUnderTest, Turn, load_system
    from .text import fold

__all__ = [
    "Call",
    "CallableSystem",
    "ChaosError",
    "ConfigError",
    "Expected",
    "ExperimentError",
    "GraphSystem",
    "HTTPSystem",
    "HarnessError",
    "HarnessSettings",
    "InputValidationError",
    "LoadError",
    "MockLLM",
    "MockLLMError",
    "MockServerError",
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
    "SystemUnderTest",
    "ToolCall",
    "Turn",
    "UnscriptedCallError",
    "Usage",
    "build_settings",
    "edges_of",
    "faults",
    "find_pii",
    "fold",
    "load_scenarios",
    "load_system",
    "message_text",
    "redact",
]

_EXCEPTIONS = [
    "ChaosError",
    "ConfigError",
    "ExperimentError",
    "HarnessError",
    "InputValidationError",
    "LoadError",
    "MockLLMError",
    "MockServerError",
    "ProxyError",
    "ReportError",
    "ScenarioError",
    "ScriptError",
    "StackError",
    "UnscriptedCallError",
]
#: Where each public name lives (a module relative to this package).
_HOME: dict[str, str] = {
    **dict.fromkeys(_EXCEPTIONS, "._exceptions"),
    **dict.fromkeys(("HarnessSettings", "build_settings"), "._config"),
    **dict.fromkeys(("PathCoverage", "edges_of"), "._pathcov"),
    **dict.fromkeys(("Call", "MockLLM", "Reply", "ToolCall", "Usage", "message_text"), ".llm"),
    **dict.fromkeys(("PIIKind", "find_pii", "redact"), ".pii"),
    **dict.fromkeys(("Expected", "Scenario", "load_scenarios"), ".scenarios"),
    "Stack": ".stack",
    **dict.fromkeys(
        ("CallableSystem", "GraphSystem", "HTTPSystem", "Outcome", "SystemUnderTest", "Turn", "load_system"),
        ".sut",
    ),
    "fold": ".text",
}


def __getattr__(name: str) -> Any:
    if name == "faults":
        return importlib.import_module(".llm.faults", __name__)
    if name not in _HOME:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
