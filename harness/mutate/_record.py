"""`reports/mutation.json`, schema `harness.mutation/1`: what a `harness mutate` run found.

Score per tier = mutants killed by that tier or a cheaper one / mutants run. A mutant is run by
the tiers in turn, cheapest first, and a tier's kill ends it; one that outlives every tier is a
survivor, listed with file:line, operator and both lines. A run timing out counts as a kill (a
mutant that hangs the tests is a bug the tier would have shown) and says so. Mutants left when
the time budget ran out, or Ctrl-C came, are `not_run` and not counted.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import HarnessError, MutationError
from .._files import TypedFile

__all__ = ["MutantResult", "MutationRecord", "Status", "TierScore"]

Status = Literal["killed", "timeout", "survived", "not_run"]
_STRICT = ConfigDict(extra="forbid")


class MutantResult(BaseModel):
    model_config = _STRICT
    id: str  # "<file>:<line>#<number>"
    file: str  # relative to the package's root folder, e.g. "my_pkg/_retry.py"
    line: int
    function: str | None = None
    operator: str  # mutmut's operator: swap_op, number, string, arg_removal, assignment...
    original: str  # the first line the mutation changes, before ...
    mutated: str  # ... and after
    status: Status
    tier: str | None = None  # the tier that killed it (or timed out on it)
    killed_by: str | None = None  # its first failing test, as pytest names it
    seconds: float = 0.0  # its test runs, all tiers

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


class TierScore(BaseModel):
    model_config = _STRICT
    tier: str
    baseline_s: float  # the tier's un-mutated run
    killed: int  # by this tier (timeouts included)
    timeouts: int = 0  # of `killed`, by a run cut at its timeout
    cumulative: int  # by this tier or a cheaper one
    score: float | None  # cumulative / run; null when no mutant ran


class MutationRecord(TypedFile):
    """A mutation run of the declared packages against the tiers."""

    SCHEMA: ClassVar[str] = "harness.mutation/1"
    ERROR: ClassVar[type[HarnessError]] = MutationError
    FIX: ClassVar[str] = "write it with `harness mutate`"

    system: str
    packages: list[str]
    modules: list[str] = Field(default_factory=list)  # the --modules filter; empty: every file
    tiers: list[TierScore]
    generated: int  # mutants of the chosen files
    sample: int | None = None
    seed: int = 0
    budget_s: float | None = None
    run: int  # mutants that went through the tiers
    not_run: int  # left by the budget or Ctrl-C
    score: float | None  # killed by any tier / run
    wall_s: float
    stopped: Literal["done", "budget", "interrupted"] = "done"
    deselected: list[str] = Field(default_factory=list)  # tests failing un-mutated mid-run: left out
    mutants: list[MutantResult]

    @property
    def survivors(self) -> list[MutantResult]:
        return [m for m in self.mutants if m.status == "survived"]
