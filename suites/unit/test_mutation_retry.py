"""Tests that kill mutants `harness mutate` found surviving in support_desk/_retry.py
(docs/mutation-survivors.md): each refusal of a RetryPolicy names the setting and its value,
`jitter=True` really draws the wait, a server wait under a second counts, and giving up after two
attempts is noted."""

from __future__ import annotations

import random

import pytest

from harness._exceptions import ConfigError
from support_desk._clock import FakeClock
from support_desk._errors import TransientLLMError
from support_desk._retry import RetryPolicy


def test_a_negative_initial_wait_is_refused_naming_the_setting_and_value() -> None:
    with pytest.raises(ConfigError, match=r"^retry\.initial_s must be >= 0, got -0\.5$"):
        RetryPolicy(initial_s=-0.5)


def test_a_cap_below_the_initial_wait_is_refused_naming_both() -> None:
    with pytest.raises(ConfigError, match=r"^retry\.max_s \(1\.0\) must be >= retry\.initial_s \(2\.0\)$"):
        RetryPolicy(initial_s=2.0, max_s=1.0)


def test_jitter_draws_each_wait_from_half_the_backoff_to_all_of_it() -> None:
    policy = RetryPolicy(initial_s=1.0, max_s=10.0, jitter=True, rng=random.Random(0))
    waits = [policy.wait_for(1, None) for _ in range(20)]
    assert all(0.5 <= w <= 1.0 for w in waits)
    assert len(set(waits)) == 20  # drawn, not the un-jittered 1.0 every time
    assert RetryPolicy(initial_s=1.0, jitter=False).wait_for(1, None) == 1.0


def test_a_server_wait_under_a_second_is_honoured() -> None:
    exc = TransientLLMError("rate limited")
    exc.retry_after = 0.5
    policy = RetryPolicy(initial_s=0.1, max_s=10.0, jitter=False)
    assert policy.wait_for(1, exc) == 0.5  # not the policy's own 0.1 s


async def test_giving_up_after_two_attempts_says_so_on_the_error() -> None:
    policy = RetryPolicy(attempts=2, initial_s=0.0, jitter=False, clock=FakeClock())
    exc = TransientLLMError("down")

    async def fails() -> str:
        raise exc

    with pytest.raises(TransientLLMError) as info:
        await policy.run(fails)
    assert info.value.__notes__ == ["retry gave up after 2 attempts (retry.attempts=2)"]


def test_a_policy_built_without_settings_caps_its_waits_like_the_settings_default() -> None:
    from support_desk._settings import RetrySettings

    policy = RetryPolicy(jitter=False)
    assert policy.max_s == RetrySettings().max_s == 10.0
    # 0.5 s doubling: 0.5, 1, 2, 4, 8, then 16 capped at the 10 s default
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
