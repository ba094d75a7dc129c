"""Background load: the system's labelled scenarios at a bounded rate, one `Sample` per request.

An open-loop generator (it keeps its rate whatever the latency, as customers do), with a cap on
requests in flight so a stuck system cannot make it pile up tasks without bound. Every request
goes through the system contract (`HTTPSystem`, `[tool.harness.system.http]`) with a harness
request id, so the run can reconcile what it sent with the system's audit log.

Queries come from the declared scenarios (those the system is meant to answer). By default each
is made unique with a `#n` suffix: a run then measures the LLM path, not a response cache, and one
experiment's answers cannot serve the next. With `pool: N` the same N answerable queries repeat,
as frequent questions do, and a cache gets its chance.

With `load: {stream: true}` each turn goes to the declared streaming endpoint instead
(`HTTPSystem.ask_stream`, the same `StreamReader` the load tier's stream profile times with):
each sample then also holds its time to the first event and whether the stream completed.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path

from .._exceptions import ChaosError
from ..measure import Sample, request_id
from ..scenarios import load_scenarios
from ..sut import HTTPSystem, SystemDeclaration, Turn

__all__ = ["LoadGenerator", "Query", "queries_for"]


@dataclass(frozen=True)
class Query:
    id: str
    category: str
    text: str
    user_id: str
    tier: str
    route: str | None
    escalated: bool


def queries_for(
    declaration: SystemDeclaration, pool: int | None, seed: str, path: Path | None = None
) -> list[Query]:
    """The scenarios to send (`path`, else the declared ones), shuffled by `seed`."""
    path = path or declaration.scenarios_path
    if path is None:
        raise ChaosError(
            "chaos load needs labelled scenarios: set [tool.harness.system] scenarios = 'path.jsonl'"
        )
    rng = random.Random(seed)
    scenarios = [s for s in load_scenarios(path, declaration.vocabulary) if not s.expected.rejected]
    if pool is not None:
        answerable = [s for s in scenarios if not s.expected.escalated]
        scenarios = rng.sample(answerable, min(pool, len(answerable)))
    else:
        rng.shuffle(scenarios)
    if not scenarios:
        raise ChaosError(f"{path}: no scenario the system is meant to answer, so no load to send")
    return [
        Query(s.id, s.category, s.query, s.user_id, s.customer_tier, s.expected.route, s.expected.escalated)
        for s in scenarios
    ]


class LoadGenerator:
    def __init__(
        self,
        system: HTTPSystem,
        queries: list[Query],
        *,
        rate: float,
        run_id: str,
        unique: bool = True,
        max_in_flight: int = 64,
        timeout_s: float = 40.0,
        stream: bool = False,
    ) -> None:
        if stream and system.contract.spec.stream is None:
            raise ChaosError(
                "load: {stream: true}, but the system declares no streaming endpoint; add "
                "[tool.harness.system.http.stream] (harness/sut/_stream.py) or drop load.stream"
            )
        self.system, self.queries, self.rate, self.run_id = system, queries, rate, run_id
        self.stream = stream
        self.unique, self.max_in_flight, self.timeout_s = unique, max_in_flight, timeout_s
        self.samples: list[Sample] = []
        self.skipped = 0  # not sent because `max_in_flight` requests were still open
        self._tasks: set[asyncio.Task[None]] = set()

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
        rid = request_id(self.run_id, "chaos", seq)
        sample = Sample(id=rid, scenario=query.id, category=query.category, start=time.time())
        self.samples.append(sample)
        text = f"{query.text} #{seq}" if self.unique else query.text
        turn = Turn(query=text, user_id=query.user_id, customer_tier=query.tier, request_id=rid)
        started = time.perf_counter()
        if self.stream:
            outcome, reader = await self.system.ask_stream(turn)
            sample.record_stream(reader.timing, reader.completed)
        else:
            outcome = await self.system.ask(turn)
        sample.record(outcome, (time.perf_counter() - started) * 1000, (query.route, query.escalated))

    async def drain(self) -> None:
        """Wait for the requests still open; each ends by its own client timeout at the latest."""
        pending = list(self._tasks)
        if pending:
            await asyncio.wait(pending, timeout=self.timeout_s + 5)
        for task in pending:
            task.cancel()  # only reached if the client timeout itself failed: recorded as no outcome

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.system.aclose()
