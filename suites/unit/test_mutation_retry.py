"""Tests that kill mutants `harness mutate` found surviving in support_desk/_retry.py
(docs/mutation-survivors.md): each refusal of a RetryPolicy names the setting and its value, and
`jitter=True` really draws the wait."""

from __future__ import annotations

import random

import pytest

from harness._exceptions import ConfigError
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
