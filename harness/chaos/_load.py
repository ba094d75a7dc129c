"""Background load: labelled queries at a bounded rate, one `Sample` per request.

An open-loop generator (it keeps its rate whatever the latency, as customers do), with a cap on
requests in flight so a stuck system cannot make it pile up tasks without bound. Each request
carries `X-Request-Id`, so the run can reconcile what it sent with the service's audit log.

Queries come from the 230 labelled scenarios (those the service accepts). By default each is
made unique with a `#n` suffix: a run then measures the LLM path, not the response cache, and
one experiment's answers cannot serve the next. With `pool: N` the same N answerable queries
repeat, as frequent questions do, and the cache gets its chance.
"""

from __future__ import annotations

import asyncio
import random
import string
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ..scenarios import load_scenarios

__all__ = ["LoadGenerator", "Query", "Sample", "new_run_id", "queries_for"]

Kind = Literal["answer", "retriable", "rejected", "error", "lost"]


@dataclass(frozen=True)
class Query:
    text: str
    user_id: str
    tier: str
    route: str | None
    escalated: bool


@dataclass
class Sample:
    """One request: when it was sent (seconds since the run started) and what came back.
    `kind`: answer (200: an answer, a fallback or an escalation), retriable (429/503 saying
    so), rejected (422), error (any other status, or a body that is not ours), lost (none)."""

    seq: int
    request_id: str
    sent_at: float
    kind: Kind = "lost"
    latency_ms: float | None = None
    http_status: int | None = None
    degraded: bool = False
    fallback: str | None = None
    escalated: bool = False
    route: str | None = None
    tokens: int = 0
    misrouted: bool = False
    error: str | None = None


def new_run_id() -> str:
    # Letters only: digits in a request id could read as PII to the audit log's redactor.
    return "".join(random.choices(string.ascii_lowercase, k=8))


def queries_for(pool: int | None, seed: str) -> list[Query]:
    rng = random.Random(seed)
    scenarios = [s for s in load_scenarios() if not s.expected.rejected]
    if pool is not None:
        answerable = [s for s in scenarios if s.customer_tier == "standard" and not s.expected.escalated]
        scenarios = rng.sample(answerable, min(pool, len(answerable)))
    else:
        rng.shuffle(scenarios)
    return [
        Query(s.query, s.user_id, s.customer_tier, s.expected.route, s.expected.escalated) for s in scenarios
    ]


class LoadGenerator:
    def __init__(
        self,
        service_url: str,
        queries: list[Query],
        *,
        rate: float,
        run_id: str,
        t0: float,
        unique: bool = True,
        max_in_flight: int = 64,
        timeout_s: float = 40.0,
    ) -> None:
        self.url = f"{service_url}/v1/chat"
        self.queries, self.rate, self.run_id, self.t0 = queries, rate, run_id, t0
        self.unique, self.max_in_flight, self.timeout_s = unique, max_in_flight, timeout_s
        self.samples: list[Sample] = []
        self.skipped = 0  # not sent because `max_in_flight` requests were still open
        self._tasks: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_connections=max_in_flight), trust_env=False
        )

    def request_id(self, seq: int) -> str:
        return f"chaos-{self.run_id}-{seq:06d}"

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        """Send at `rate` until `stop` is set or `max_s` passed (a bound even if nobody stops us)."""
        start = time.monotonic()
        max_requests = int(max_s * self.rate) + 1
        for seq in range(max_requests):
            due = start + seq / self.rate
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
                return  # stopped
            except TimeoutError:
                pass
            if len(self._tasks) >= self.max_in_flight:
                self.skipped += 1
                continue
            task = asyncio.create_task(self._send(seq))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, seq: int) -> None:
        query = self.queries[seq % len(self.queries)]
        text = f"{query.text} #{seq}" if self.unique else query.text
        sample = Sample(seq, self.request_id(seq), time.monotonic() - self.t0)
        self.samples.append(sample)
        body = {"query": text, "user_id": query.user_id, "customer_tier": query.tier}
        started = time.perf_counter()
        try:
            resp = await self._client.post(self.url, json=body, headers={"X-Request-Id": sample.request_id})
        except httpx.HTTPError as exc:
            sample.error = f"{type(exc).__name__}: {exc}"[:200]
            return
        sample.latency_ms = (time.perf_counter() - started) * 1000
        sample.http_status = resp.status_code
        _classify(sample, resp, query)

    async def drain(self) -> None:
        """Wait for the requests still open; each ends by its own client timeout at the latest."""
        pending = list(self._tasks)
        if pending:
            await asyncio.wait(pending, timeout=self.timeout_s + 5)
        for task in pending:
            task.cancel()  # only reached if the client timeout itself failed: record it as lost

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()


def _json(resp: httpx.Response) -> dict[str, Any] | None:
    try:
        doc = resp.json()
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _classify(sample: Sample, resp: httpx.Response, query: Query) -> None:
    doc = _json(resp)
    status = resp.status_code
    if status == 200 and doc is not None and "route" in doc:
        sample.kind = "answer"
        sample.degraded, sample.fallback = bool(doc.get("degraded")), doc.get("fallback")
        sample.escalated, sample.route = bool(doc.get("escalated")), doc.get("route")
        tokens = doc.get("tokens") or {}
        sample.tokens = int(tokens.get("in", 0)) + int(tokens.get("out", 0))
        sample.misrouted = sample.route != query.route or sample.escalated != query.escalated
    elif status in (429, 503) and doc is not None and doc.get("retriable") is True:
        sample.kind = "retriable"
        sample.error = str(doc.get("error", ""))[:200]
    elif status in (400, 422):
        sample.kind = "rejected"
        sample.error = resp.text[:200]
    else:
        sample.kind = "error"  # an unclear failure: the customer cannot know whether to retry
        sample.error = f"HTTP {status}: {resp.text[:200]}"
