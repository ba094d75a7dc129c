"""The trial statistics: the pass^k estimator against brute force, Wilson against a published
table, the pooled interval, and when a verdict is inconclusive and what would settle it."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.trials import decide, more_trials, pass_hat_k, per_scenario, pooled, wilson
from harness.trials._stats import Estimate

pytestmark = pytest.mark.harness_self


def brute_pass_hat_k(outcomes: tuple[bool, ...], k: int) -> float:
    """The share of k-subsets of the trials in which every trial passed."""
    subsets = list(itertools.combinations(outcomes, k))
    return sum(all(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(
    ("n", "c", "k", "want"), [(8, 6, 4, 15 / 70), (4, 4, 4, 1.0), (5, 3, 4, 0.0), (10, 9, 2, 36 / 45)]
)
def test_pass_hat_k_exact_values(n: int, c: int, k: int, want: float) -> None:
    assert pass_hat_k(n, c, k) == pytest.approx(want, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=9), st.integers(1, 9))
def test_pass_hat_k_is_the_all_pass_share_of_k_subsets(outcomes: list[bool], k: int) -> None:
    if k > len(outcomes):
        with pytest.raises(ValueError, match="needs at least"):
            pass_hat_k(len(outcomes), sum(outcomes), k)
        return
    assert pass_hat_k(len(outcomes), sum(outcomes), k) == pytest.approx(brute_pass_hat_k(tuple(outcomes), k))


def test_pass_hat_k_is_unbiased_where_p_to_the_k_is_not() -> None:
    # The expectation over Binomial(n, p) of the estimator is p^k exactly; the plug-in (c/n)^k's is higher.
    n, k, p = 6, 3, 0.7
    weights = [math.comb(n, c) * p**c * (1 - p) ** (n - c) for c in range(n + 1)]
    unbiased = sum(w * pass_hat_k(n, c, k) for c, w in enumerate(weights))
    plug_in = sum(w * (c / n) ** k for c, w in enumerate(weights))
    assert unbiased == pytest.approx(p**k, abs=1e-12)
    assert plug_in > p**k + 0.01


# Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (the Wilson score interval).
@pytest.mark.parametrize(
    ("c", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombes_table(c: int, n: int, low: float, high: float) -> None:
    got = wilson(c, n, 0.95)
    assert got == pytest.approx((low, high), abs=5e-5)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500), st.data(), st.floats(0.5, 0.999))
def test_wilson_holds_the_estimate_and_stays_in_bounds(
    n: int, data: st.DataObject, confidence: float
) -> None:
    c = data.draw(st.integers(0, n))
    low, high = wilson(c, n, confidence)
    assert 0 <= low <= c / n <= high <= 1
    wider_low, wider_high = wilson(c, n, min(0.9999, confidence + 0.0001 + (1 - confidence) / 2))
    assert wider_low <= low + 1e-12 and wider_high >= high - 1e-12


def test_per_scenario_pass_k_is_wilson_raised_to_k() -> None:
    low, high = wilson(7, 8, 0.95)
    e = per_scenario(8, 7, k=4)
    assert (e.value, e.low, e.high) == pytest.approx((pass_hat_k(8, 7, 4), low**4, high**4))


def test_pooled_weighs_every_scenario_the_same() -> None:
    e = pooled([(4, 4), (40, 0)], k=1)
    assert e.value == pytest.approx(0.5)
    assert e.n_eff <= 2  # all the variance is between the two scenarios: 44 trials count as 2 at most


def test_pooled_is_wider_than_treating_repeats_as_independent() -> None:
    counts = [(10.0, 10.0)] * 10 + [(10.0, 0.0)] * 2  # scenarios differ, repeats agree
    clustered = pooled(counts)
    naive_low, naive_high = wilson(100, 120)
    assert clustered.high - clustered.low > 1.5 * (naive_high - naive_low)


def test_pooled_with_no_spread_and_all_passing_counts_scenarios_not_trials() -> None:
    e = pooled([(10.0, 10.0)] * 20)
    assert e.n_eff == 20 and e.low == pytest.approx(wilson(20, 20)[0])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(4, 12), st.floats(0, 1)), min_size=1, max_size=30), st.integers(1, 4))
def test_pooled_interval_holds_its_estimate(rows: list[tuple[int, float]], k: int) -> None:
    counts = [(float(n), float(round(f * n))) for n, f in rows]
    e = pooled(counts, k)
    assert 0 <= e.low <= e.value + 1e-9 and e.value - 1e-9 <= e.high <= 1
    assert e.n_eff <= sum(n for n, _ in counts)


def estimate(low: float, high: float) -> Estimate:
    return Estimate((low + high) / 2, low, high, 0.95, 10)


@pytest.mark.parametrize(
    ("low", "high", "want"),
    [(0.91, 0.99, "pass"), (0.9, 0.99, "pass"), (0.5, 0.89, "fail"), (0.85, 0.95, "inconclusive")],
)
def test_decide_against_a_limit(low: float, high: float, want: str) -> None:
    assert decide(estimate(low, high), 0.9) == want


def test_more_trials_settles_a_straddling_interval_and_no_fewer_would() -> None:
    counts = [(4.0, 4.0)] * 19 + [(4.0, 3.0)]  # pass@1 0.9875, lower bound below 0.95 at n=4
    assert decide(pooled(counts), 0.95) == "inconclusive"
    extra = more_trials(counts, 0.95)
    assert extra is not None and extra > 0
    assert decide(pooled(counts, extra=extra), 0.95) == "pass"
    assert decide(pooled(counts, extra=extra - 1), 0.95) == "inconclusive"


def test_more_trials_is_zero_when_settled_and_none_when_repeats_cannot_settle_it() -> None:
    assert more_trials([(10.0, 10.0)] * 50, 0.5) == 0
    # Scenarios that differ among themselves: the mean sits on the limit, repeats do not move it.
    split = [(4.0, 4.0), (4.0, 0.0)] * 5
    assert more_trials(split, 0.5, cap=2000) is None


def test_a_bad_confidence_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        wilson(1, 2, 1.5)


@pytest.mark.parametrize(("n", "c", "k"), [(4, 3, 4), (2, 1, 2), (8, 7, 8), (5, 4, 5), (6, 5, 3), (4, 4, 4)])
def test_a_scenarios_estimate_is_never_outside_its_own_interval(n: int, c: int, k: int) -> None:
    estimate = per_scenario(n, c, k)
    assert estimate.low <= estimate.value <= estimate.high, estimate
