"""`sla.json`, schema "harness.sla/1": a load run's report, written by the load tier
(`harness.load._report`) and read by the release report. Field by field in docs/sla-schema.md;
the JSON Schema generated from this model is docs/schemas/sla.schema.json.

It lives here, below both tiers, so that the writer and the reader share the one class. Latency
is in milliseconds, rates are ratios (0.02 = 2%), cost in US dollars; a figure that could not be
measured is null.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import HarnessError, LoadError
from .._files import Figure, TypedFile
from ._reconcile import Reconciliation

__all__ = [
    "AgentFigures",
    "Check",
    "Estimate",
    "Latencies",
    "Latency",
    "Rate",
    "RunHeader",
    "Share",
    "SlaReport",
    "Streaming",
]

Interval = tuple[float, float]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Estimate(_Section):
    """A measured value and its bootstrap 95% interval."""

    value: Figure = None
    ci95: Interval | None = None


class Rate(Estimate):
    """`count` of `of`, as a ratio."""

    count: int
    of: int


class Latency(_Section):
    """Milliseconds over a set of requests; percentiles are nearest rank."""

    count: int
    mean: Figure = None
    min: Figure = None
    max: Figure = None
    p50: Estimate
    p95: Estimate
    p99: Estimate
    p999: Estimate


class Latencies(_Section):
    """`client` always; the rest when the system's audit log was at hand (null otherwise)."""

    client: Latency
    server: Latency | None = None
    llm_path: Latency | None = None
    client_with_llm: Latency | None = None
    overhead: Latency | None = None
    overhead_service: Latency | None = None
    overhead_http: Latency | None = None


class Check(_Section):
    """One threshold's verdict."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    metric: str  # a dotted path into the report, e.g. latency_ms.client.p95
    op: Literal["<", "<=", ">=", "=="]
    limit: float
    value: Figure
    ci95: Interval | None
    unit: str
    passed: bool = Field(alias="pass")
    decisive: bool  # the whole interval lies on the verdict's side of the limit


class RunHeader(_Section):
    """What ran: the profile, its shape, where, and when."""

    id: str  # the prefix of every request id of the run
    profile: str
    description: str = ""
    folder: str
    started_at: str
    finished_at: str
    target: str | None
    stack: bool  # the harness started the stack for the run
    users: int
    spawn_rate: float
    run_time_s: float
    stages: list[tuple[float, int, float]]  # [until_s, users, spawn_rate]; [] for a constant load
    workers: int
    wait_s: Interval
    warmup_s: float
    llm: dict[str, Any] | None  # the mock LLM's setup; null against a system already running
    env: dict[str, str]
    locust_exit_code: int
    system: str | None = None  # the declared system's name (null in older reports)
    scenarios: str | None = None  # the scenario file: "<name> sha256:<12 hex>" (what `compare` matches)
    # Faults other than the run's own active on the stack it attached to (`--allow-dirty`): its
    # figures are not the system's alone. Empty for a clean stack.
    dirty: list[str] = Field(default_factory=list)
    stream: bool = False  # the declared streaming endpoint was loaded (see `SlaReport.streaming`)


class Window(_Section):
    """What the warm-up held: counted and reconciled, left out of the figures."""

    warmup_s: float
    warmup_requests: int
    warmup_failed: int
    measured_requests: int


class LocustFigures(_Section):
    """Locust's own Aggregated row (bucketed), for comparison."""

    p50: Figure = None
    p95: Figure = None
    p99: Figure = None
    p999: Figure = None
    count: Figure = None
    failures: Figure = None


class Rates(_Section):
    error: Rate
    invalid: Rate | None = None  # 2xx replies that break the contract; None in older reports
    escalation: Rate
    cache_hit: Rate
    fallback: Rate


class Share(_Section):
    requests: int
    share: float


class Tokens(_Section):
    per_request: Estimate
    in_total: int
    out_total: int
    in_per_request: Figure = None
    out_per_request: Figure = None


class Cost(_Section):
    total: float | None  # null: no reply carried a cost
    per_request: Estimate


class AgentFigures(_Section):
    calls: int
    latency_ms: Latency
    tokens_in: int
    tokens_out: int
    cost_usd: Figure = None


class Throughput(_Section):
    duration_s: float
    rps_mean: Figure = None
    rps_peak: Figure = None
    error_rate_peak: Figure = None


class StageRow(_Section):
    users: int
    from_s: float
    until_s: float
    requests: int
    rps: Figure = None
    p50_ms: Figure = None
    p95_ms: Figure = None
    p99_ms: Figure = None
    error_rate: Figure = None


class Knee(_Section):
    """The first stage whose P95 is at least double the first stage's."""

    users: int
    rps: Figure = None
    p95_ms: Figure = None
    baseline_p95_ms: Figure = None


class Stages(_Section):
    stages: list[StageRow]
    knee: Knee | None = None
    max_stage_rps: float = 0.0


class Goodput(Rate):
    """Requests that met every latency SLO set (`slos`: SLA key -> bound) of those sent."""

    slos: dict[str, float]


class Streaming(_Section):
    """A streamed run's figures (harness.load._streaming): ms from each request's send; the gaps
    are between chunks (events with text), not tokens; tokens per second per request."""

    ttft_ms: Latency
    first_content_ms: Latency
    inter_chunk_ms: Latency
    chunks_per_request: Figure = None
    tokens_per_s: Latency
    tokens_per_s_total: Figure = None
    end_to_end_ms: Latency
    goodput: Goodput


class ExpectedRates(_Section):
    rejected_share: float
    escalation_rate: float


class Mix(_Section):
    weights: dict[str, float]
    expected: ExpectedRates


class SlaReport(TypedFile):
    """A load run's report: the verdict, the checks, the reconciliation and every figure."""

    SCHEMA: ClassVar[str] = "harness.sla/1"
    ERROR: ClassVar[type[HarnessError]] = LoadError
    FIX: ClassVar[str] = "run the load again (`harness load`, or the system tier) to write a new one"

    verdict: Literal["pass", "fail"]
    failures: list[str]  # the names of the failed checks
    run: RunHeader
    checks: list[Check]
    sla: dict[str, float | None]  # the thresholds in force (null: off)
    requests: Reconciliation
    latency_ms: Latencies
    rates: Rates
    routes: dict[str, Share]
    escalation_reasons: dict[str, Share]
    categories: dict[str, Share]
    tokens: Tokens
    cost_usd: Cost
    agents: dict[str, AgentFigures]
    agents_cost_source: Literal["service_metrics", "audit"] | None
    window: Window
    locust_bucketed: LocustFigures | None
    throughput: Throughput
    stages: Stages | None  # staged profiles only
    mix: Mix
    files: dict[str, str]  # the CSVs, relative to the run's folder
    streaming: Streaming | None = None  # streamed runs only

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"
