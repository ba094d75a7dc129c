"""The retry policy: what is retried, exact backoff, jitter bounds, Retry-After, on FakeClock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness._exceptions import ConfigError, InputValidationError, ScriptError
from support_desk._clock import FakeClock
from support_desk._errors import (
    CircuitOpenError,
    DeadlineExceededError,
    LLMConnectionError,
    LLMError,
    LLMMalformedResponseError,
    LLMRateLimitedError,
    LLMServerError,
    LLMTimeoutError,
    OutputValidationError,
    PermanentLLMError,
    RateLimitExceededError,
    TransientLLMError,
)
from support_desk._retry import RetryPolicy, is_transient

TRANSIENT: list[BaseException] = [
    LLMTimeoutError("timed out"),
    LLMConnectionError("refused"),
    LLMRateLimitedError("429", status_code=429),
    LLMServerError("503", status_code=503),
    LLMMalformedResponseError("not json"),
    TransientLLMError("generic transient"),
]
NOT_TRANSIENT: list[BaseException] = [
    PermanentLLMError("400", status_code=400),
    LLMError("unclassified"),
    OutputValidationError("bad schema"),
    CircuitOpenError("open", agent="billing", retry_in=3.0),
    RateLimitExceededError("limited", agent="billing"),
    DeadlineExceededError("deadline"),
    ConfigError("bad setting"),
    InputValidationError("empty"),
    ScriptError("bad script"),
    ValueError("plain"),
    KeyError("plain"),
]


def policy(**kw: object) -> tuple[RetryPolicy, FakeClock]:
    clock = FakeClock()
    kw.setdefault("jitter", False)
    return RetryPolicy(clock=clock, **kw), clock  # type: ignore[arg-type]


def script(*outcomes: BaseException | str) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """An async fn that raises or returns the given outcomes in turn, counting its calls."""
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return fn, calls


def ids(excs: list[BaseException]) -> list[str]:
    return [type(e).__name__ for e in excs]


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize("exc", TRANSIENT, ids=ids(TRANSIENT))
def test_transient_errors_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", NOT_TRANSIENT, ids=ids(NOT_TRANSIENT))
def test_other_errors_are_not_transient(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_cancellation_is_not_transient() -> None:
    assert not is_transient(asyncio.CancelledError())


@pytest.mark.parametrize("exc", TRANSIENT, ids=ids(TRANSIENT))
async def test_transient_errors_are_retried_until_success(exc: BaseException) -> None:
    retry, clock = policy(attempts=3)
    fn, calls = script(exc, exc, "ok")
    assert await retry.run(fn) == "ok"
    assert len(calls) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("exc", NOT_TRANSIENT, ids=ids(NOT_TRANSIENT))
async def test_other_errors_are_raised_at_once(exc: BaseException) -> None:
    retry, clock = policy(attempts=5)
    fn, calls = script(exc, "ok")
    with pytest.raises(type(exc)) as info:
        await retry.run(fn)
    assert info.value is exc
    assert len(calls) == 1 and clock.sleeps == []


async def test_a_permanent_error_after_a_transient_one_stops_retrying() -> None:
    retry, clock = policy(attempts=5)
    permanent = PermanentLLMError("401", status_code=401)
    fn, calls = script(LLMTimeoutError("t"), permanent, "ok")
    with pytest.raises(PermanentLLMError) as info:
        await retry.run(fn)
    assert info.value is permanent and len(calls) == 2 and clock.sleeps == [0.5]


# --- exhaustion ------------------------------------------------------------------------------


async def test_exhaustion_reraises_the_last_exception_itself() -> None:
    retry, clock = policy(attempts=3)
    errors = [LLMServerError(f"503 #{i}", status_code=503) for i in range(3)]
    fn, calls = script(*errors)
    with pytest.raises(LLMServerError) as info:
        await retry.run(fn)
    assert info.value is errors[-1]  # not tenacity's RetryError
    assert len(calls) == 3 and len(clock.sleeps) == 2
    assert any("3 attempts" in note for note in info.value.__notes__)


async def test_attempts_1_means_no_retry() -> None:
    retry, clock = policy(attempts=1)
    fn, calls = script(LLMTimeoutError("t"))
    with pytest.raises(LLMTimeoutError):
        await retry.run(fn)
    assert len(calls) == 1 and clock.sleeps == []


async def test_nothing_really_sleeps_the_fake_clock_moves_instead() -> None:
    retry, clock = policy(attempts=4, initial_s=2.0, max_s=60.0)
    fn, _ = script(LLMTimeoutError("t"), LLMTimeoutError("t"), LLMTimeoutError("t"), "ok")
    start = clock.now
    assert await retry.run(fn) == "ok"
    assert clock.now - start == pytest.approx(2 + 4 + 8)


async def test_on_retry_reports_attempt_exception_and_wait() -> None:
    retry, _ = policy(attempts=3)
    first, second = LLMTimeoutError("a"), LLMConnectionError("b")
    fn, _ = script(first, second, "ok")
    seen: list[tuple[int, BaseException, float]] = []
    await retry.run(fn, on_retry=lambda n, exc, wait: seen.append((n, exc, wait)))
    assert seen == [(1, first, 0.5), (2, second, 1.0)]


# --- backoff ---------------------------------------------------------------------------------


async def test_exact_backoff_sequence_without_jitter_doubles_then_caps() -> None:
    retry, clock = policy(attempts=7, initial_s=0.5, max_s=3.0)
    fn, _ = script(LLMTimeoutError("t"))
    with pytest.raises(LLMTimeoutError):
        await retry.run(fn)
    assert clock.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_wait_for_is_pure_without_jitter() -> None:
    retry, _ = policy(initial_s=0.25, max_s=10.0)
    exc = LLMTimeoutError("t")
    assert [retry.wait_for(n, exc) for n in range(1, 8)] == [0.25, 0.5, 1, 2, 4, 8, 10]
    assert retry.wait_for(10_000, exc) == 10.0  # no overflow for absurd attempt numbers


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), attempt=st.integers(1, 30))
def test_equal_jitter_stays_within_half_and_full_backoff(seed: int, attempt: int) -> None:
    retry = RetryPolicy(initial_s=0.5, max_s=10.0, jitter=True, rng=random.Random(seed))
    base = retry.backoff(attempt)
    assert base / 2 <= retry.wait_for(attempt, LLMTimeoutError("t")) <= base


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_a_seeded_rng_makes_jitter_reproducible(seed: int) -> None:
    def waits() -> list[float]:
        retry = RetryPolicy(jitter=True, rng=random.Random(seed))
        return [retry.wait_for(n, None) for n in range(1, 6)]

    assert waits() == waits()


async def test_jittered_sleeps_are_recorded_within_bounds() -> None:
    clock = FakeClock()
    retry = RetryPolicy(attempts=5, initial_s=1.0, max_s=8.0, clock=clock, rng=random.Random(7))
    fn, _ = script(LLMTimeoutError("t"))
    with pytest.raises(LLMTimeoutError):
        await retry.run(fn)
    assert len(clock.sleeps) == 4
    for n, slept in enumerate(clock.sleeps, start=1):
        assert retry.backoff(n) / 2 <= slept <= retry.backoff(n)
    assert len(set(clock.sleeps)) > 1  # really jittered


# --- Retry-After -----------------------------------------------------------------------------


async def test_retry_after_longer_than_backoff_is_waited_exactly() -> None:
    retry, clock = policy(attempts=3, max_s=10.0)
    fn, _ = script(LLMRateLimitedError("429", status_code=429, retry_after=4.0), "ok")
    assert await retry.run(fn) == "ok"
    assert clock.sleeps == [4.0]


async def test_retry_after_shorter_than_backoff_keeps_the_backoff() -> None:
    retry, clock = policy(attempts=3, initial_s=2.0, max_s=10.0)
    fn, _ = script(LLMServerError("503", status_code=503, retry_after=0.5), "ok")
    assert await retry.run(fn) == "ok"
    assert clock.sleeps == [2.0]


async def test_retry_after_beyond_max_s_gives_up_at_once() -> None:
    retry, clock = policy(attempts=5, max_s=10.0)
    exc = LLMRateLimitedError("429", status_code=429, retry_after=30.0)
    fn, calls = script(exc, "ok")
    with pytest.raises(LLMRateLimitedError) as info:
        await retry.run(fn)
    assert info.value is exc and len(calls) == 1 and clock.sleeps == []
    assert any("30 s" in note and "max_s" in note for note in exc.__notes__)


def test_retry_after_equal_to_max_s_is_still_waited() -> None:
    retry, _ = policy(max_s=10.0)
    exc = LLMRateLimitedError("429", status_code=429, retry_after=10.0)
    assert not retry.gives_up_on(exc)
    assert retry.wait_for(1, exc) == 10.0


@settings(max_examples=40, deadline=None)
@given(retry_after=st.floats(0, 10), attempt=st.integers(1, 10), seed=st.integers(0, 99))
def test_wait_is_never_shorter_than_retry_after(retry_after: float, attempt: int, seed: int) -> None:
    retry = RetryPolicy(jitter=True, rng=random.Random(seed))
    exc = LLMServerError("503", status_code=503, retry_after=retry_after)
    assert retry.wait_for(attempt, exc) >= retry_after


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [{"attempts": 0}, {"initial_s": -1.0}, {"initial_s": 5.0, "max_s": 1.0}])
def test_bad_settings_are_config_errors(kw: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RetryPolicy(**kw)  # type: ignore[arg-type]
