"""The reference customer-service supervisor system: the harness's worked example.

system = SupportSystem(load_settings(llm_base_url="http://127.0.0.1:8400/v1"))
result = await system.ainvoke("My invoice is wrong", user_id="u1", customer_tier="standard")
result.route, result.escalated, result.answer, result.tokens_in, result.cost_usd
"""

from ._answer import specialist_reply
from ._clock import FakeClock, SystemClock
from ._graph import EDGES
from ._handoff import HANDOFF_KINDS, HandoffFaults, HandoffRule
from ._pii import redact
from ._settings import Settings, load_settings
from ._state import ROUTES, EscalationReason, Fallback, Route
from ._system import SupportResult, SupportSystem

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
    "load_settings",
    "redact",
    "specialist_reply",
]
