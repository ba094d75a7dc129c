"""Labelled turns in the system's own vocabulary, and how the system must handle each.

from harness.scenarios import load_scenarios

for s in load_scenarios():              # the declared file ([tool.harness.system] scenarios)
    s.query, s.customer_tier, s.expected.route, s.expected.escalated, s.expected.reason
"""

from ._brain import ScenarioBrain, scenario_brain
from ._load import load_scenarios, parse_scenarios
from ._noisy import NoisyBrain
from ._schema import Expected, ExpectedToolCall, Scenario

__all__ = [
    "Expected",
    "ExpectedToolCall",
    "NoisyBrain",
    "Scenario",
    "ScenarioBrain",
    "load_scenarios",
    "parse_scenarios",
    "scenario_brain",
]
