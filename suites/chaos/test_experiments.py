"""Every experiment of the catalogue bites: short runs, resilience on and off side by side.

For each experiment, the same short run goes to two stacks at once: one with the declared
system's defences on, one with the experiment's `resilience_off` defences turned off. The
hypothesis must hold on the first and fail on the second; no request may be lost on either,
and no fault may outlive either run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from harness.chaos import Experiment, Targets, leftovers, load_catalogue, run_experiment
from harness.chaos._stacks import OWNED_TIMEOUT_S
from harness.measure import ExperimentResult

if TYPE_CHECKING:  # the suites are not a package: the fixture's class, for reading only
    from conftest import ChaosStacks

pytestmark = pytest.mark.chaos

# Grouped by the switches they turn off, so each "off" stack is started once and then reused.
CATALOGUE = sorted(load_catalogue(), key=lambda e: (e.resilience_off, e.name))


async def _run(exp: Experiment, targets: Targets, label: str) -> ExperimentResult:
    switches = exp.resilience_off if label == "off" else []
    result = await run_experiment(
        exp, targets, suite="short", timeout_s=OWNED_TIMEOUT_S, label=label, switches_off=switches
    )
    if result.verdict == "aborted":
        # No steady state before the fault (a busy machine): the run says nothing about the
        # fault, so it is run once more rather than judged.
        result = await run_experiment(
            exp, targets, suite="short", timeout_s=OWNED_TIMEOUT_S, label=label, switches_off=switches
        )
    return result


async def _pair(exp: Experiment, on: Targets, off: Targets) -> tuple[ExperimentResult, ExperimentResult]:
    got = await asyncio.gather(_run(exp, on, "on"), _run(exp, off, "off"))
    return got[0], got[1]


def _explain(result: ExperimentResult) -> str:
    phases = {
        p: s.model_dump(include={"sent", "error_rate", "p95_ms", "misrouted_rate", "degraded"})
        for p, s in result.phases
    }
    return f"{result.verdict}: {result.violations}; phases {phases}; requests {result.requests}"


@pytest.mark.parametrize("exp", CATALOGUE, ids=lambda e: e.name)
def test_the_hypothesis_holds_with_resilience_on_and_fails_without_it(
    exp: Experiment, chaos_stacks: ChaosStacks
) -> None:
    on_targets, off_targets = chaos_stacks.targets(), chaos_stacks.targets(exp.resilience_off)
    on, off = asyncio.run(_pair(exp, on_targets, off_targets))
    chaos_stacks.results += [on, off]

    assert on.verdict == "held", f"resilience on: {_explain(on)}"
    # The fault reached the system: counted where it acts (a disabled proxy counts nothing).
    assert on.fired is not None or exp.method.fault.kind == "down", "the fault's hits were not counted"
    assert on.fired is None or on.fired.hits >= on.fired.min_hits > 0, on.fired
    assert off.verdict == "failed", f"resilience off ({', '.join(exp.resilience_off)}): {_explain(off)}"
    for run in (on, off):
        assert run.requests.lost == 0, f"{run.resilience}: lost {run.requests}"
        assert run.requests.audit_checked and run.requests.missing_in_audit == 0
        assert run.rollback.model_dump() == {"actions": exp.all_rollbacks(), "errors": [], "leftovers": []}
    # Checked again from outside the runner: nothing of the fault is left on either stack.
    assert leftovers(on_targets) == [] and leftovers(off_targets) == []
    # The reference is traced: the spans of the requests sent during the fault came back, and a
    # run that failed with errors says where its first failed request failed first.
    # (A run that failed by hanging may still be finishing its requests when their spans are read.)
    assert on.traces is not None and on.traces.traced >= 0.95 * on.traces.requests, on.traces
    traced_off = off.traces is not None and off.traces.traced >= 0.95 * off.traces.requests
    if traced_off and off.phases.during.error_rate > 0.1:
        assert off.first_failure, f"resilience off failed with errors, but no span says where: {off.traces}"
