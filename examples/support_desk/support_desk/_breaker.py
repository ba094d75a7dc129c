"""Circuit breaker: stop calling an agent's LLM while it keeps failing, then probe it again.

    closed ──(failure_threshold consecutive failures)──▶ open
    open ──(reset_timeout_s passed, checked lazily)──▶ half_open
    half_open ──(the one trial call succeeds)──▶ closed
    half_open ──(the trial call fails)──▶ open, with a fresh reset timeout

Time comes from an injected `Clock`, so tests move it by hand instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from harness import ConfigError

from ._clock import Clock, SystemClock
from ._errors import CircuitOpenError

__all__ = ["BreakerState", "CircuitBreaker", "TransitionHook"]

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


#: Called as hook(breaker_name, old_state, new_state) after every state change.
TransitionHook = Callable[[str, BreakerState, BreakerState], None]


def _every_exception(exc: BaseException) -> bool:
    return isinstance(exc, Exception)


class CircuitBreaker:
    """A consecutive-failure breaker for one dependency (one agent's LLM).

    `counts_as_failure(exc)` decides which exceptions raised inside `call()` trip it (default:
    every `Exception`). An exception it rejects is neutral: it neither resets nor adds to the
    failure count, it only frees the half-open trial slot. A half-open trial that never reports
    (its caller died) does not wedge the breaker: after another `reset_timeout_s` a new trial
    is let through.
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_timeout_s: float = 60.0,
        clock: Clock | None = None,
        *,
        counts_as_failure: Callable[[BaseException], bool] | None = None,
        on_transition: TransitionHook | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ConfigError(f"breaker.failure_threshold must be >= 1, got {failure_threshold}")
        if reset_timeout_s < 0:
            raise ConfigError(f"breaker.reset_timeout_s must be >= 0, got {reset_timeout_s}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock: Clock = clock or SystemClock()
        self._counts_as_failure = counts_as_failure or _every_exception
        self._on_transition = on_transition
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started_at: float | None = None  # None: no half-open trial in flight
        self.transitions: list[tuple[str, str, float]] = []

    # --- reading -------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose timeout has passed turns half-open here."""
        if self._state is BreakerState.OPEN and self.retry_in() <= 0:
            self._transition(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    @property
    def allows_call(self) -> bool:
        """Whether `before_call()` would let a call through now (without taking the slot)."""
        state = self.state
        return state is BreakerState.CLOSED or (state is BreakerState.HALF_OPEN and not self._trial_busy())

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_timeout_s - self._clock.monotonic())

    def snapshot(self) -> dict[str, str | int | float | bool]:
        """A JSON-ready view for health endpoints."""
        state = self.state
        return {
            "name": self.name,
            "state": state.value,
            "consecutive_failures": self._failures,
            "failure_threshold": self.failure_threshold,
            "reset_timeout_s": self.reset_timeout_s,
            "retry_in_s": round(self.retry_in(), 3),
            "allows_call": self.allows_call,
            "transitions": len(self.transitions),
        }

    # --- the protocol: before_call, then record_success or record_failure ---------------

    def before_call(self) -> None:
        """Let a call through or raise CircuitOpenError; in half-open, take the trial slot."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._trial_busy():
            self._trial_started_at = self._clock.monotonic()
            return
        raise self._refusal(state)

    def record_success(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            return  # a late success from a call started before the trip proves nothing
        self._trial_started_at = None
        self._failures = 0
        if state is BreakerState.HALF_OPEN:
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            return  # already open: a late failure must not push the reset time further out
        if state is BreakerState.HALF_OPEN:
            self._trip()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._trip()

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` under the breaker and record its outcome."""
        self.before_call()
        try:
            result = await fn()
        except BaseException as exc:
            if self._counts_as_failure(exc):
                self.record_failure()
            else:
                self._trial_started_at = None  # neutral (or cancelled): free the trial slot
            raise
        self.record_success()
        return result

    # --- internals -----------------------------------------------------------------------

    def _trial_busy(self) -> bool:
        if self._trial_started_at is None:
            return False
        # A trial that has not reported for a whole reset timeout is presumed lost.
        return self._clock.monotonic() - self._trial_started_at < self.reset_timeout_s

    def _trip(self) -> None:
        self._opened_at = self._clock.monotonic()
        self._trial_started_at = None
        self._transition(BreakerState.OPEN)

    def _refusal(self, state: BreakerState) -> CircuitOpenError:
        if state is BreakerState.OPEN:
            wait = self.retry_in()
            message = (
                f"circuit breaker {self.name!r} is open after {self._failures} consecutive "
                f"failures; it lets a trial call through in {wait:.1f} s"
            )
        else:
            wait = 0.0
            message = (
                f"circuit breaker {self.name!r} is half-open and its one trial call is still "
                "running; try again once it has finished"
            )
        return CircuitOpenError(message, agent=self.name, retry_in=wait)

    def _transition(self, new: BreakerState) -> None:
        old = self._state
        if old is new:
            return
        self._state = new
        if new is BreakerState.CLOSED:
            self._failures = 0
        self.transitions.append((old.value, new.value, self._clock.monotonic()))
        if self._on_transition is not None:
            # Called last, so a failing hook cannot leave the breaker half-updated.
            self._on_transition(self.name, old, new)
