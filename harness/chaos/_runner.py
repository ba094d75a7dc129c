"""Run one experiment: steady state, fault, rollback, recovery — and the rollback always happens.

    result = await run_experiment(experiment, targets, suite="short")
    result.verdict      # held | failed | aborted (no steady state, no fault) | error | interrupted

The fault is injected inside `try` and rolled back in its `finally`, synchronously, so a failed
assertion, an exception, a timeout or a cancellation (Ctrl-C, SIGTERM: the CLI turns both into
one) cannot leave it active. Before returning, the run checks that the stack is clean.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .._exceptions import ChaosError
from ..measure import (
    ChaosRequests,
    ExperimentResult,
    PhaseStats,
    Sample,
    frame,
    new_run_id,
    read_audit,
    reconcile,
)
from ..sut import HTTPSystem, Turn
from ..traces import Sent, Trace, TracesRun, collect_traces, summarise, trace_id_for
from ._exercised import fault_fired, not_exercised
from ._faults import Targets, injector_for, latency_config, leftovers, rollback_action
from ._kinds import fault_json
from ._load import LoadGenerator, queries_for
from ._measure import BreakerWatch, judge, phase_stats, read_breakers, recovery_s, violations, with_inflation
from ._schema import Experiment

__all__ = ["Progress", "run_experiment", "settle"]

#: Called as progress(phase, seconds) when a phase starts: before, during, after, done.
Progress = Callable[[str, float], None]


async def settle(targets: Targets, max_s: float = 15.0) -> list[str]:
    """Warm a fresh system up, then wait until every breaker it reports is closed, sending probe
    turns so half-open ones can close: an experiment must start from steady state, not from a cold
    start or the previous experiment's aftermath. Returns the breakers still not closed when
    `max_s` ran out (none, for a system that reports no breakers)."""
    decl = targets.declaration
    deadline = time.monotonic() + max_s
    health = f"{targets.service_url}{decl.serve.health if decl.serve else '/health'}"
    probes = queries_for(decl, pool=3, seed="settle")
    system = HTTPSystem(targets.service_url, decl.http, timeout_s=10.0, routes=decl.vocabulary.routes)
    not_closed: list[str] = []
    try:
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            if targets.service_url not in _WARMED:
                await _probe(system, probes, "warm")  # a fresh system's first calls are slow
                _WARMED.add(targets.service_url)
            for round_ in range(int(max_s / 0.3) + 1):
                breakers = await read_breakers(client, health, decl.hooks.breakers) or {}
                not_closed = sorted(a for a, s in breakers.items() if s != "closed")
                if not not_closed or time.monotonic() > deadline:
                    break
                if not any(breakers[a] == "open" for a in not_closed):
                    await _probe(system, probes, str(round_))  # half-open: one success closes it
                await asyncio.sleep(0.3)
    finally:
        await system.aclose()
    return not_closed


async def _probe(system: HTTPSystem, probes: list[Any], tag: str) -> None:
    # Unique texts: a cache hit would call no agent.
    turns = [Turn(query=f"{q.text} #settle{tag}", user_id=q.user_id, customer_tier=q.tier) for q in probes]
    await asyncio.gather(*(system.ask(turn) for turn in turns))


#: Systems this process has already warmed up.
_WARMED: set[str] = set()


def _audit_size(path: str | None) -> int:
    return Path(path).stat().st_size if path and Path(path).exists() else 0


class _Run:
    """The state of one run, so that `finally` blocks know what to undo and what to report."""

    def __init__(self, exp: Experiment, targets: Targets, suite: str, timeout_s: float) -> None:
        self.exp, self.targets, self.suite = exp, targets, suite
        self.before_s, self.during_s, self.after_s = exp.phases_for(suite)
        self.run_id = new_run_id()
        self.t0, self.t0_epoch = time.monotonic(), time.time()
        self.injector = injector_for(exp.method, targets)
        self.inject_at: float | None = None
        self.rollback_at: float | None = None
        self.rollback_errors: list[str] = []
        self.counts: dict[str, Any] | None = None  # what the fault did, read before its rollback
        self.count_error: str | None = None
        decl = targets.declaration
        client = httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_connections=exp.load.max_in_flight), trust_env=False
        )
        self.load = LoadGenerator(
            HTTPSystem(
                targets.service_url, decl.http, client=client, name=decl.name, routes=decl.vocabulary.routes
            ),
            queries_for(decl, exp.load.pool, seed=exp.name),
            rate=exp.load.rate,
            run_id=self.run_id,
            unique=exp.load.unique,
            max_in_flight=exp.load.max_in_flight,
            timeout_s=timeout_s,
            stream=exp.load.stream,
        )
        self._client = client
        self.watch = BreakerWatch(targets.service_url, decl, self.t0)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def rollback(self, latency_baseline: dict[str, Any] | None) -> None:
        """The fault's own rollback, then the file's extra ones; every error is kept, none stops
        the others."""
        try:
            self.injector.rollback()
        except ChaosError as exc:
            self.rollback_errors.append(f"own: {exc}")
        for name in self.exp.rollbacks:
            try:
                rollback_action(name, self.targets, latency_baseline)
            except ChaosError as exc:
                self.rollback_errors.append(f"{name}: {exc}")
        self.rollback_at = self.now()

    def read_counts(self) -> None:
        """How often the fault fired, while it is still active (a rollback resets the counts)."""
        try:
            self.counts = self.injector.counts()
        except ChaosError as exc:
            self.count_error = f"could not count the fault's hits: {exc}"

    def samples(self, phase: str) -> list[Sample]:
        inject = self.inject_at if self.inject_at is not None else float("inf")
        rollback = self.rollback_at if self.rollback_at is not None else float("inf")
        bounds = {"before": (0.0, inject), "during": (inject, rollback), "after": (rollback, float("inf"))}
        low, high = bounds[phase]
        return [x for x in self.load.samples if low <= x.start - self.t0_epoch < high]


async def _wait_for_answers(samples: list[Sample], max_s: float) -> None:
    """Until every sample given has its response (or `max_s` passed): the steady-state check
    needs complete data."""
    for _ in range(int(max_s / 0.05) + 1):
        if all(x.kind is not None for x in samples):
            return
        await asyncio.sleep(0.05)


async def run_experiment(
    exp: Experiment,
    targets: Targets,
    *,
    suite: str = "short",
    timeout_s: float = 40.0,
    label: str = "on",
    switches_off: list[str] | None = None,
    progress: Progress | None = None,
    sink: list[ExperimentResult] | None = None,
) -> ExperimentResult:
    """Run `exp` against `targets` under background load; the result is a chaos.json entry,
    also appended to `sink` (so a caller still gets it when the run is cancelled)."""
    notify = progress or (lambda phase, seconds: None)
    baseline = latency_config(targets)
    dirty = leftovers(targets, baseline)
    if dirty:
        raise ChaosError(f"{exp.name}: the stack is not clean before the run: {'; '.join(dirty)}")
    not_closed = await settle(targets)
    run = _Run(exp, targets, suite, timeout_s)
    audit_offset = _audit_size(targets.audit_log)
    stop = asyncio.Event()
    total = run.before_s + run.during_s + run.after_s
    tasks = [
        asyncio.create_task(run.load.run(stop, total + 30)),
        asyncio.create_task(run.watch.run(stop, total + 60)),
    ]
    verdict, problems = "interrupted", ["the run was interrupted (Ctrl-C, SIGTERM or a timeout)"]
    try:
        verdict, problems = await _method(run, notify, baseline)
    except ChaosError as exc:
        verdict, problems = "error", [str(exc)]
    except Exception as exc:
        verdict, problems = "error", [f"{type(exc).__name__}: {exc}"]
        raise
    finally:  # also on cancellation, with verdict "interrupted"
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if verdict != "interrupted":  # interrupted: whoever stopped us does not want to wait
            await run.load.drain()
        await run.load.aclose()
        await run._client.aclose()
        result = _result(run, verdict, problems, not_closed, baseline, audit_offset, label)
        result.switches_off = switches_off or []
        notify("done", 0.0)
        if sink is not None:
            sink.append(result)
    return result


async def _method(run: _Run, notify: Progress, baseline: dict[str, Any]) -> tuple[str, list[str]]:
    """Steady state, then the fault (rolled back in `finally`), then recovery. Returns
    ("held", []) to be judged on the whole run, or ("aborted", why) with no fault injected."""
    notify("before", run.before_s)
    await asyncio.sleep(run.before_s)
    steady = run.samples("before")  # those sent so far, once all of them are answered
    await _wait_for_answers(steady, max_s=run.load.timeout_s)
    problems = violations("before", phase_stats(steady), run.exp.hypothesis)
    if problems:
        return "aborted", problems  # no steady state to compare with: no fault
    try:
        run.inject_at = run.now()
        run.injector.inject()
        notify("during", run.during_s)
        await asyncio.sleep(run.during_s)
        run.read_counts()
    finally:
        run.rollback(baseline)
    notify("after", run.after_s)
    await asyncio.sleep(run.after_s)
    return "held", []


def _phases(run: _Run) -> dict[str, PhaseStats]:
    return with_inflation({p: phase_stats(run.samples(p)) for p in ("before", "during", "after")})


def _requests(run: _Run, audit_offset: int, traces: dict[str, Trace] | None) -> ChaosRequests:
    """Reconciled against the audit log; a system that keeps none, against its spans."""
    log = Path(run.targets.audit_log) if run.targets.audit_log else None
    audit = read_audit(log, f"hr-{run.run_id}-", audit_offset)
    rec = reconcile(frame(run.load.samples), audit[0] if audit else None, spans=traces)
    return ChaosRequests(**dict(rec), skipped=run.load.skipped)


def _collect(run: _Run) -> dict[str, Trace] | None:
    """The spans of every request of the run (a traced system only): each arrives a batch delay
    after its reply. Waited for: those the system answered (one refused or timed out may never
    have reached it; its spans are read if they came)."""
    if not run.targets.spans:
        return None
    ours = [trace_id_for(x.id) for x in run.load.samples if x.status]
    agents = run.targets.declaration.vocabulary.agents or ()
    return collect_traces(run.targets.spans, ours, agents=agents, timeout_s=3.0, settle_s=0.4)


def _traces(run: _Run, label: str, traces: dict[str, Trace] | None) -> TracesRun | None:
    """What the spans of the requests sent during the fault say."""
    if traces is None:
        return None
    sent = {
        trace_id_for(x.id): Sent(
            request_id=x.id,
            ok=x.kind == "answered",
            escalated=bool(x.escalated),
            latency_ms=x.ms,
            error=x.error,
            status=x.status,
        )
        for x in run.samples("during")
    }
    ours = [trace_id_for(x.id) for x in run.load.samples]  # before and after the fault too
    source, prices = f"chaos {run.exp.name} (resilience {label})", run.targets.declaration.price_table()
    return summarise(traces, sent, source=source, also_ours=ours, prices=prices)


def _first_failure(traces: TracesRun | None) -> str | None:
    views = traces.views if traces else []
    return next((v.first_failure for v in views if v.shown_as == "failed" and v.first_failure), None)


def _result(
    run: _Run,
    verdict: str,
    problems: list[str],
    not_closed: list[str],
    baseline: dict[str, Any],
    audit_offset: int,
    label: str,
) -> ExperimentResult:
    exp, h = run.exp, run.exp.hypothesis
    collected = _collect(run)
    phases, requests = _phases(run), _requests(run, audit_offset, collected)
    rollback_epoch = None if run.rollback_at is None else run.t0_epoch + run.rollback_at
    recovery = recovery_s(run.samples("after"), rollback_epoch, h) if rollback_epoch is not None else None
    fired = fault_fired(run.counts, exp.method, len(run.samples("during")))
    if verdict == "held":  # the fault went through: judge the whole run
        problems = judge(phases, requests, recovery, h)
        verdict = "failed" if problems else "held"
        short = not_exercised(fired) or run.count_error
        if short:  # a fault that did not fire proves nothing, whatever the figures say
            verdict, problems = "not_exercised", [short, *problems]
    traces = _traces(run, label, collected)
    try:
        left = leftovers(run.targets, baseline)
    except ChaosError as exc:
        left = [f"could not check: {exc}"]
    return ExperimentResult.model_validate(
        {
            "name": exp.name,
            "title": exp.title,
            "family": exp.method.family,
            "resilience": label,
            "fault": fault_json(exp.method.fault),
            "target": exp.method.target.model_dump(exclude_none=True),
            "intensity": exp.method.intensity,
            "durations_s": {"before": run.before_s, "during": run.during_s, "after": run.after_s},
            "hypothesis": h.model_dump(exclude_none=True),
            "verdict": verdict,
            "held": verdict == "held",
            "violations": problems,
            "phases": {p: s.rounded() for p, s in phases.items()},
            "recovery_s": None if recovery is None else round(recovery, 3),
            "breaker_transitions": run.watch.transitions,
            "breakers_not_closed_at_start": not_closed,
            "requests": requests,
            "timeline_s": {
                "injected": None if run.inject_at is None else round(run.inject_at, 3),
                "rolled_back": None if run.rollback_at is None else round(run.rollback_at, 3),
                "ended": round(run.now(), 3),
            },
            "rollback": {"actions": exp.all_rollbacks(), "errors": run.rollback_errors, "leftovers": left},
            "fired": fired,
            "first_failure": _first_failure(traces),
            "traces": traces,
        }
    )


def not_applicable(exp: Experiment, why: str, suite: str = "short") -> ExperimentResult:
    """The result of an experiment whose fault cannot reach the system: never run, never held."""
    before, during, after = exp.phases_for(suite)
    empty = PhaseStats()
    return ExperimentResult.model_validate(
        {
            "name": exp.name,
            "title": exp.title,
            "family": exp.method.family,
            "resilience": "on",
            "fault": fault_json(exp.method.fault),
            "target": exp.method.target.model_dump(exclude_none=True),
            "intensity": exp.method.intensity,
            "durations_s": {"before": before, "during": during, "after": after},
            "hypothesis": exp.hypothesis.model_dump(exclude_none=True),
            "verdict": "not_applicable",
            "held": False,
            "violations": [why],
            "phases": {"before": empty, "during": empty, "after": empty},
            "recovery_s": None,
            "breaker_transitions": [],
            "breakers_not_closed_at_start": [],
            "requests": {},
            "timeline_s": {"injected": None, "rolled_back": None, "ended": 0.0},
            "rollback": {"actions": [], "errors": [], "leftovers": []},
        }
    )
