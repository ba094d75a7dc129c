"""The per-agent rate limiter: burst then reject, refill over (patched) loop time, acquire timeout.

aiolimiter reads time from `loop.time()`, so the refill tests freeze and move that clock by hand.
The few tests that must really wait use rates where the total real wait stays under ~0.1 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from harness._exceptions import ConfigError
from support_desk._errors import RateLimitExceededError
from support_desk._ratelimit import RateLimiter


class LoopTime:
    """A hand-moved replacement for the running loop's clock."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def loop_time() -> AsyncIterator[LoopTime]:
    # Only for tests that never await a timer: a frozen loop clock would stall one.
    loop = asyncio.get_running_loop()
    # A power of two: sums of the whole and half seconds the tests advance by stay exact. From the
    # real clock's large float, 119 s + 1 s of refill could fall 1e-9 short of a token (a flake).
    fake = LoopTime(float(2**20))
    loop.time = fake  # type: ignore[method-assign]
    try:
        yield fake
    finally:
        del loop.time  # back to the class's real clock


def grab(limiter: RateLimiter, n: int) -> list[bool]:
    return [limiter.try_acquire() for _ in range(n)]


async def test_burst_is_granted_then_rejected(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=60, burst=3, name="billing")
    assert grab(limiter, 5) == [True, True, True, False, False]
    assert (limiter.granted, limiter.rejected) == (3, 2)


async def test_refills_at_the_configured_rate(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=60, burst=3)  # one token per second
    grab(limiter, 3)
    loop_time.advance(0.9)
    assert not limiter.try_acquire()
    loop_time.advance(0.1)
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    loop_time.advance(2.0)
    assert grab(limiter, 3) == [True, True, False]


async def test_a_long_idle_spell_refills_only_up_to_the_burst(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=120, burst=4)
    grab(limiter, 4)
    loop_time.advance(3600)
    assert grab(limiter, 6) == [True] * 4 + [False] * 2


async def test_default_burst_is_a_minutes_allowance(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=100)
    assert limiter.burst == 100
    assert sum(grab(limiter, 120)) == 100
    loop_time.advance(6.0)  # 100/min = 10 per 6 s
    assert sum(grab(limiter, 20)) == 10


async def test_fractional_rate_still_allows_one_request(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=0.5)  # one request every two minutes
    assert limiter.burst == 1
    assert grab(limiter, 2) == [True, False]
    loop_time.advance(119)
    assert not limiter.try_acquire()
    loop_time.advance(1)
    assert limiter.try_acquire()


async def test_acquire_without_waiting_when_a_slot_is_free(loop_time: LoopTime) -> None:
    limiter = RateLimiter(requests_per_minute=60, burst=2)
    await limiter.acquire(timeout=0)
    await limiter.acquire(timeout=0)
    assert limiter.granted == 2


async def test_acquire_timeout_raises_a_clear_error() -> None:
    limiter = RateLimiter(requests_per_minute=60, burst=1, name="technical")
    assert limiter.try_acquire()
    started = time.monotonic()
    with pytest.raises(RateLimitExceededError) as info:
        await limiter.acquire(timeout=0.02)  # the next slot is a second away
    assert time.monotonic() - started < 0.5
    err = info.value
    assert err.agent == "technical"
    assert "'technical'" in str(err) and "0.02 s" in str(err) and "60/min" in str(err)
    assert (limiter.granted, limiter.rejected) == (1, 1)


async def test_acquire_zero_timeout_on_a_full_bucket_fails_fast() -> None:
    limiter = RateLimiter(requests_per_minute=1, burst=1)
    await limiter.acquire(timeout=0)
    with pytest.raises(RateLimitExceededError):
        await limiter.acquire(timeout=0)


async def test_acquire_waits_for_the_refill_within_its_timeout() -> None:
    limiter = RateLimiter(requests_per_minute=1200, burst=1)  # a slot every 50 ms
    assert limiter.try_acquire()
    started = time.monotonic()
    await limiter.acquire(timeout=2.0)
    assert 0.03 <= time.monotonic() - started < 1.0
    assert (limiter.granted, limiter.rejected) == (2, 0)


async def test_a_timed_out_waiter_does_not_hold_a_slot() -> None:
    limiter = RateLimiter(requests_per_minute=1200, burst=1)
    assert limiter.try_acquire()
    with pytest.raises(RateLimitExceededError):
        await limiter.acquire(timeout=0.005)
    await limiter.acquire(timeout=2.0)  # the abandoned wait must not consume the refill
    assert (limiter.granted, limiter.rejected) == (2, 1)


def test_a_limiter_survives_a_new_event_loop_without_warnings() -> None:
    # pytest runs with filterwarnings=error: aiolimiter's cross-loop warning would fail this.
    limiter = RateLimiter(requests_per_minute=60, burst=1)

    async def take() -> bool:
        return limiter.try_acquire()

    assert asyncio.run(take()) is True
    assert asyncio.run(take()) is True  # a new loop gets a fresh bucket
    assert limiter.granted == 2


def test_snapshot_reports_configuration_and_counters() -> None:
    limiter = RateLimiter(requests_per_minute=30, burst=5, name="sales")
    assert limiter.snapshot() == {
        "name": "sales",
        "requests_per_minute": 30.0,
        "burst": 5,
        "granted": 0,
        "rejected": 0,
    }


@pytest.mark.parametrize("kw", [{"requests_per_minute": 0}, {"requests_per_minute": -5}, {"burst": 0}])
def test_bad_settings_are_config_errors(kw: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RateLimiter(**kw)  # type: ignore[arg-type]
