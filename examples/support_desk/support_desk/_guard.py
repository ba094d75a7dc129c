"""Per-agent resilience: breaker, rate limiter, timeout and retries around one LLM call.

Order, outermost first: the request deadline and the agent's timeout bound everything (retries
included); the breaker refuses calls while open; the limiter queues a call for at most
`rate_limit.max_wait_s`; retries cover transient faults only. Each mechanism can be switched off
(`Settings.resilience`) to show, in tests and chaos runs, what it is worth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ._breaker import CircuitBreaker
from ._clock import Clock
from ._errors import DeadlineExceededError, LLMError, LLMTimeoutError
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from ._settings import Settings
from ._state import Route

__all__ = ["AgentGuard"]

T = TypeVar("T")
_NO_TIMEOUT_S = 600.0  # what the SDK gets when timeouts are switched off


def _counts_as_failure(exc: BaseException) -> bool:
    # Only a failing dependency trips the breaker; a bad answer from a healthy LLM does not.
    return isinstance(exc, (LLMError, DeadlineExceededError))


class AgentGuard:
    def __init__(self, agent: str, settings: Settings, clock: Clock) -> None:
        self.agent = agent
        self._switch = settings.resilience
        self._clock = clock
        self.timeout_s = (
            settings.timeouts.technical_s if agent == Route.TECHNICAL else settings.timeouts.fast_agent_s
        )
        self.breaker = CircuitBreaker(
            agent,
            failure_threshold=settings.breaker.failure_threshold,
            reset_timeout_s=settings.breaker.reset_timeout_s,
            clock=clock,
            counts_as_failure=_counts_as_failure,
        )
        self.limiter = RateLimiter(settings.rate_limit.requests_per_minute, name=agent)
        self._max_wait_s = settings.rate_limit.max_wait_s
        r = settings.retry
        self.retry = RetryPolicy(
            attempts=r.attempts if self._switch.retry else 1,
            initial_s=r.initial_s,
            max_s=r.max_s,
            jitter=r.jitter,
            clock=clock,
        )

    def budget(self, deadline_at: float) -> float:
        """Seconds this agent may spend: its own timeout, cut short by the request's deadline."""
        if not self._switch.timeouts:
            return _NO_TIMEOUT_S
        return min(self.timeout_s, deadline_at - self._clock.monotonic())

    async def call(self, fn: Callable[[float], Awaitable[T]], *, deadline_at: float) -> T:
        """Run `fn(timeout_s)` under every guard; raise what made it fail."""
        budget = self.budget(deadline_at)
        if budget <= 0:
            raise DeadlineExceededError(
                f"{self.agent}: the request deadline passed before it could start", agent=self.agent
            )

        async def guarded() -> T:
            if self._switch.rate_limit:
                await self.limiter.acquire(timeout=min(self._max_wait_s, budget))
            cut_by_deadline = budget < self.timeout_s
            return await self._within(budget, cut_by_deadline, lambda: self.retry.run(lambda: fn(budget)))

        if self._switch.breaker:
            return await self.breaker.call(guarded)
        return await guarded()

    async def _within(self, budget: float, cut_by_deadline: bool, run: Callable[[], Awaitable[T]]) -> T:
        if not self._switch.timeouts:
            return await run()
        try:
            async with asyncio.timeout(budget):
                return await run()
        except TimeoutError:
            if cut_by_deadline:
                raise DeadlineExceededError(
                    f"{self.agent}: the request deadline passed while it was working", agent=self.agent
                ) from None
            raise LLMTimeoutError(
                f"{self.agent}: no answer within its {budget:.1f} s budget "
                f"(timeouts.{'technical_s' if self.agent == Route.TECHNICAL else 'fast_agent_s'})",
                agent=self.agent,
            ) from None
