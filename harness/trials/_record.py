"""`reports/trials.json`, schema `harness.trials/1`: every trial's verdict, per scenario and pooled.

    record = TrialsRecord.read("reports/trials.json")
    record.overall.pass_k.low, record.scenarios[0].outcomes     # [True, True, False, True]

The counts are kept (each trial's verdict, in order), so a reader can compute pass^k for another
k than the run reported (`pass_k_of`), which the release gate does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import HarnessError, TrialsError
from .._files import Figure, TypedFile
from ._stats import Estimate, per_scenario, pooled

__all__ = ["Interval", "OverallTrials", "ScenarioTrials", "TrialsRecord", "interval"]

_MODEL = ConfigDict(extra="forbid")


class Interval(BaseModel):
    """A rate and its two-sided interval at the run's confidence."""

    model_config = _MODEL
    value: Figure
    low: float
    high: float
    n_eff: float = Field(
        description="the sample size the interval rests on (pooled: after the design effect)"
    )


def interval(estimate: Estimate) -> Interval:
    return Interval(value=estimate.value, low=estimate.low, high=estimate.high, n_eff=estimate.n_eff)


class ScenarioTrials(BaseModel):
    """One scenario's trials."""

    model_config = _MODEL
    id: str
    category: str
    outcomes: list[bool] = Field(description="each trial's verdict against the labels, in order")
    cache_hits: int = Field(0, description="trials the system said it answered from a cache")
    failures: list[str] = Field(default_factory=list, description="how trials failed (distinct, first 3)")
    truth: float | None = Field(None, description="the true pass rate, when the brain knows it (noisy)")
    pass_at_1: Interval
    pass_k: Interval | None = Field(None, description="None when the scenario ran fewer than k times")

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def passed(self) -> int:
        return sum(self.outcomes)


class OverallTrials(BaseModel):
    """Pooled over scenarios, each weighing the same; intervals clustered by scenario."""

    model_config = _MODEL
    scenarios: int
    trials: int
    passed: int
    pass_at_1: Interval
    pass_k: Interval | None = Field(None, description="over the scenarios that ran at least k times")


class TrialsRecord(TypedFile):
    """A `harness trials` run: the system, how it was asked, and every trial's verdict."""

    SCHEMA: ClassVar[str] = "harness.trials/1"
    ERROR: ClassVar[type[HarnessError]] = TrialsError
    FIX: ClassVar[str] = "write it with `harness trials`"

    system: str
    scenarios_file: str | None = None
    brain: str = Field(
        description="what answered the system's LLM calls: the declared mock brain, a noisy one, its own"
    )
    cache: Literal["bypassed", "allowed"]
    repeat: int = Field(
        description="the default number of trials per scenario (a scenario's own `repeat` wins)"
    )
    k: int = Field(description="pass^k's k")
    confidence: float
    started_at: str
    wall_s: float
    scenarios: list[ScenarioTrials]
    overall: OverallTrials

    def counts(self, k: int = 1) -> list[tuple[float, float]]:
        """(n, passed) of every scenario that ran at least k times."""
        return [(s.n, s.passed) for s in self.scenarios if s.n >= k]


def summarise_counts(
    rows: Sequence[ScenarioTrials], k: int, confidence: float
) -> tuple[Interval, Interval | None]:
    """The pooled pass@1 and pass^k of these scenarios."""
    all_counts = [(float(s.n), float(s.passed)) for s in rows if s.n]
    enough = [c for c in all_counts if c[0] >= k]
    at_1 = interval(pooled(all_counts, 1, confidence))
    return at_1, interval(pooled(enough, k, confidence)) if enough else None


def scenario_row(
    id: str,
    category: str,
    outcomes: list[bool],
    *,
    k: int,
    confidence: float,
    cache_hits: int = 0,
    failures: Sequence[str] = (),
    truth: float | None = None,
) -> ScenarioTrials:
    n, c = float(len(outcomes)), float(sum(outcomes))
    return ScenarioTrials(
        id=id,
        category=category,
        outcomes=outcomes,
        cache_hits=cache_hits,
        failures=list(dict.fromkeys(failures))[:3],
        truth=truth,
        pass_at_1=interval(per_scenario(n, c, 1, confidence)),
        pass_k=interval(per_scenario(n, c, k, confidence)) if n >= k else None,
    )
