"""A per-agent request rate limiter: a token bucket, on aiolimiter.

aiolimiter's `AsyncLimiter(max_rate, time_period)` is a leaky bucket that holds `max_rate`
requests and drains at `max_rate / time_period` per second; that is exactly a token bucket of
capacity `max_rate` refilling at the same rate. So `burst` becomes `max_rate` and the period is
chosen to make the drain rate `requests_per_minute / 60`.

aiolimiter reads time from the running event loop (`loop.time()`), so every method must be
called from inside a coroutine. An AsyncLimiter must not outlive its loop (it warns), so a new
one, with a full bucket, is made whenever the running loop changes (each `asyncio.run`, each
test's loop).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine
from typing import Any

from aiolimiter import AsyncLimiter

from harness import ConfigError

from ._errors import RateLimitExceededError

__all__ = ["RateLimiter"]


def _run_to_completion_now(step: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that is known not to suspend, synchronously."""
    try:
        waiting_on = step.send(None)
    except StopIteration:
        return
    # It suspended after all, which the caller ruled out: undo rather than leave it dangling.
    step.close()
    if isinstance(waiting_on, asyncio.Future):
        waiting_on.cancel()  # so the limiter drops it from its queue of waiters
    raise RuntimeError("rate limiter: a non-blocking acquire tried to wait")


class RateLimiter:
    """Admits at most `requests_per_minute` on average, and `burst` back to back.

    `burst` defaults to `floor(requests_per_minute)` (at least 1), aiolimiter's own default:
    an idle agent may spend a whole minute's allowance at once.
    """

    def __init__(self, requests_per_minute: float = 100, burst: int | None = None, name: str = "") -> None:
        if not requests_per_minute > 0:
            raise ConfigError(f"rate_limit.requests_per_minute must be > 0, got {requests_per_minute}")
        capacity = burst if burst is not None else max(1, math.floor(requests_per_minute))
        if capacity < 1:
            raise ConfigError(f"rate_limit burst must be >= 1, got {burst}")
        self.name = name
        self.requests_per_minute = float(requests_per_minute)
        self.burst = capacity
        self.granted = 0
        self.rejected = 0
        self._bucket: AsyncLimiter | None = None
        self._bucket_loop: asyncio.AbstractEventLoop | None = None

    def try_acquire(self) -> bool:
        """Take a slot if one is free right now; never waits."""
        limiter = self._limiter()
        if not limiter.has_capacity():
            self.rejected += 1
            return False
        # has_capacity() has just drained the bucket and acquire() only suspends while the
        # bucket is full, so this acquire completes without yielding to the loop.
        _run_to_completion_now(limiter.acquire())
        self.granted += 1
        return True

    async def acquire(self, timeout: float) -> None:
        """Wait at most `timeout` seconds for a slot, else raise RateLimitExceededError."""
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await self._limiter().acquire()
        except TimeoutError:
            self.rejected += 1
            raise RateLimitExceededError(self._message(timeout), agent=self.name) from None
        self.granted += 1

    def snapshot(self) -> dict[str, str | float | int]:
        """Counters and configuration for health endpoints and reports."""
        return {
            "name": self.name,
            "requests_per_minute": self.requests_per_minute,
            "burst": self.burst,
            "granted": self.granted,
            "rejected": self.rejected,
        }

    def _limiter(self) -> AsyncLimiter:
        loop = asyncio.get_running_loop()
        if self._bucket is None or self._bucket_loop is not loop:
            # Period in which `burst` requests drain at requests_per_minute / 60 per second.
            period = self.burst * 60.0 / self.requests_per_minute
            self._bucket, self._bucket_loop = AsyncLimiter(self.burst, period), loop
        return self._bucket

    def _message(self, timeout: float) -> str:
        who = f"agent {self.name!r}" if self.name else "this limiter"
        return (
            f"rate limit for {who} exceeded: no request slot became free within {timeout:g} s "
            f"(limit {self.requests_per_minute:g}/min, burst {self.burst}); slow down or raise "
            "rate_limit.requests_per_minute / rate_limit.max_wait_s"
        )
