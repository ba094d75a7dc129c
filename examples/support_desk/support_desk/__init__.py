"""The reference customer-service supervisor system: the harness's worked example.

It is built the way a team's own system would be, on top of the harness and never below it:
`[tool.harness.system]` in the repository's pyproject.toml declares it to every tier.

system = SupportSystem(load_settings(llm_base_url="http://127.0.0.1:8400/v1"))
result = await system.ainvoke("My invoice is wrong", user_id="u1", customer_tier="standard")
result.route, result.escalated, result.answer, result.tokens_in, result.cost_usd
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._answer import specialist_reply
from ._clock import FakeClock, SystemClock
from ._graph import EDGES
from ._handoff import HANDOFF_KINDS, HandoffFaults, HandoffRule
from ._settings import Settings, load_settings
from ._state import ROUTES, EscalationReason, Fallback, Route
from ._system import SupportResult, SupportSystem

if TYPE_CHECKING:
    from harness import SystemUnderTest

__all__ = [
    "EDGES",
    "HANDOFF_KINDS",
    "ROUTES",
    "EscalationReason",
    "FakeClock",
    "Fallback",
    "HandoffFaults",
    "HandoffRule",
    "Route",
    "Settings",
    "SupportResult",
    "SupportSystem",
    "SystemClock",
    "in_process",
    "load_settings",
    "specialist_reply",
    "under_test",
]


def in_process(**settings: Any) -> SystemUnderTest:
    """The reference system in process, as the harness drives it (settings as keyword arguments)."""
    from harness import CallableSystem

    system = SupportSystem(load_settings(**settings))
    return CallableSystem(system.ainvoke, name="support-desk", close=system.aclose)


def under_test() -> SystemUnderTest:
    """The declared in-process entry (`[tool.harness.system] python`): settings from pyproject and env."""
    return in_process()
