"""`reports/summary.json`, schema `harness.summary/1`: every number the release report shows.

The HTML is rendered from this model alone (charts aside, which are drawn from the CSVs it
names), so `harness gate` and `harness compare` judge exactly what the release manager saw.
Field by field in docs/summary-schema.md; the JSON Schema generated from the model is
docs/schemas/summary.schema.json. Within `harness.summary/1` fields are only added.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import HarnessError, ReportError
from .._files import TypedFile
from ..traces import TracesRun

# fmt: off
__all__ = [
    "SCHEMA", "ChaosExperiment", "ChaosSection", "CoverageSection", "Evidence", "FailedTest",
    "GateResult", "GraphRun", "GraphSection", "MastTag", "MutationSection", "MutationSurvivor",
    "MutationTier", "Percentile", "PhaseCheck",
    "PyramidSection", "SlaAgent", "SlaCheck", "SlaSection", "StreamFigure", "Summary", "TierResult",
    "TrialsRate", "TrialsScenario", "TrialsSection",
    "load_summary",
]
# fmt: on

SCHEMA = "harness.summary/1"

# Unknown fields are dropped on reading (`ignore`), unlike the other typed files: `harness gate`
# and `harness compare` read summaries written by other harness versions (a CI artifact of the
# last release, a newer harness's report), and within a version fields are only added, so what an
# older reader does not know it may ignore without misreading the rest.
_MODEL = ConfigDict(extra="ignore")


class GateResult(BaseModel):
    model_config = _MODEL
    name: str  # e.g. "coverage.line", "pyramid.unit", "sla.p95_ms_max", "chaos.held", "lost"
    group: Literal["coverage", "pyramid", "sla", "chaos", "lost", "trials", "mutation"]
    value: float | None  # null: nothing was measured (which fails)
    threshold: float | None
    op: str  # ">=", "<=", "<", "==", "pass"
    unit: str
    passed: bool
    reason: str
    # Not passed, and not failed either: the interval straddles the threshold (trials); more
    # evidence would settle it. The verdict is then INCONCLUSIVE unless another gate fails.
    inconclusive: bool = False


class FailedTest(BaseModel):
    model_config = _MODEL
    tier: str
    classname: str
    name: str
    kind: Literal["failure", "error"]
    message: str  # first line only, PII and secrets redacted
    mast: list[str] = Field(default_factory=list)
    subject: Literal["system", "harness"] = "system"  # a test of the system, or of the harness's own parts


class TierResult(BaseModel):
    model_config = _MODEL
    tier: str
    ran: bool
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    harness_tests: int = 0  # of `tests`, those of the harness's own parts (marker harness_self)
    seconds: float = 0.0
    exit_code: int | None = None  # from pyramid.json; null when `harness run` did not record it
    pass_rate: float | None = None  # passed / (tests - skipped); null when nothing ran
    share: float = 0.0  # of the system's tests in the pyramid (the harness's own left out)
    ideal_share: float = 0.0
    junit: str | None = None  # link relative to the reports folder
    log: str | None = None


class PyramidSection(BaseModel):
    model_config = _MODEL
    tiers: list[TierResult]
    total_tests: int
    system_tests: int = 0  # those of the system under test: what the shape is made of
    seconds: float
    # Total variation distance between the actual and the ideal shares: 0 is the ideal shape.
    shape_distance: float
    failed_tests: list[FailedTest] = Field(default_factory=list)
    failed_tests_total: int = 0


class CoverageFile(BaseModel):
    model_config = _MODEL
    file: str
    line_pct: float
    branch_pct: float | None
    missing_lines: int


class CoverageSection(BaseModel):
    model_config = _MODEL
    source: str  # the coverage.py JSON read, relative to the reports folder
    line_pct: float
    branch_pct: float | None
    covered_lines: int
    num_statements: int
    covered_branches: int
    num_branches: int
    unit_only_line_pct: float | None = None
    unit_only_branch_pct: float | None = None
    html: str | None = None  # "coverage/html/index.html" when it exists
    least_covered: list[CoverageFile] = Field(default_factory=list)


class GraphRun(BaseModel):
    model_config = _MODEL
    name: str  # in_process, http
    requests: int
    edges_total: int
    edges_covered: int
    edge_coverage_pct: float
    missing_edges: list[list[str]]
    targets_missing: dict[str, list[str]] = Field(default_factory=dict)


class GraphSection(BaseModel):
    model_config = _MODEL
    runs: list[GraphRun]
    edges_total: int  # the union over runs
    edges_covered: int  # covered by at least one run
    edge_coverage_pct: float
    missing_edges: list[list[str]]  # missed by every run
    edges: list[dict[str, str | int]] = Field(default_factory=list)  # {from, to, hits} summed


class Percentile(BaseModel):
    model_config = _MODEL
    name: str  # p50, p95, p99, p999
    value: float | None
    ci95: list[float] | None = None


class StreamFigure(BaseModel):
    """One streamed-run figure's percentiles (harness.load._streaming)."""

    model_config = _MODEL
    name: str  # e.g. "time to first text"
    unit: str  # ms, tokens/s
    count: int
    percentiles: list[Percentile]


class SlaCheck(BaseModel):
    model_config = _MODEL
    name: str
    metric: str
    op: str
    limit: float | None
    value: float | None
    ci95: list[float] | None = None
    unit: str
    passed: bool
    decisive: bool = True


class SlaAgent(BaseModel):
    model_config = _MODEL
    agent: str
    calls: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    tokens_in: int
    tokens_out: int
    cost_usd: float | None


class SlaSection(BaseModel):
    model_config = _MODEL
    source: str  # the sla.json read, relative to the reports folder when inside it
    profile: str
    system: str | None = None  # the system the run loaded (`compare` refuses two different ones)
    scenarios: str | None = None  # its scenario file, name and digest
    invalid: int = 0  # failed with a 2xx that breaks the contract
    run_id: str
    started_at: str | None = None
    duration_s: float | None = None
    users: int | None = None
    verdict: Literal["pass", "fail"]
    checks: list[SlaCheck]
    sent: int
    answered: int
    failed: int
    lost: int
    server_record: str | None = None  # what `lost` was reconciled against: "audit log", "spans", none
    no_outcome: int
    latency_count: int
    latency_mean_ms: float | None
    percentiles: list[Percentile]  # client side, end to end
    server_percentiles: list[Percentile] = Field(default_factory=list)
    error_rate: float | None
    error_rate_ci95: list[float] | None = None
    errors: int = 0
    escalation_rate: float | None = None
    rps_mean: float | None = None
    rps_peak: float | None = None
    tokens_per_request: float | None = None
    tokens_in_total: int | None = None
    tokens_out_total: int | None = None
    cost_total_usd: float | None = None
    cost_per_request_usd: float | None = None
    cost_per_request_ci95: list[float] | None = None
    agents: list[SlaAgent] = Field(default_factory=list)
    # CSVs of the run, relative to the reports folder when inside it (else absolute): `compare`
    # runs its tests on the raw samples they hold.
    files: dict[str, str] = Field(default_factory=dict)
    streaming: list[StreamFigure] = Field(default_factory=list)  # streamed runs only
    goodput: float | None = None  # share of requests meeting every latency SLO (streamed runs)
    goodput_ci95: list[float] | None = None


class PhaseCheck(BaseModel):
    model_config = _MODEL
    phase: Literal["before", "during", "after"]
    probe: str  # error_rate, p95_ms, ..., ttft_p95_ms; completion_rate_min is a lower limit
    value: float | None
    limit: float
    held: bool


class ChaosExperiment(BaseModel):
    model_config = _MODEL
    name: str
    title: str
    family: str
    fault: str  # the fault's kind
    resilience: str  # "on", or "off" for a bite run
    verdict: str  # held, failed, aborted, error, interrupted, not_exercised, not_applicable
    held: bool
    phases: dict[str, dict[str, float | int | None]]  # before/during/after: sent, error_rate, p95_ms...
    checks: list[PhaseCheck]
    violations: list[str]
    recovery_s: float | None
    recovery_limit_s: float | None
    lost: int
    lost_limit: int
    injected_s: float | None
    rolled_back_s: float | None
    ended_s: float | None
    breaker_transitions: list[dict[str, str | float]] = Field(default_factory=list)
    fired: str = "fired: not counted"  # how often the fault fired, in words


class ChaosSection(BaseModel):
    model_config = _MODEL
    sources: list[str]
    suite: str
    experiments: list[ChaosExperiment]  # resilience on first, then any bite runs
    on_runs: int
    held: int
    failed: int
    aborted: int
    errors: int
    lost: int
    leftovers: int
    not_applicable: int = 0  # experiments whose fault cannot reach the system: not in on_runs
    not_exercised: int = 0  # in on_runs, never held: the fault fired less than its method implies
    bites_checked: int = 0
    bites: int = 0


class TrialsRate(BaseModel):
    model_config = _MODEL
    value: float | None
    low: float
    high: float


class TrialsScenario(BaseModel):
    model_config = _MODEL
    id: str
    category: str
    n: int
    passed: int
    cache_hits: int = 0
    truth: float | None = None  # the true pass rate, when the brain knows it (a noisy brain)
    pass_at_1: TrialsRate
    pass_k: TrialsRate | None = None
    failure: str | None = None  # how its first failed trial failed


class TrialsSection(BaseModel):
    """`harness trials`' reports/trials.json: every scenario k times, pass@1 and pass^k."""

    model_config = _MODEL
    source: str  # relative to the reports folder
    system: str
    brain: str
    cache: str  # bypassed, allowed
    k: int
    confidence: float
    trials: int
    passed: int
    pass_at_1: TrialsRate  # pooled over scenarios, clustered by scenario
    pass_k: TrialsRate | None
    scenarios: list[TrialsScenario]  # every one: the gate recomputes pass^k from their counts


class MutationTier(BaseModel):
    model_config = _MODEL
    tier: str
    killed: int  # by this tier (timeouts included)
    score: float | None  # killed by this tier or a cheaper one / run


class MutationSurvivor(BaseModel):
    model_config = _MODEL
    where: str  # file:line
    operator: str
    original: str
    mutated: str


class MutationSection(BaseModel):
    """`harness mutate`'s reports/mutation.json: how much the tiers would have caught."""

    model_config = _MODEL
    source: str  # relative to the reports folder
    packages: list[str]
    score: float | None  # killed by any tier / run
    run: int
    not_run: int
    generated: int
    wall_s: float
    stopped: str  # done, budget, interrupted
    tiers: list[MutationTier]
    survivors_total: int
    survivors: list[MutationSurvivor]  # the first 60; every one is in mutation.json


class Evidence(BaseModel):
    model_config = _MODEL
    source: str  # junit:<tier>, sla, chaos:<experiment>
    detail: str


class MastTag(BaseModel):
    model_config = _MODEL
    mode: str  # FM-1.1 ... FM-3.3
    name: str
    category: str
    # True when the system caught the failure itself (a safe escalation): shown, not a breach.
    contained: bool
    count: int
    evidence: list[Evidence]


class SystemSection(BaseModel):
    """The system under test, as declared: what the report is about."""

    name: str
    declared_in: str | None = None  # the pyproject.toml holding [tool.harness.system]
    python: str | None = None  # in process: pkg.module:attr
    url: str | None = None  # a running service
    served: bool = False  # the stack starts it ([tool.harness.system.serve])
    coverage: list[str] = Field(default_factory=list)  # the packages whose coverage counts


class Summary(TypedFile):
    """Every number the release report shows, and its verdict."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    SCHEMA: ClassVar[str] = SCHEMA
    ERROR: ClassVar[type[HarnessError]] = ReportError
    FIX: ClassVar[str] = "write it with `harness report`"

    generated_at: str
    system: SystemSection | None = None  # None in summaries written before it was recorded
    verdict: Literal["GO", "NO-GO", "INCONCLUSIVE"]
    gates: list[GateResult]
    pyramid: PyramidSection
    coverage: CoverageSection | None = None
    graph: GraphSection | None = None
    sla: SlaSection | None = None
    chaos: ChaosSection | None = None
    trials: TrialsSection | None = None  # a `harness trials` run, when there was one
    mutation: MutationSection | None = None  # a `harness mutate` run, when there was one
    traces: list[TracesRun] = Field(default_factory=list)  # a traced system's load and chaos runs
    mast: list[MastTag] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # inputs missing or unreadable, one line each


def load_summary(path: Path) -> tuple[Summary, Path]:
    """A summary.json, or a reports folder holding one; (summary, its folder). ReportError (one
    line naming the file) when it is missing or not a summary."""
    path = path / "summary.json" if path.is_dir() else path
    return Summary.read(path), path.parent
