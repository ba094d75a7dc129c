"""A fault that never meets the system is reported not exercised, never held.

Two experiments whose faults cannot fire on the reference system's traffic: an LLM 500 aimed at
a model nobody calls, and a handoff drop aimed at a node that does not exist. Both run against a
healthy stack, which answers every request; without the fired-count check both would "hold".
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from harness.chaos import Experiment, run_experiment
from harness.chaos._stacks import OWNED_TIMEOUT_S

if TYPE_CHECKING:
    from conftest import ChaosStacks

pytestmark = pytest.mark.chaos


def _experiment(name: str, method: dict[str, Any]) -> Experiment:
    return Experiment.model_validate(
        {
            "name": name,
            "title": f"{name}: a fault aimed where no traffic goes",
            "hypothesis": {"error_rate": 0.02, "p95_ms": 5000},
            "method": {"intensity": 1.0, "duration_s": 2, **method},
            "short": {"before_s": 1.0, "during_s": 2.0, "after_s": 1.0},
        }
    )


MISSES = [
    _experiment(
        "llm-500-nobody", {"fault": {"kind": "status", "status": 500}, "target": {"model": "no-such-model-*"}}
    ),
    _experiment("handoff-drop-nowhere", {"fault": {"kind": "drop"}, "target": {"source": "no_such_node"}}),
]


@pytest.mark.parametrize("exp", MISSES, ids=lambda e: e.name)
def test_a_fault_that_never_fires_is_not_exercised(exp: Experiment, chaos_stacks: ChaosStacks) -> None:
    result = asyncio.run(
        run_experiment(exp, chaos_stacks.targets(), suite="short", timeout_s=OWNED_TIMEOUT_S)
    )
    chaos_stacks.results.append(result)
    assert result.verdict == "not_exercised" and not result.held, result.violations
    assert result.fired is not None and result.fired.hits == 0 and result.fired.eligible == 0
    assert result.fired.requests > 0 and result.phases.during.error_rate == 0  # traffic flowed, unharmed
    assert result.violations[0].startswith("not exercised: the fault never fired")
