"""`harness compare`: a real regression is flagged, noise is not; the statistics behind it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.measure import bootstrap_diff, mann_whitney_greater, percentile_rows, two_proportions_greater
from harness.report import Summary, compare
from harness.report._cli import run_compare
from harness.report._collect import write_summary

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

MakeReports = Callable[..., Path]
Run = Callable[..., Path]


@pytest.fixture
def run(make_reports: MakeReports, summarize: Callable[[Path], Summary]) -> Run:
    """A run's reports folder with its summary.json written, from `write_example_reports` options."""

    def make(**kw: object) -> Path:
        folder = make_reports(**kw)
        write_summary(summarize(folder), folder)
        return folder

    return make


def _flags(base: Path, cand: Path) -> dict[str, bool]:
    b = Summary.model_validate_json((base / "summary.json").read_text())
    c = Summary.model_validate_json((cand / "summary.json").read_text())
    return {f.metric: f.regression for f in compare(b, base, c, cand)}


def test_two_runs_of_the_same_system_are_not_a_regression(run: Run) -> None:
    # Different seeds: different samples from the same distributions, i.e. noise only.
    flags = _flags(run(seed=1, error_rate=0.01), run(seed=2, error_rate=0.01))
    assert flags == dict.fromkeys(("latency", "error_rate", "cost_per_request", "tokens_per_request"), False)


@pytest.mark.parametrize(
    ("candidate", "metric"),
    [
        ({"latency_scale": 1.3}, "latency"),
        ({"error_rate": 0.06}, "error_rate"),
        ({"cost_scale": 1.3}, "cost_per_request"),
    ],
)
def test_a_real_regression_is_flagged(run: Run, candidate: dict[str, float], metric: str) -> None:
    flags = _flags(run(seed=1), run(seed=2, **candidate))
    assert {m for m, regressed in flags.items() if regressed} == {metric}


def test_an_improvement_is_not_a_regression(run: Run) -> None:
    flags = _flags(run(seed=1, latency_scale=1.5, error_rate=0.05), run(seed=2))
    assert not any(flags.values())


def test_without_raw_samples_the_intervals_decide(run: Run) -> None:
    base, same, slower = run(seed=1), run(seed=2), run(seed=3, latency_scale=1.6)
    for folder in (base, same, slower):
        next((folder / "load").glob("*/samples.csv")).unlink()
    b = Summary.model_validate_json((base / "summary.json").read_text())
    for cand, expected in ((same, False), (slower, True)):
        c = Summary.model_validate_json((cand / "summary.json").read_text())
        latency = compare(b, base, c, cand)[0]
        assert latency.test == "95% intervals apart"
        assert latency.regression is expected


def _args(base: Path, cand: Path, out: Path) -> argparse.Namespace:
    return argparse.Namespace(
        baseline=str(base), candidate=str(cand), alpha=0.01, min_effect=0.05, min_error_increase=0.005,
        json=str(out), any_runs=False,
    )  # fmt: skip


def test_the_compare_command_exits_1_on_a_regression_and_0_otherwise(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = run(seed=1)
    assert run_compare(_args(base, run(seed=2), tmp_path / "same.json")) == 0
    assert capsys.readouterr().out.strip().endswith("no significant regression")
    assert run_compare(_args(base, run(seed=2, latency_scale=1.4), tmp_path / "slow.json")) == 1
    out = capsys.readouterr().out
    assert "REGRESSION latency" in out
    assert out.strip().endswith("regression: latency")
    assert '"regression": true' in (tmp_path / "slow.json").read_text()


def test_compare_without_a_summary_exits_2(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare(_args(run(), tmp_path / "nowhere", tmp_path / "x.json")) == 2
    assert "nowhere: cannot read it" in capsys.readouterr().err


def test_a_cheaper_candidate_is_not_a_regression(run: Run) -> None:
    flags = _flags(run(seed=1), run(seed=2, cost_scale=0.5))
    assert not any(flags.values()), flags


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [("alpha", 5.0, "--alpha 5.0"), ("alpha", 0.0, "--alpha 0.0"), ("min_effect", -1.0, "--min-effect"),
     ("min_error_increase", 2.0, "--min-error-increase")],
)  # fmt: skip
def test_an_option_out_of_range_is_one_line_and_exit_2(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: float, said: str
) -> None:
    base = run(seed=1)
    args = _args(base, base, tmp_path / "x.json")
    setattr(args, option, value)
    assert run_compare(args) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1


def test_runs_of_another_profile_or_system_are_refused_unless_told(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, cand = run(seed=1), run(seed=2)
    summary = Summary.model_validate_json((cand / "summary.json").read_text())
    assert summary.sla is not None
    summary.sla.profile, summary.sla.system = "spike", "another bot"
    summary.write(cand / "summary.json")
    assert run_compare(_args(base, cand, tmp_path / "x.json")) == 2
    err = capsys.readouterr().err
    assert "not comparable" in err and "profile 'example' vs 'spike'" in err and "another bot" in err
    args = _args(base, cand, tmp_path / "x.json")
    args.any_runs = True
    assert run_compare(args) == 0


def test_mann_whitney_matches_the_textbook_value() -> None:
    # x = 1,2,3 and y = 4,5,6: U = 9, z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.746, p = 0.0404
    # (scipy.stats.mannwhitneyu(y, x, alternative="greater", method="asymptotic") gives the same).
    u, p = mann_whitney_greater([1, 2, 3], [4, 5, 6])
    assert u == 9
    assert p == pytest.approx(0.0404, abs=1e-4)
    assert mann_whitney_greater([4, 5, 6], [1, 2, 3])[1] > 0.95
    assert mann_whitney_greater([2, 2, 2], [2, 2, 2]) == (4.5, 1.0)  # all tied: no evidence


def test_mann_whitney_handles_ties_like_the_tie_corrected_formula() -> None:
    # Ranks of 1,1,2,2 | 2,3: 1.5,1.5,4,4 | 4,6 -> U_y = 10 - 3 = 7, tie term (8-2 + 27-3)/30 = 1.
    u, p = mann_whitney_greater([1, 1, 2, 2], [2, 3])
    assert u == 7
    z = (7 - 4 - 0.5) / math.sqrt(8 / 12 * (7 - 1))
    assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))


def test_two_proportions() -> None:
    z, p = two_proportions_greater(10, 1000, 30, 1000)
    assert z == pytest.approx(0.02 / math.sqrt(0.02 * 0.98 * 0.002))
    assert p < 0.001
    assert two_proportions_greater(0, 500, 0, 500) == (0.0, 1.0)


def test_the_bootstrap_interval_holds_the_true_difference() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(100, 10, 800), rng.normal(110, 10, 800)
    diff, low, high = bootstrap_diff(x, y, lambda a: percentile_rows(a, 0.5), replicates=500)
    assert low < 10 < high
    assert low < diff < high
