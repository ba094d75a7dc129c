"""`traces.json`: what a run's spans say, for the release report. Per agent (visits, latency,
LLM calls, tokens, errors, where failures began), how many of the requests sent came back as
traces, and a waterfall view of the slowest, the failed and the escalated requests.

    record = summarise(traces, sent, source="load", agents=[...])  # sent: trace id -> Sent
    TracesRecord(runs=[record]).write("reports/traces.json")
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from .._exceptions import HarnessError
from .._files import Figure, TypedFile
from ._derive import Prices, Trace, cost_of, is_llm, model_of, tokens_of
from ._model import Span

__all__ = [
    "AgentFigures",
    "Finding",
    "Sent",
    "SpanRow",
    "TraceView",
    "TracesRecord",
    "TracesRun",
    "summarise",
]

_VIEWS_PER_KIND = 2
_ROWS_PER_VIEW = 40


class Sent(BaseModel):
    """A request as the client saw it."""

    request_id: str | None = None
    ok: bool = True
    escalated: bool = False
    latency_ms: float | None = None
    error: str | None = None
    status: int | None = None  # the HTTP status the client got (None: no response)


class AgentFigures(BaseModel):
    agent: str
    visits: int
    latency_p50_ms: Figure = None
    latency_p95_ms: Figure = None
    llm_calls: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: Figure = None  # its LLM spans at the declared prices (None: none priced)
    errors: int = 0  # error spans within the agent's own spans
    failures_began_here: int = 0  # traces whose first failure is this agent's


class SpanRow(BaseModel):
    name: str
    agent: str | None
    depth: int
    start_ms: float  # from the trace's start
    duration_ms: float
    status: str
    why: str = ""
    role: Literal["request", "agent", "llm", "tool", "error", "other"] = "other"
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None


class TraceView(BaseModel):
    trace_id: str
    request_id: str | None
    shown_as: Literal["slowest", "failed", "escalated"]
    duration_ms: float
    client_ms: Figure = None
    path: list[str]
    first_failure: str | None = None
    rows: list[SpanRow]
    rows_left_out: int = 0


class Finding(BaseModel):
    """Something the spans show that the replies do not: a loop between agents, an LLM output
    cut at its token limit, a status the system's own span disagrees with."""

    kind: Literal["loop", "truncated", "status_mismatch"]
    count: int
    example: str


class TracesRun(BaseModel):
    source: str  # which run: "load", "chaos <experiment>", ...
    requests: int  # sent with a traceparent
    traced: int  # of those, with spans received
    other_traces: int = 0  # traces that no request of this run started
    agents: list[AgentFigures] = Field(default_factory=list)
    views: list[TraceView] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    unpriced_models: list[str] = Field(default_factory=list)  # LLM spans' models with no price


def _unpriced(traces: Iterable[Trace], prices: Prices) -> set[str]:
    return {
        model
        for trace in traces
        for _, span in trace.llm_calls()
        if (model := model_of(span)) is not None and cost_of(span, prices) is None
    }


class TracesRecord(TypedFile):
    SCHEMA: ClassVar[str] = "harness.traces/1"
    ERROR: ClassVar[type[HarnessError]] = HarnessError
    FIX: ClassVar[str] = "run the load or chaos tier again on a system declared traces = true"
    runs: list[TracesRun]


def _nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered) - 1e-9))) - 1]


def _agent_figures(traces: Iterable[Trace], prices: Prices) -> list[AgentFigures]:
    visits: dict[str, list[float]] = defaultdict(list)
    calls: Counter[str] = Counter()
    tin: dict[str, list[int]] = defaultdict(list)
    tout: dict[str, list[int]] = defaultdict(list)
    errors: Counter[str] = Counter()
    began: Counter[str] = Counter()
    cost: dict[str, list[float]] = defaultdict(list)
    for trace in traces:
        for name, span in trace.visits():
            visits[name].append(span.duration_ms)
        for agent, span in trace.llm_calls():
            if agent is None:
                continue
            calls[agent] += 1
            i, o = tokens_of(span)
            tin[agent] += [i] if i is not None else []
            tout[agent] += [o] if o is not None else []
            usd = cost_of(span, prices)
            cost[agent] += [usd] if usd is not None else []
        errors.update(a for s in trace.spans if s.failed and (a := trace.agent_of(s)) is not None)
        failure = trace.first_failure()
        if failure is not None and failure.agent is not None:
            began[failure.agent] += 1
    return [
        AgentFigures(
            agent=name,
            visits=len(durations),
            latency_p50_ms=_nearest_rank(durations, 0.5),
            latency_p95_ms=_nearest_rank(durations, 0.95),
            llm_calls=calls[name],
            tokens_in=sum(tin[name]) if tin[name] else None,
            tokens_out=sum(tout[name]) if tout[name] else None,
            cost_usd=round(sum(cost[name]), 6) if cost[name] else None,
            errors=errors[name],
            failures_began_here=began[name],
        )
        for name, durations in sorted(visits.items())
    ]


Role = Literal["request", "agent", "llm", "tool", "error", "other"]
ShownAs = Literal["slowest", "failed", "escalated"]


def _role(trace: Trace, span: Span) -> Role:
    a = span.attributes
    if span in trace.roots or span.kind == "server":
        return "request"
    if trace.agent_name(span) is not None:
        return "agent"
    if is_llm(span):
        return "llm"
    if a.get("openinference.span.kind") == "TOOL" or a.get("gen_ai.operation.name") == "execute_tool":
        return "tool"
    return "error" if span.failed else "other"


def view(trace: Trace, shown_as: ShownAs, sent: Sent | None) -> TraceView:
    """The waterfall of one trace: its request, agent, LLM, tool and failed spans (the glue
    spans a framework adds between them left out), each at its offset from the trace's start."""
    start = trace.start_ns
    rows = []
    for span in trace.spans:
        role = _role(trace, span)
        if role == "other":
            continue
        tokens = tokens_of(span) if role == "llm" else (None, None)
        rows.append(
            SpanRow(
                name=span.name,
                agent=trace.agent_of(span),
                depth=trace.depth(span),
                start_ms=round((span.start_ns - start) / 1e6, 3),
                duration_ms=round(span.duration_ms, 3),
                status=span.status,
                why=span.why() if span.failed else "",
                role=role,
                model=model_of(span) if role == "llm" else None,
                tokens_in=tokens[0],
                tokens_out=tokens[1],
            )
        )
    failure = trace.first_failure()
    return TraceView(
        trace_id=trace.trace_id, request_id=sent.request_id if sent else None,
        shown_as=shown_as, duration_ms=round(trace.duration_ms, 3),
        client_ms=sent.latency_ms if sent else None, path=trace.path(),
        first_failure=failure.describe() if failure else None,
        rows=rows[:_ROWS_PER_VIEW], rows_left_out=max(0, len(rows) - _ROWS_PER_VIEW),
    )  # fmt: skip


def _chosen(traces: dict[str, Trace], sent: dict[str, Sent]) -> list[tuple[str, ShownAs]]:
    ours = [t for t in sent if t in traces]
    slowest = sorted(ours, key=lambda t: -(sent[t].latency_ms or traces[t].duration_ms))
    failed = [t for t in ours if not sent[t].ok or traces[t].failed]
    escalated = [t for t in ours if sent[t].escalated]
    picks: list[tuple[str, ShownAs]] = []
    kinds: list[tuple[ShownAs, list[str]]] = [
        ("failed", failed),
        ("escalated", escalated),
        ("slowest", slowest),
    ]
    for kind, ids in kinds:
        picks += [(t, kind) for t in ids if t not in {p for p, _ in picks}][:_VIEWS_PER_KIND]
    return picks


#: One agent visited this often in one request is a loop: no spec hands a question back and
#: forth that many times (a supervisor round trip visits it twice).
LOOP_VISITS = 3
_TRUNCATED = {"length", "max_tokens", "MAX_TOKENS"}


def _finish_reasons(span: Span) -> list[str]:
    a = span.attributes
    value = a.get("gen_ai.response.finish_reasons", a.get("llm.finish_reason"))
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _findings(ours: dict[str, Trace], sent: dict[str, Sent]) -> list[Finding]:
    loops, cut, mismatched = [], [], []
    for tid, trace in ours.items():
        rid = sent[tid].request_id or tid
        visits = Counter(trace.path())
        name, most = visits.most_common(1)[0] if visits else ("", 0)
        if most >= LOOP_VISITS:
            loops.append(f"request {rid}: {name} visited {most} times ({' -> '.join(trace.path())})")
        cut += [
            f"request {rid}: {s.name} ({trace.agent_of(s) or 'no agent'}) stopped at its token limit"
            for _, s in trace.llm_calls()
            if _TRUNCATED & set(_finish_reasons(s))
        ]
        theirs, got = trace.http_status(), sent[tid].status
        if theirs is not None and got not in (None, 0, theirs):
            mismatched.append(f"request {rid}: the client got {got}, the system's span says {theirs}")
    found = (("loop", loops), ("truncated", cut), ("status_mismatch", mismatched))
    return [Finding(kind=kind, count=len(items), example=items[0]) for kind, items in found if items]


def summarise(
    traces: dict[str, Trace],
    sent: dict[str, Sent],
    *,
    source: str,
    also_ours: Iterable[str] = (),
    prices: Prices | None = None,
) -> TracesRun:
    """The run's figures from the traces of `sent` (the requests summarised, by trace id);
    `also_ours`: the trace ids of the run's other requests (not counted as someone else's)."""
    ours = {t: traces[t] for t in sent if t in traces}
    return TracesRun(
        source=source,
        requests=len(sent),
        traced=len(ours),
        other_traces=len(set(traces) - set(sent) - set(also_ours)),
        agents=_agent_figures(ours.values(), prices or {}),
        unpriced_models=sorted(_unpriced(ours.values(), prices or {})),
        views=[view(traces[t], kind, sent[t]) for t, kind in _chosen(traces, sent)],
        findings=_findings(ours, sent),
    )
