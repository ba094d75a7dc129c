"""What an experiment measures: per-phase error rate and percentiles, recovery, breakers, losses.

A request belongs to the phase in which it was *sent*: before the fault, during it, or after
the rollback. Percentiles are exact (nearest rank over the phase's answered requests, no
histogram buckets). Lost requests are reconciled against the service's audit log: a request
the client saw answered must be in the log, or the service's own record is incomplete.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..load._stats import percentile as nearest_rank_percentile
from ._load import Sample
from ._schema import Hypothesis

__all__ = [
    "BreakerWatch",
    "PhaseStats",
    "percentile",
    "phase_stats",
    "read_audit",
    "reconcile",
    "recovery_s",
    "violations",
]

LOST_KINDS = ("error", "lost")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values`; None when there are none."""
    # One definition of a percentile for the whole harness: the system tier's.
    return nearest_rank_percentile(values, q / 100)


@dataclass
class PhaseStats:
    sent: int = 0
    answered: int = 0
    retriable: int = 0
    rejected: int = 0
    lost: int = 0
    degraded: int = 0
    escalated: int = 0
    misrouted: int = 0
    fallbacks: dict[str, int] = field(default_factory=dict)
    error_rate: float = 0.0
    misrouted_rate: float = 0.0
    tokens_per_answer: float = 0.0
    token_inflation: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def phase_stats(samples: list[Sample]) -> PhaseStats:
    s = PhaseStats(sent=len(samples))
    answers = [x for x in samples if x.kind == "answer"]
    s.answered, s.retriable = len(answers), sum(x.kind == "retriable" for x in samples)
    s.rejected = sum(x.kind == "rejected" for x in samples)
    s.lost = sum(x.kind in LOST_KINDS for x in samples)
    s.degraded = sum(x.degraded for x in answers)
    s.escalated = sum(x.escalated for x in answers)
    s.misrouted = sum(x.misrouted for x in answers)
    for x in answers:
        if x.fallback:
            s.fallbacks[x.fallback] = s.fallbacks.get(x.fallback, 0) + 1
    # An error is anything but an answer or the client's own bad input.
    s.error_rate = (s.sent - s.answered - s.rejected) / s.sent if s.sent else 0.0
    s.misrouted_rate = s.misrouted / s.answered if s.answered else 0.0
    s.tokens_per_answer = sum(x.tokens for x in answers) / s.answered if s.answered else 0.0
    # Every response that came back counts, errors too: a slow 503 is as slow as a slow answer.
    latencies = [x.latency_ms for x in samples if x.latency_ms is not None]
    s.p50_ms, s.p95_ms = percentile(latencies, 50), percentile(latencies, 95)
    s.p99_ms, s.max_ms = percentile(latencies, 99), max(latencies, default=None)
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
        ("token_inflation", s.token_inflation, h.token_inflation),
    )
    for name, value, limit in checks:
        if limit is not None and value is not None and value > limit:
            out.append(f"{phase}.{name} {value:.4g} > {limit:g}")
    return out


def _healthy(x: Sample, h: Hypothesis) -> bool:
    if x.kind != "answer" or x.degraded:
        return False
    if h.misrouted_rate is not None and x.misrouted:
        return False
    return h.p95_ms is None or (x.latency_ms or 0) <= h.p95_ms


def recovery_s(after: list[Sample], rollback_at: float, h: Hypothesis, window: int = 3) -> float | None:
    """Seconds from the rollback to the first of `window` consecutive healthy answers (fresh,
    not degraded, within the P95 limit), by send order; None if that never happened."""
    ordered = sorted(after, key=lambda x: x.sent_at)
    run = 0
    for i, x in enumerate(ordered):
        run = run + 1 if _healthy(x, h) else 0
        if run == window:
            return max(0.0, ordered[i - window + 1].sent_at - rollback_at)
    return None


class BreakerWatch:
    """Polls the service's `/health` and records every breaker state change it sees."""

    def __init__(self, service_url: str, t0: float, every_s: float = 0.2) -> None:
        self.url, self.t0, self.every_s = f"{service_url}/health", t0, every_s
        self.transitions: list[dict[str, Any]] = []
        self._last: dict[str, str] = {}

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            for _ in range(int(max_s / self.every_s) + 1):
                await self.poll(client)
                try:
                    await asyncio.wait_for(stop.wait(), self.every_s)
                    return
                except TimeoutError:
                    pass

    async def poll(self, client: httpx.AsyncClient) -> None:
        try:
            breakers = (await client.get(self.url)).json().get("breakers", {})
        except (httpx.HTTPError, ValueError):
            return  # a missed poll only blurs the timeline; the next one catches up
        now = round(time.monotonic() - self.t0, 3)
        for agent, state in sorted(breakers.items()):
            before = self._last.get(agent)
            if before is not None and before != state:
                self.transitions.append({"t_s": now, "agent": agent, "from": before, "to": state})
            self._last[agent] = state


def read_audit(path: str | Path | None, offset: int, prefix: str) -> dict[str, int] | None:
    """request_id -> HTTP status for the audit lines from byte `offset` whose id starts with
    `prefix`; None when there is no audit log to read."""
    if path is None or not Path(path).exists():
        return None
    found: dict[str, int] = {}
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            try:
                doc = json.loads(raw)
            except ValueError:
                continue  # a line cut by a killed process
            rid = doc.get("request_id")
            if isinstance(rid, str) and rid.startswith(prefix):
                found[rid] = int(doc.get("status", 0))
    return found


def reconcile(samples: list[Sample], audit: dict[str, int] | None) -> dict[str, Any]:
    """Every request sent must have an answer or a clear retriable error, and (when there is an
    audit log) each one the client saw answered must be in it with the same status."""
    lost = {x.request_id for x in samples if x.kind in LOST_KINDS}
    doc: dict[str, Any] = {"sent": len(samples), "client_lost": len(lost)}
    if audit is None:
        doc.update(audit="unavailable", lost=len(lost), lost_ids=sorted(lost)[:20])
        return doc
    answered = [x for x in samples if x.kind not in LOST_KINDS]
    missing = sorted(x.request_id for x in answered if x.request_id not in audit)
    mismatched = sorted(
        x.request_id for x in answered if audit.get(x.request_id, x.http_status) != x.http_status
    )
    late = sorted(rid for rid in lost if rid in audit)  # answered by the service, never by the client
    all_lost = lost | set(missing)
    doc.update(
        audit="read",
        audited=len(audit),
        missing_from_audit=missing[:20],
        status_mismatch=mismatched[:20],
        answered_after_client_gave_up=late[:20],
        lost=len(all_lost),
        lost_ids=sorted(all_lost)[:20],
    )
    return doc
