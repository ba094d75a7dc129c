"""Run every scenario k times against any system under test, and judge each answer by its labels.

    trials = await run_trials(system, scenarios, repeat=4)       # round by round
    record = build_record(trials, scenarios, system=system.name, k=4, ...)

A trial is judged the way the integration tier judges a scenario: a rejected scenario must be
refused; any other must be answered (not degraded, no fallback) with the labelled route,
escalation and reason, and the labelled tool calls (`Expected.divergence`). Every repeat asks
the system not to answer from a cache (`Turn.no_cache`: `Cache-Control: no-cache` over HTTP,
`harness.sut.cache_bypassed()` in process) unless `allow_cache`: a repeat served from the
cache would copy the first answer, and k copies of one draw are not k trials.

Trials go round by round (every scenario once, then again), so the repeats of one scenario are
spread over the run rather than back to back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .._exceptions import TrialsError
from ..scenarios import Scenario
from ..sut import Outcome, SystemUnderTest
from ._record import OverallTrials, TrialsRecord, scenario_row, summarise_counts

__all__ = ["Trial", "build_record", "judge", "repeats_of", "run_trials"]


@dataclass(frozen=True)
class Trial:
    scenario: str  # its id
    index: int  # 0 for its first trial
    failure: str | None  # None: the answer agrees with every label
    cache_hit: bool

    @property
    def passed(self) -> bool:
        return self.failure is None


def judge(scenario: Scenario, outcome: Outcome) -> str | None:
    """Why the outcome disagrees with the scenario's labels, or None when it agrees."""
    expected = scenario.expected
    if expected.rejected:
        return None if outcome.kind == "rejected" else f"expected a rejection, got {outcome.kind}"
    if outcome.kind != "answered":
        return f"{outcome.kind}: {(outcome.error or '')[:120]}"
    for label, want, got in (
        ("route", expected.route, outcome.route),
        ("escalated", expected.escalated, outcome.escalated),
        ("reason", expected.reason, outcome.escalation_reason),
    ):
        if want != got:
            return f"{label}: expected {want!r}, got {got!r}"
    if outcome.degraded or outcome.fallback is not None:
        return f"a degraded answer (fallback {outcome.fallback!r})"
    diverged = expected.divergence(outcome.tool_calls)
    return f"tools: {diverged}" if diverged else None


def repeats_of(scenario: Scenario, repeat: int) -> int:
    """How many trials of this scenario: its own `repeat`, else the run's."""
    return scenario.repeat or repeat


async def run_trials(
    system: SystemUnderTest,
    scenarios: Sequence[Scenario],
    *,
    repeat: int,
    allow_cache: bool = False,
    progress: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """Every scenario `repeats_of` times, round by round; one Trial per answer."""
    if repeat < 1:
        raise TrialsError(f"--repeat {repeat}: give at least 1 trial per scenario")
    if not scenarios:
        raise TrialsError(
            "no scenarios to run: declare [tool.harness.system] scenarios or pass --scenarios FILE"
        )
    trials: list[Trial] = []
    rounds = max(repeats_of(s, repeat) for s in scenarios)
    for index in range(rounds):
        for scenario in scenarios:
            if index < repeats_of(scenario, repeat):
                trial = await _one(system, scenario, index, no_cache=not allow_cache)
                trials.append(trial)
                if progress is not None:
                    progress(trial)
    return trials


async def _one(system: SystemUnderTest, scenario: Scenario, index: int, *, no_cache: bool) -> Trial:
    outcome = await system.ask(scenario.turn(no_cache=no_cache))
    return Trial(scenario.id, index, judge(scenario, outcome), bool(outcome.cache_hit))


def build_record(
    trials: Sequence[Trial],
    scenarios: Sequence[Scenario],
    *,
    system: str,
    k: int,
    confidence: float,
    brain: str,
    allow_cache: bool,
    repeat: int,
    started: float,
    scenarios_file: str | None = None,
    truth: Callable[[Scenario], float | None] | None = None,
) -> TrialsRecord:
    """The typed record of a run: each scenario's verdicts and intervals, and the pooled ones."""
    by_id: dict[str, list[Trial]] = {s.id: [] for s in scenarios}
    for t in trials:
        by_id[t.scenario].append(t)
    rows = [_row(s, sorted(by_id[s.id], key=lambda t: t.index), k, confidence, truth) for s in scenarios]
    at_1, at_k = summarise_counts(rows, k, confidence)
    return TrialsRecord(
        system=system,
        scenarios_file=scenarios_file,
        brain=brain,
        cache="allowed" if allow_cache else "bypassed",
        repeat=repeat,
        k=k,
        confidence=confidence,
        started_at=datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        wall_s=round(time.time() - started, 3),
        scenarios=rows,
        overall=OverallTrials(
            scenarios=len(rows),
            trials=len(trials),
            passed=sum(t.passed for t in trials),
            pass_at_1=at_1,
            pass_k=at_k,
        ),
    )


def _row(
    scenario: Scenario,
    trials: list[Trial],
    k: int,
    confidence: float,
    truth: Callable[[Scenario], float | None] | None,
) -> Any:
    return scenario_row(
        scenario.id,
        scenario.category,
        [t.passed for t in trials],
        k=k,
        confidence=confidence,
        cache_hits=sum(t.cache_hit for t in trials),
        failures=[t.failure for t in trials if t.failure],
        truth=truth(scenario) if truth is not None else None,
    )
