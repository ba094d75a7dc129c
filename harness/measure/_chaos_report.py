"""`chaos.json`, schema "harness.chaos/1": a chaos run's report, written by the chaos tier
(`harness chaos`, and one file per pytest worker in the chaos suite) and read by the release
report. Field by field in docs/chaos-schema.md; the JSON Schema generated from this model is
docs/schemas/chaos.schema.json.

It lives here, below both tiers, so that the writer and the reader share the one class. The
experiment's own parts (its fault, target and hypothesis) are recorded as the experiment file
gave them; that file's schema is the chaos tier's (`harness.chaos._schema`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import ChaosError, HarnessError
from .._files import TypedFile
from ..traces import TracesRun
from ._reconcile import Reconciliation

__all__ = [
    "Bite",
    "BreakerTransition",
    "ChaosReport",
    "ChaosRequests",
    "ChaosSummary",
    "ExperimentResult",
    "FaultFired",
    "PhaseStats",
    "StackUsed",
    "Verdict",
]

#: held: the hypothesis held throughout; failed: it did not; aborted: no steady state, so no
#: fault; error: the fault could not be injected; interrupted: a signal or a timeout stopped it;
#: not_applicable: the fault cannot reach the declared system (a handoff fault and no handoff
#: hook): never run, never held; not_exercised: it ran, but the fault fired less often than its
#: method implies (it never met its target, or a cache answered instead): never held.
Verdict = Literal["held", "failed", "aborted", "error", "interrupted", "not_applicable", "not_exercised"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhaseStats(_Section):
    """What one phase measured, over the requests sent in it (see `harness.chaos._measure`)."""

    sent: int = 0
    answered: int = 0
    retriable: int = 0
    rejected: int = 0
    unclear: int = 0
    invalid: int = 0  # 2xx replies that break the contract: errors, never answers
    degraded: int = 0
    escalated: int = 0
    misrouted: int = 0
    fallbacks: dict[str, int] = Field(default_factory=dict)
    cache_hits: int = 0  # answers the system says came from its response cache
    error_rate: float = 0.0
    misrouted_rate: float = 0.0
    escalated_rate: float = 0.0  # answers escalated that their scenario did not call for / answered
    degraded_rate: float = 0.0  # degraded / answered
    tokens_per_answer: float = 0.0
    token_inflation: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    # Streamed load only (None otherwise): time to the first event, and the share of streams that
    # reached their final event (not cut, no error event, not given up on by the client).
    streamed: int = 0
    completed: int = 0
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    completion_rate: float | None = None

    def rounded(self) -> PhaseStats:
        """A copy with its ratios and times to 4 decimals, as the report shows them."""
        return self.model_copy(
            update={k: round(v, 4) for k, v in self.__dict__.items() if isinstance(v, float)}
        )


class ChaosRequests(Reconciliation):
    """The run's reconciliation, and the sends the generator skipped (too many in flight)."""

    skipped: int = 0


class Phases(_Section):
    before: PhaseStats
    during: PhaseStats
    after: PhaseStats


class Durations(_Section):
    before: float
    during: float
    after: float


class FaultRecord(BaseModel):
    """The fault as the experiment file gave it: its `kind` and that kind's parameters."""

    model_config = ConfigDict(extra="allow")
    kind: str


class BreakerTransition(_Section):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    t_s: float  # seconds from the start of the run
    agent: str
    from_: str = Field(alias="from")
    to: str


class Timeline(_Section):
    """Seconds from the start of the run."""

    injected: float | None
    rolled_back: float | None
    ended: float


class RollbackRecord(_Section):
    actions: list[str]  # performed
    errors: list[str]  # rollback calls that failed
    leftovers: list[str]  # chaos state still active afterwards: must be empty


class FaultFired(_Section):
    """How often the fault really acted while it was active, read from the injector's target
    just before the rollback (harness.chaos._exercised judges it)."""

    counted_by: str  # what counted: "mock LLM rule", "proxy toxics", "handoff hook", ...
    unit: str  # what one hit is: "LLM call", "chunk", "handoff"
    hits: int
    eligible: int | None = None  # events the fault was drawn on (its target met); None: unknown
    expected: float | None = None  # eligible x intensity
    min_hits: int = 1  # fewer hits than this: not exercised
    requests: int = 0  # requests sent while the fault was active
    per_request: float | None = None  # hits / requests
    min_per_request: float | None = None  # the method's `reach`, if it sets one

    def describe(self) -> str:
        """In words: "fired 41 of 44 LLM calls (2.05 a request)"."""
        of = "" if self.eligible is None else f" of {self.eligible}"
        each = "" if self.per_request is None else f" ({self.per_request:.2f} a request)"
        return f"fired {self.hits}{of} {self.unit}s{each}"


class ExperimentResult(_Section):
    """One experiment run, with resilience on or (a bite run) with some defences off."""

    name: str
    title: str
    family: str
    resilience: Literal["on", "off"]
    switches_off: list[str] = Field(default_factory=list)
    fault: FaultRecord
    target: dict[str, str | list[str]]
    intensity: float
    durations_s: Durations
    hypothesis: dict[str, int | float]  # the limits checked, by probe
    verdict: Verdict
    held: bool
    violations: list[str]
    phases: Phases
    recovery_s: float | None
    breaker_transitions: list[BreakerTransition]
    breakers_not_closed_at_start: list[str]
    requests: ChaosRequests
    timeline_s: Timeline
    rollback: RollbackRecord
    fired: FaultFired | None = None  # None: not counted (never injected, or nothing to count by)
    # A traced system (`traces = true`): what the spans of the requests sent during the fault say,
    # and where the first failed one failed first ("agent billing, span 'chat gpt-4o': ...").
    first_failure: str | None = None
    traces: TracesRun | None = None


class StackUsed(_Section):
    """A stack the run started (`owned`), or the one it attached to (`record`)."""

    owned: bool
    service_url: str
    switches_off: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    logs: str | None = None
    record: str | None = None


class BiteCount(_Section):
    checked: int
    bites: int


class Bite(_Section):
    """An experiment run both ways: it bites when it holds with resilience on and fails without."""

    on: Verdict
    off: Verdict
    switches_off: list[str]
    bites: bool
    off_violations: list[str]


class ChaosSummary(_Section):
    """Runs with resilience on, by verdict; `lost` and `leftovers` over every run."""

    experiments: int
    held: int
    failed: int
    aborted: int
    error: int
    interrupted: int
    not_applicable: int = 0  # not counted in `experiments`: nothing was run
    not_exercised: int = 0  # counted in `experiments`, never held: the fault did not fire enough
    lost: int
    leftovers: int
    bite: BiteCount | None


class ChaosReport(TypedFile):
    """A chaos run: every experiment's measurements and verdict, and with `--bite` whether each bites."""

    SCHEMA: ClassVar[str] = "harness.chaos/1"
    ERROR: ClassVar[type[HarnessError]] = ChaosError
    FIX: ClassVar[str] = "run the experiments again (`harness chaos`, or the chaos tier) to write a new one"

    suite: Literal["nightly", "short"]
    started_at: str
    finished_at: str
    wall_s: float
    interrupted: str | None  # SIGINT or SIGTERM when a signal stopped the run
    stacks: list[StackUsed]
    summary: ChaosSummary
    bite: dict[str, Bite]
    experiments: list[ExperimentResult]

    def passed(self) -> bool:
        """Every run with resilience on held, nothing lost or left over, every bite checked bit."""
        s = self.summary
        bites = s.bite is None or s.bite.bites == s.bite.checked
        return s.experiments == s.held and s.lost == 0 and s.leftovers == 0 and bites
