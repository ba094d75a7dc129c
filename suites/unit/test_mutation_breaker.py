"""Tests that kill mutants `harness mutate` found surviving in support_desk/_breaker.py
(docs/mutation-survivors.md): the breaker's own defaults, and its reset-timeout refusal."""

from __future__ import annotations

import pytest

from harness._exceptions import ConfigError
from support_desk._breaker import BreakerState, CircuitBreaker
from support_desk._clock import FakeClock
from support_desk._settings import BreakerSettings


def test_a_breaker_built_without_settings_has_the_settings_defaults() -> None:
    # The service always passes its settings; anyone else gets these, and they must agree.
    clock = FakeClock()
    breaker = CircuitBreaker("billing", clock=clock)
    defaults = BreakerSettings()
    for _ in range(defaults.failure_threshold - 1):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.reset_timeout_s == defaults.reset_timeout_s == 60.0
    assert defaults.failure_threshold == 5


def test_a_negative_reset_timeout_is_refused_with_its_name_and_value() -> None:
    with pytest.raises(ConfigError, match=r"^breaker\.reset_timeout_s must be >= 0, got -1\.5$"):
        CircuitBreaker("billing", 3, -1.5, FakeClock())


@pytest.mark.parametrize("reset", [0.0, 0.5])
def test_a_reset_timeout_of_zero_or_under_a_second_is_allowed(reset: float) -> None:
    # >= 0 is the documented bound: 0 means "half-open at once", a chaos-tuned stack uses 1 s.
    clock = FakeClock()
    breaker = CircuitBreaker("billing", 1, reset, clock)
    breaker.record_failure()
    clock.advance(reset)
    assert breaker.state is BreakerState.HALF_OPEN


def test_the_health_snapshot_names_each_setting() -> None:
    snapshot = CircuitBreaker("billing", 3, 30.0, FakeClock()).snapshot()
    assert set(snapshot) == {
        "name", "state", "consecutive_failures", "failure_threshold", "reset_timeout_s",
        "retry_in_s", "allows_call", "transitions",
    }  # fmt: skip
    assert (snapshot["failure_threshold"], snapshot["reset_timeout_s"]) == (3, 30.0)


def test_the_snapshot_rounds_retry_in_to_milliseconds_not_to_whole_seconds() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("billing", 1, 30.0, clock)
    breaker.record_failure()
    clock.advance(0.25)
    assert breaker.snapshot()["retry_in_s"] == 29.75
