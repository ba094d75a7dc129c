"""What an experiment measures: per-phase error rate and percentiles, recovery, breakers, losses.

With a streamed load (`load: {stream: true}`) each phase also has `ttft_p50_ms`/`ttft_p95_ms`,
the time to a stream's first event, and `completion_rate`, the share of its streams that reached
their final event; `ttft_p95_ms` and `completion_rate_min` judge them like the other probes.

A request belongs to the phase in which it was *sent*: before the fault, during it, or after
the rollback. Percentiles are exact (nearest rank over the phase's requests, no histogram
buckets: `harness.measure`). What a request counts as (answered, unclear, lost) is defined once,
in `harness.measure`, for chaos as for load and the gate: lost is what nobody accounts for (no
outcome, or the system's audit log disagreeing); `unclear` is a failure that leaves the caller not
knowing whether to retry (an error without a retry signal, a timeout).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from ..measure import UNCLEAR, PhaseStats, Reconciliation, Sample, percentile
from ..sut import SystemDeclaration
from ..sut._http import dig
from ._schema import Hypothesis

__all__ = ["BreakerWatch", "PhaseStats", "judge", "phase_stats", "recovery_s", "violations", "with_inflation"]


def phase_stats(samples: list[Sample]) -> PhaseStats:
    """The phase's figures (`PhaseStats`, as chaos.json records them) from its samples."""
    s = PhaseStats(sent=len(samples))
    answers = [x for x in samples if x.kind == "answered"]
    s.answered, s.retriable = len(answers), sum(x.kind == "retriable" for x in samples)
    s.rejected = sum(x.kind == "rejected" for x in samples)
    s.unclear = sum(x.kind in UNCLEAR for x in samples)
    s.invalid = sum(x.kind == "invalid" for x in samples)
    s.degraded = sum(bool(x.degraded) for x in answers)
    s.escalated = sum(bool(x.escalated) for x in answers)
    s.misrouted = sum(bool(x.misrouted) for x in answers)
    for x in answers:
        if x.fallback:
            s.fallbacks[x.fallback] = s.fallbacks.get(x.fallback, 0) + 1
    # An error is anything but an answer or the client's own bad input.
    s.error_rate = (s.sent - s.answered - s.rejected) / s.sent if s.sent else 0.0
    s.misrouted_rate = s.misrouted / s.answered if s.answered else 0.0
    # Escalations the scenarios call for (a VIP, a refund) are the spec, not a degradation: only
    # the others count (an unlabelled answer counts: there is nothing to excuse it by).
    unexpected = sum(bool(x.escalated) and x.misrouted is not False for x in answers)
    s.escalated_rate = unexpected / s.answered if s.answered else 0.0
    s.degraded_rate = s.degraded / s.answered if s.answered else 0.0
    s.cache_hits = sum(bool(x.cache_hit) for x in answers)
    s.tokens_per_answer = sum(x.tokens for x in answers) / s.answered if s.answered else 0.0
    # Every response that came back counts, errors too: a slow 503 is as slow as a slow answer.
    latencies = [x.ms for x in samples if x.ms is not None]
    s.p50_ms, s.p95_ms = percentile(latencies, 0.50), percentile(latencies, 0.95)
    s.p99_ms, s.max_ms = percentile(latencies, 0.99), max(latencies, default=None)
    return _stream_stats(s, samples)


def _stream_stats(s: PhaseStats, samples: list[Sample]) -> PhaseStats:
    """TTFT and completion over the phase's streamed requests that came to an end. A stream with
    no first event at all (a hang, a refusal) counts at the time it ended: the wait it cost, a
    lower bound on its TTFT, so a hang cannot leave the percentile by never starting."""
    streams = [x for x in samples if x.completed is not None]
    if not streams:
        return s
    s.streamed, s.completed = len(streams), sum(bool(x.completed) for x in streams)
    ttft = [x.ttft_ms if x.ttft_ms is not None else x.ms for x in streams]
    waits = [t for t in ttft if t is not None]
    s.ttft_p50_ms, s.ttft_p95_ms = percentile(waits, 0.50), percentile(waits, 0.95)
    s.completion_rate = s.completed / s.streamed
    return s


def violations(phase: str, s: PhaseStats, h: Hypothesis) -> list[str]:
    """The hypothesis's per-phase probes that this phase breaks, each as one readable line."""
    if s.sent == 0:
        return [f"{phase}: no request was sent (is the load generator starved?)"]
    out = []
    checks = (
        ("error_rate", s.error_rate, h.error_rate),
        ("p95_ms", s.p95_ms, h.p95_ms),
        ("misrouted_rate", s.misrouted_rate, h.misrouted_rate),
        ("escalated_rate", s.escalated_rate, h.escalated_rate),
        ("degraded_rate", s.degraded_rate, h.degraded_rate),
        ("token_inflation", s.token_inflation, h.token_inflation),
    )
    for name, value, limit in (*checks, ("ttft_p95_ms", s.ttft_p95_ms, h.ttft_p95_ms)):
        if limit is not None and value is not None and value > limit:
            out.append(f"{phase}.{name} {value:.4g} > {limit:g}")
    least = h.completion_rate_min
    if least is not None and (s.completion_rate or 0.0) < least:
        got = "no stream ended" if s.completion_rate is None else f"{s.completion_rate:.4g}"
        out.append(f"{phase}.completion_rate {got} < {least:g}")
    return out


def with_inflation(phases: dict[str, PhaseStats]) -> dict[str, PhaseStats]:
    """`token_inflation` of the during and after phases: tokens per answer against before's."""
    base = phases["before"].tokens_per_answer
    for p in ("during", "after"):
        if base > 0:
            phases[p].token_inflation = phases[p].tokens_per_answer / base
    return phases


def judge(
    phases: dict[str, PhaseStats], requests: Reconciliation, recovery: float | None, h: Hypothesis
) -> list[str]:
    """Why a run that went through its fault did not hold: each phase's probes after the steady
    state, then the whole run's limits (lost, unclear, recovery); [] when it held."""
    problems = [v for p in ("during", "after") for v in violations(p, phases[p], h)]
    if requests.lost > h.lost:
        problems.append(f"lost {requests.lost} > {h.lost}")
    if requests.unclear > h.unclear:
        problems.append(f"unclear {requests.unclear} > {h.unclear} (errors without a retry signal, timeouts)")
    if h.recovery_s is not None and (recovery is None or recovery > h.recovery_s):
        got = "never (within the after phase)" if recovery is None else f"{recovery:.2f} s"
        problems.append(f"recovery {got} > {h.recovery_s:g} s")
    return problems


def _healthy(x: Sample, h: Hypothesis) -> bool:
    if x.kind != "answered" or x.degraded or x.completed is False:
        return False
    if h.ttft_p95_ms is not None and (x.ttft_ms is None or x.ttft_ms > h.ttft_p95_ms):
        return False
    if h.misrouted_rate is not None and x.misrouted:
        return False
    return h.p95_ms is None or (x.ms or 0) <= h.p95_ms


def recovery_s(after: list[Sample], rollback_at: float, h: Hypothesis, window: int = 3) -> float | None:
    """Seconds from the rollback (epoch seconds) to the first of `window` consecutive healthy
    answers (fresh, not degraded, within the P95 limit), by send order; None if that never happened."""
    ordered = sorted(after, key=lambda x: x.start)
    run = 0
    for i, x in enumerate(ordered):
        run = run + 1 if _healthy(x, h) else 0
        if run == window:
            return max(0.0, ordered[i - window + 1].start - rollback_at)
    return None


class BreakerWatch:
    """Polls the system's health and records every breaker state change it sees, when the system
    declares where its health reply lists them (`[tool.harness.system.hooks] breakers`)."""

    def __init__(
        self, service_url: str, declaration: SystemDeclaration, t0: float, every_s: float = 0.2
    ) -> None:
        health = declaration.serve.health if declaration.serve else "/health"
        self.url, self.path = f"{service_url}{health}", declaration.hooks.breakers
        self.t0, self.every_s = t0, every_s
        self.transitions: list[dict[str, Any]] = []
        self._last: dict[str, str] = {}

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        if self.path is None:
            return  # nothing to watch
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            for _ in range(int(max_s / self.every_s) + 1):
                await self.poll(client)
                try:
                    await asyncio.wait_for(stop.wait(), self.every_s)
                    return
                except TimeoutError:
                    pass

    async def poll(self, client: httpx.AsyncClient) -> None:
        breakers = await read_breakers(client, self.url, self.path)
        if breakers is None:
            return  # a missed poll only blurs the timeline; the next one catches up
        now = round(time.monotonic() - self.t0, 3)
        for agent, state in sorted(breakers.items()):
            before = self._last.get(agent)
            if before is not None and before != state:
                self.transitions.append({"t_s": now, "agent": agent, "from": before, "to": state})
            self._last[agent] = state


async def read_breakers(client: httpx.AsyncClient, url: str, path: str | None) -> dict[str, str] | None:
    """{agent: state} from the health reply at `url` (dotted `path`); None when unreadable."""
    if path is None:
        return None
    try:
        found = dig((await client.get(url)).json(), path)
    except (httpx.HTTPError, ValueError):
        return None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None
