"""The mock LLM's stream pacing: chunks due on a schedule (a late sleep is taken back from the next
gap, not added to every one), and `per_token_each` drawing a fresh per-token time for each chunk."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from types import SimpleNamespace
from typing import Any

import pytest

from harness.llm.server import _app
from harness.llm.server._latency import Delay, LatencyProfile, PerChunkDelay, draw_delay
from harness.llm.server._sse import Event

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


class _LateClock:
    """A loop clock whose every sleep ends 1 ms late, as a busy machine's do."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + 0.001


def _sent_at(monkeypatch: pytest.MonkeyPatch, delay: Delay, events: list[Event]) -> list[float]:
    clock = _LateClock()
    fake = SimpleNamespace(get_running_loop=lambda: clock, sleep=clock.sleep)
    monkeypatch.setattr(_app, "asyncio", fake)

    async def run() -> list[float]:
        return [clock.now async for _ in _app._paced(events, delay)]

    return asyncio.run(run())


def test_late_sleeps_do_not_add_up_over_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    events = [Event(b"role")] + [Event(b"x", tokens=1, content=True) for _ in range(10)] + [Event(b"done")]
    sent = _sent_at(monkeypatch, Delay(0.3, 0.04), events)
    gaps = [b - a for a, b in itertools.pairwise(sent[1:-1])]  # chunk to chunk
    assert sent[0] == pytest.approx(0.301)  # the first event: the TTFT and one late sleep
    assert gaps == pytest.approx([0.04] * 9)  # each chunk on schedule: 1 ms late, never 2, 3, ...
    assert sent[-1] == pytest.approx(0.3 + 10 * 0.04 + 0.001)  # relative sleeps: 11 ms late here


def test_per_token_each_draws_one_time_a_chunk_from_its_own_generator() -> None:
    profile = LatencyProfile(ttft_median_ms=300, ttft_sigma=0.25, per_token_ms=40, per_token_sigma=0.25,
                             per_token_each=True)  # fmt: skip
    delay = draw_delay(profile, random.Random(1), random.Random("chunks"))
    assert isinstance(delay, PerChunkDelay) and delay.per_token_s == 0.04  # the median, when asked
    twin = random.Random("chunks")
    expected: list[Any] = [3 * twin.lognormvariate(math.log(40), 0.25) / 1000 for _ in range(3)]
    assert [delay.chunk_s(3) for _ in range(3)] == pytest.approx(expected)
    assert len(set(expected)) == 3  # a fresh draw each time, not one per reply
    fixed = draw_delay(profile.model_copy(update={"per_token_each": False}), random.Random(1))
    assert fixed.chunk_s(3) == fixed.chunk_s(3) == pytest.approx(3 * fixed.per_token_s)
