"""The circuit breaker: each transition, its refusal message, `call()`, and a stateful model test."""

from __future__ import annotations

from collections.abc import Coroutine
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from harness._exceptions import ConfigError
from support_desk._breaker import BreakerState, CircuitBreaker
from support_desk._clock import FakeClock
from support_desk._errors import CircuitOpenError, OutputValidationError

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def make(threshold: int = 3, reset: float = 30.0, **kw: Any) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker("billing", threshold, reset, clock, **kw), clock


def tripped(threshold: int = 3, reset: float = 30.0) -> tuple[CircuitBreaker, FakeClock]:
    breaker, clock = make(threshold, reset)
    for _ in range(threshold):
        breaker.record_failure()
    return breaker, clock


async def ok() -> str:
    return "ok"


async def boom() -> str:
    raise RuntimeError("down")


# --- closed ------------------------------------------------------------------------------


def test_starts_closed_and_allows_calls() -> None:
    breaker, _ = make()
    assert breaker.state is CLOSED
    breaker.before_call()  # does not raise
    assert breaker.allows_call


def test_opens_at_exactly_the_threshold() -> None:
    breaker, _ = make(threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CLOSED
    breaker.record_failure()
    assert breaker.state is OPEN


def test_success_resets_the_consecutive_count() -> None:
    breaker, _ = make(threshold=3)
    for _ in range(10):
        breaker.record_failure()
        breaker.record_failure()
        breaker.record_success()
    assert breaker.state is CLOSED
    assert breaker.consecutive_failures == 0


# --- open ----------------------------------------------------------------------------------


def test_open_refuses_with_a_message_naming_breaker_and_wait() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(12)
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    err = info.value
    assert err.agent == "billing"
    assert err.retry_in == pytest.approx(18.0)
    assert "'billing'" in str(err) and "open" in str(err) and "18.0 s" in str(err)
    assert "3 consecutive failures" in str(err)


def test_open_goes_half_open_only_once_the_timeout_has_passed() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(29.999)
    assert breaker.state is OPEN
    clock.advance(0.001)
    assert breaker.state is HALF_OPEN
    assert breaker.transitions[-1] == ("open", "half_open", clock.now)


def test_late_outcomes_while_open_change_nothing() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(10)
    breaker.record_failure()  # must not push the reset further out
    breaker.record_success()  # must not close it
    assert breaker.state is OPEN
    clock.advance(20)
    assert breaker.state is HALF_OPEN


# --- half-open -----------------------------------------------------------------------------


def test_half_open_lets_exactly_one_trial_through() -> None:
    breaker, clock = tripped()
    clock.advance(30)
    breaker.before_call()
    assert not breaker.allows_call
    with pytest.raises(CircuitOpenError, match=r"half-open.*trial") as info:
        breaker.before_call()
    assert info.value.retry_in == 0.0


def test_trial_success_closes() -> None:
    breaker, clock = tripped()
    clock.advance(30)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is CLOSED
    assert breaker.consecutive_failures == 0
    assert [(a, b) for a, b, _ in breaker.transitions] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_trial_failure_reopens_with_a_fresh_timeout() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(45)
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is OPEN
    assert breaker.retry_in() == pytest.approx(30.0)
    clock.advance(29)
    assert breaker.state is OPEN


def test_a_trial_that_never_reports_does_not_wedge_the_breaker() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(30)
    breaker.before_call()  # the trial's caller dies and never reports
    clock.advance(30)
    breaker.before_call()  # a new trial is let through


# --- call(), hooks, snapshot, config -------------------------------------------------------


async def test_call_records_success_and_failure() -> None:
    breaker, _ = make(threshold=2)
    assert await breaker.call(ok) == "ok"
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await breaker.call(boom)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)


async def test_exceptions_the_predicate_rejects_are_neutral() -> None:
    breaker, clock = make(
        threshold=1, counts_as_failure=lambda exc: not isinstance(exc, OutputValidationError)
    )

    async def bad_answer() -> str:
        raise OutputValidationError("schema")

    for _ in range(5):
        with pytest.raises(OutputValidationError):
            await breaker.call(bad_answer)
    assert breaker.state is CLOSED
    breaker.record_failure()
    clock.advance(60)
    with pytest.raises(OutputValidationError):
        await breaker.call(bad_answer)  # the trial slot is freed, not consumed
    assert breaker.state is HALF_OPEN and breaker.allows_call


def test_on_transition_hook_sees_every_change() -> None:
    seen: list[tuple[str, BreakerState, BreakerState]] = []
    breaker, clock = make(threshold=1, on_transition=lambda *args: seen.append(args))
    breaker.record_failure()
    clock.advance(30)
    breaker.before_call()
    breaker.record_success()
    assert seen == [
        ("billing", CLOSED, OPEN),
        ("billing", OPEN, HALF_OPEN),
        ("billing", HALF_OPEN, CLOSED),
    ]


def test_snapshot_for_health_endpoint() -> None:
    breaker, clock = tripped(reset=30)
    clock.advance(10)
    snap = breaker.snapshot()
    assert snap["name"] == "billing" and snap["state"] == "open"
    assert snap["retry_in_s"] == 20.0 and snap["allows_call"] is False
    assert snap["consecutive_failures"] == 3 and snap["transitions"] == 1


@pytest.mark.parametrize("kw", [{"failure_threshold": 0}, {"reset_timeout_s": -1.0}])
def test_bad_settings_are_config_errors(kw: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        CircuitBreaker("x", **kw)  # type: ignore[arg-type]


# --- stateful: the breaker against a small model of the spec ---------------------------------

THRESHOLD, RESET = 3, 10.0


def run_now(coro: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine that never suspends to its end, without an event loop (fast steps)."""
    try:
        coro.send(None)
    except StopIteration:
        return
    raise AssertionError("coroutine suspended")


class BreakerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.breaker = CircuitBreaker("m", THRESHOLD, RESET, self.clock)
        self.state, self.failures, self.opened_at = "closed", 0, 0.0
        self.trial_at: float | None = None

    def sync(self) -> None:
        if self.state == "open" and self.clock.now - self.opened_at >= RESET:
            self.state = "half_open"

    def allowed(self) -> bool:
        self.sync()
        trial_busy = self.trial_at is not None and self.clock.now - self.trial_at < RESET
        return self.state == "closed" or (self.state == "half_open" and not trial_busy)

    def model_failure(self) -> None:
        self.sync()
        if self.state == "closed":
            self.failures += 1
        if self.state == "half_open" or (self.state == "closed" and self.failures >= THRESHOLD):
            self.state, self.opened_at, self.trial_at = "open", self.clock.now, None

    def model_success(self) -> None:
        self.sync()
        if self.state != "open":
            self.state, self.failures, self.trial_at = "closed", 0, None

    @rule(seconds=st.integers(0, 25))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def success(self) -> None:
        self.breaker.record_success()
        self.model_success()

    @rule()
    def failure(self) -> None:
        self.breaker.record_failure()
        self.model_failure()

    @rule()
    def attempt(self) -> None:
        if self.allowed():
            self.breaker.before_call()
            if self.state == "half_open":
                self.trial_at = self.clock.now
        else:
            with pytest.raises(CircuitOpenError):
                self.breaker.before_call()

    @precondition(lambda self: self.allowed())
    @rule(succeeds=st.booleans())
    def call(self, succeeds: bool) -> None:
        if succeeds:
            run_now(self.breaker.call(ok))
            self.model_success()
        else:
            with pytest.raises(RuntimeError):
                run_now(self.breaker.call(boom))
            self.model_failure()

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.breaker.allows_call == self.allowed()
        assert self.breaker.state.value == self.state
        assert self.breaker.consecutive_failures == self.failures
        chain = self.breaker.transitions  # each change starts where the last ended, in time order
        assert all(a[1] == b[0] and a[2] <= b[2] for a, b in pairwise(chain))


BreakerMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestBreakerModel = BreakerMachine.TestCase
