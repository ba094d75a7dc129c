"""The release report's trials section and its optional gate (`trials_pass_k_min`): GO, NO-GO,
and INCONCLUSIVE with the trials that would settle it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.report import GateSettings, Summary
from harness.report._cli import run_gate
from harness.report._collect import build_summary
from harness.report._gate import verdict
from harness.report._html import render_html
from harness.report._summary import GateResult
from harness.trials import OverallTrials, TrialsRecord
from harness.trials._record import scenario_row, summarise_counts

pytestmark = pytest.mark.harness_self

MakeReports = Callable[..., Path]


def record(scenarios: int, n: int, failures: int, k: int = 4) -> TrialsRecord:
    """`scenarios` scenarios of `n` trials; the first `failures` scenarios fail their last trial."""
    rows = [
        scenario_row(f"s{i}", "c", [True] * (n - 1) + [i >= failures], k=k, confidence=0.95,
                     failures=["route: expected 'a', got 'b'"] if i < failures else [])
        for i in range(scenarios)
    ]  # fmt: skip
    at_1, at_k = summarise_counts(rows, k, 0.95)
    total = scenarios * n
    overall = OverallTrials(
        scenarios=scenarios, trials=total, passed=total - failures, pass_at_1=at_1, pass_k=at_k
    )
    return TrialsRecord(system="tiny", brain="noisy", cache="bypassed", repeat=n, k=k, confidence=0.95,
                        started_at="2026", wall_s=1.0, scenarios=rows, overall=overall)  # fmt: skip


def gated(gate: GateSettings, **keys: float) -> GateSettings:
    return gate.model_copy(update=keys)


def trials_gate(summary: Summary) -> list[GateResult]:
    return [g for g in summary.gates if g.group == "trials"]


def test_the_gate_is_off_unless_set(make_reports: MakeReports, gate: GateSettings) -> None:
    reports = make_reports()
    record(40, 8, 10).write(reports / "trials.json")
    summary = build_summary(reports, gate)
    assert summary.trials is not None and summary.trials.trials == 320
    assert trials_gate(summary) == [] and summary.verdict == "GO"


@pytest.mark.parametrize(
    ("failures", "minimum", "want", "words"),
    [
        (0, 0.9, "GO", "meets >= 90.00% (100 scenarios)"),
        (60, 0.9, "NO-GO", "misses >= 90.00%"),
        (4, 0.95, "INCONCLUSIVE", "more trials of every scenario would settle it"),
    ],
)
def test_go_no_go_and_inconclusive(
    make_reports: MakeReports, gate: GateSettings, failures: int, minimum: float, want: str, words: str
) -> None:
    reports = make_reports()
    record(100, 8, failures).write(reports / "trials.json")
    summary = build_summary(reports, gated(gate, trials_pass_k_min=minimum, trials_pass_k=4))
    [result] = trials_gate(summary)
    assert summary.verdict == want and words in result.reason
    assert result.inconclusive == (want == "INCONCLUSIVE") and result.passed == (want == "GO")


def test_no_trials_run_is_no_evidence(make_reports: MakeReports, gate: GateSettings) -> None:
    summary = build_summary(make_reports(), gated(gate, trials_pass_k_min=0.9))
    [result] = trials_gate(summary)
    assert not result.passed and not result.inconclusive and "harness trials --repeat" in result.reason
    assert summary.verdict == "NO-GO"


def test_a_k_above_the_repeats_is_no_evidence(make_reports: MakeReports, gate: GateSettings) -> None:
    reports = make_reports()
    record(20, 3, 0, k=3).write(reports / "trials.json")
    [result] = trials_gate(build_summary(reports, gated(gate, trials_pass_k_min=0.5, trials_pass_k=4)))
    assert not result.passed and "no scenario ran 4 times" in result.reason


@pytest.mark.parametrize(
    ("failures", "minimum", "word", "code"),
    [(0, 0.9, "PASS", 0), (60, 0.9, "FAIL", 1), (4, 0.95, "INCONCLUSIVE", 1)],
)
def test_harness_gate_prints_each_verdict_and_exits_as_the_other_gates(
    make_reports: MakeReports,
    gate: GateSettings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    failures: int,
    minimum: float,
    word: str,
    code: int,
) -> None:
    reports = make_reports()
    record(100, 8, failures).write(reports / "trials.json")
    summary_path = build_summary(reports, gate).write(reports / "summary.json")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.harness.gate]\ntrials_pass_k_min = {minimum}\ntrials_pass_k = 4\n")
    args = argparse.Namespace(summary=str(summary_path), pyproject=str(pyproject))
    assert run_gate(args) == code
    [line] = [x for x in capsys.readouterr().out.splitlines() if "trials.pass_k" in x]
    assert line.split()[0] == word


def test_a_failed_gate_outranks_an_inconclusive_one() -> None:
    def result(passed: bool, inconclusive: bool = False) -> GateResult:
        return GateResult(name="x", group="trials", value=0.5, threshold=0.9, op=">=", unit="ratio",
                          passed=passed, reason="", inconclusive=inconclusive)  # fmt: skip

    assert verdict([result(True), result(False, inconclusive=True)]) == "INCONCLUSIVE"
    assert verdict([result(False), result(False, inconclusive=True)]) == "NO-GO"
    assert verdict([result(True)]) == "GO" and verdict([]) == "NO-GO"


def test_the_page_shows_the_section_and_the_shaky_scenarios(
    make_reports: MakeReports, gate: GateSettings
) -> None:
    reports = make_reports()
    record(100, 8, 4).write(reports / "trials.json")
    summary = build_summary(reports, gated(gate, trials_pass_k_min=0.95))
    page = render_html(summary, {"pyramid": ""})
    assert (
        'id="trials"' in page
        and "pass^4" in page
        and "<code>s3</code>" in page
        and "<code>s4</code>" not in page
    )
    assert 'id="verdict-word">INCONCLUSIVE' in page and "INCONCLUSIVE</td>" in page
