"""Retries with exponential backoff for transient LLM faults, on tenacity.

Only `TransientLLMError` (timeouts, connection errors, 429, 5xx, malformed bodies) is retried:
anything else is either the caller's fault or a guard's deliberate refusal, and repeating it
would only burn the request's budget.

Backoff after attempt n (1-based) is `min(max_s, initial_s * 2 ** (n - 1))`. With `jitter` it is
*equal jitter*: a uniform draw from [backoff / 2, backoff]. Equal rather than full jitter keeps a
floor under every wait, so a struggling server gets real breathing room, while the random half
still spreads out clients that failed together.

A server's `Retry-After` (the exception's `.retry_after`) is honoured: the wait is
`max(retry_after, backoff)`. If it asks for more than `max_s`, we give up at once and re-raise:
waiting longer than our own budget is pointless.

Sleeping goes through the injected `Clock`, so tests run instantly with `FakeClock`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from harness import ConfigError

from ._clock import Clock, SystemClock
from ._errors import TransientLLMError

__all__ = ["OnRetry", "RetryPolicy", "is_transient"]

T = TypeVar("T")

#: Called as on_retry(failed_attempt_number, exception, seconds_about_to_wait) before each wait.
OnRetry = Callable[[int, BaseException, float], None]

_MAX_EXPONENT = 60  # 2**60 dwarfs any max_s; capping it keeps the float arithmetic finite


def is_transient(exc: BaseException) -> bool:
    """Whether a retry may cure `exc`."""
    return isinstance(exc, TransientLLMError)


def _retry_after(exc: BaseException | None) -> float | None:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return None


class RetryPolicy:
    """How often and how patiently to retry one agent's LLM call."""

    def __init__(
        self,
        attempts: int = 3,
        initial_s: float = 0.5,
        max_s: float = 10.0,
        jitter: bool = True,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if attempts < 1:
            raise ConfigError(f"retry.attempts must be >= 1 (1 means no retry), got {attempts}")
        if initial_s < 0:
            raise ConfigError(f"retry.initial_s must be >= 0, got {initial_s}")
        if max_s < initial_s:
            raise ConfigError(f"retry.max_s ({max_s}) must be >= retry.initial_s ({initial_s})")
        self.attempts = attempts
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self._clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """The un-jittered wait after failed attempt number `attempt` (1-based)."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return min(self.max_s, self.initial_s * 2.0**exponent)

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt `attempt` raised `exc` (draws from the rng)."""
        wait = self.backoff(attempt)
        if self.jitter:
            wait = self._rng.uniform(wait / 2, wait)
        server_wait = _retry_after(exc)
        return wait if server_wait is None else max(server_wait, wait)

    def gives_up_on(self, exc: BaseException | None) -> bool:
        """Whether the server asked us to wait longer than `max_s` (so retrying is pointless)."""
        server_wait = _retry_after(exc)
        return server_wait is not None and server_wait > self.max_s

    async def run(self, fn: Callable[[], Awaitable[T]], on_retry: OnRetry | None = None) -> T:
        """Await `fn()` until it succeeds, fails for good or attempts run out.

        The last exception is re-raised as itself (never tenacity's RetryError), with a note
        saying why retrying stopped when more than one attempt was made or Retry-After was
        too long.
        """
        made = 0

        async def attempt() -> T:
            nonlocal made
            made += 1
            return await fn()

        try:
            result: T = await self._retrying(on_retry)(attempt)
        except Exception as exc:  # (a cancellation passes through untouched)
            self._annotate(exc, made)
            raise
        return result

    # --- tenacity wiring -------------------------------------------------------------------

    def _retrying(self, on_retry: OnRetry | None) -> AsyncRetrying:
        # A fresh AsyncRetrying per run: tenacity keeps per-run state on the object, and one
        # policy serves concurrent calls.
        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None:
                on_retry(state.attempt_number, _exception(state), state.upcoming_sleep)

        return AsyncRetrying(
            sleep=self._clock.sleep,
            stop=self._should_stop,
            wait=lambda state: self.wait_for(state.attempt_number, _exception(state)),
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _should_stop(self, state: RetryCallState) -> bool:
        return state.attempt_number >= self.attempts or self.gives_up_on(_exception(state))

    def _annotate(self, exc: BaseException, made: int) -> None:
        if self.gives_up_on(exc) and is_transient(exc):
            exc.add_note(
                f"retry gave up after {made} attempt(s): the server asked to wait "
                f"{_retry_after(exc):g} s, more than retry.max_s={self.max_s:g} s"
            )
        elif made > 1:
            exc.add_note(f"retry gave up after {made} attempts (retry.attempts={self.attempts})")


def _exception(state: RetryCallState) -> BaseException:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    if exc is None:  # tenacity only consults us after a failed attempt
        raise RuntimeError("retry state without an exception")
    return exc
