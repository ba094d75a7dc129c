"""The release gate: GO on a healthy run, NO-GO with the right reason on each kind of breach."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from harness._exceptions import ConfigError
from harness.report import GateSettings, Summary, evaluate, load_gate_settings
from harness.report._cli import run_gate
from harness.report._collect import write_summary
from harness.report._pyramid import PyramidRecord

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

MakeReports = Callable[..., Path]


def _failing(summary: Summary) -> dict[str, str]:
    return {g.name: g.reason for g in summary.gates if not g.passed}


def test_a_healthy_run_is_go(make_reports: MakeReports, summarize: Callable[[Path], Summary]) -> None:
    summary = summarize(make_reports())
    assert summary.verdict == "GO", _failing(summary)
    groups = {g.group for g in summary.gates}
    assert groups == {"coverage", "pyramid", "sla", "chaos", "lost"}
    assert all(g.passed and g.reason for g in summary.gates)


@pytest.mark.parametrize(
    ("breach", "gate_name", "words"),
    [
        ("coverage", "coverage.line", "line coverage 70.00% misses >= 90.00%"),
        ("sla", "sla.p95_ms_max", "SLA p95_ms_max: latency_ms.client.p95"),
        ("chaos", "chaos.held", "not held: handoff-drop"),
        ("lost", "lost", "lost requests 1 requests misses <= 0"),
        ("tests", "pyramid.unit", "unit tier pass rate 98.57% misses"),
    ],
)
def test_each_kind_of_breach_turns_the_gate_no_go_with_its_reason(
    breach: str, gate_name: str, words: str, make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    summary = summarize(make_reports(breach=breach))
    failing = _failing(summary)
    assert summary.verdict == "NO-GO"
    assert set(failing) == {gate_name}, failing
    assert words in failing[gate_name]


def test_lost_requests_in_the_load_run_fail_both_the_sla_and_the_lost_gate(
    make_reports: MakeReports, summarize: Callable[[Path], Summary], gate: GateSettings
) -> None:
    summary = summarize(make_reports())
    assert summary.sla is not None
    summary.sla.lost = 3
    lost = {g.name: g for g in evaluate(summary, gate)}["lost"]
    assert not lost.passed
    assert lost.value == 3
    assert "load run 3, chaos 0" in lost.reason


def test_missing_evidence_is_never_a_pass(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports()
    (folder / "sla.json").unlink()
    (folder / "chaos.json").unlink()
    (folder / "junit" / "chaos.xml").unlink()
    summary = summarize(folder)
    failing = _failing(summary)
    # Nothing counted the lost requests either: no evidence of none lost.
    assert set(failing) == {"sla", "chaos.held", "pyramid.chaos", "lost"}
    assert "no load run report" in failing["sla"]
    assert "lost requests: not measured" in failing["lost"]
    assert "not measured" in failing["chaos.held"]
    assert "chaos tier did not run" in failing["pyramid.chaos"]
    assert any("no chaos.json" in n for n in summary.notes)


def test_a_tier_whose_pytest_failed_fails_even_if_every_test_passed(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports()
    pyramid = PyramidRecord.read(folder / "pyramid.json")
    pyramid.tiers[1].exit_code = 3  # e.g. an internal error after the tests
    pyramid.write(folder / "pyramid.json")
    failing = _failing(summarize(folder))
    assert set(failing) == {"pyramid.integration"}
    assert "pytest exited 3" in failing["pyramid.integration"]


def test_thresholds_come_from_pyproject_and_env_and_false_turns_one_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.harness.gate]\ncoverage_line_min = 99.5\nchaos_held_min = false\n")
    monkeypatch.setenv("HARNESS_GATE_LOST_REQUESTS_MAX", "2")
    settings = load_gate_settings(pyproject)
    assert settings.coverage_line_min == 99.5
    assert settings.chaos_held_min is None
    assert settings.lost_requests_max == 2
    assert settings.coverage_branch_min == 85.0  # untouched default


def test_a_bad_threshold_is_one_line_naming_it(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.harness.gate]\ncoverage_line_min = 120\n")
    with pytest.raises(ConfigError, match=r"coverage_line_min = 120.*\[tool\.harness\.gate\]"):
        load_gate_settings(pyproject)


def _gate_cli(summary: Path, pyproject: Path) -> argparse.Namespace:
    return argparse.Namespace(summary=str(summary), pyproject=str(pyproject))


@pytest.fixture
def plain_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("HARNESS_GATE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.harness.gate]\n")
    return path


@pytest.mark.parametrize(("breach", "code", "last"), [(None, 0, "GO: all 16"), ("sla", 1, "NO-GO: 1 of 16")])
def test_the_gate_command_prints_each_reason_and_exits_0_or_1(
    breach: str | None,
    code: int,
    last: str,
    make_reports: MakeReports,
    summarize: Callable[[Path], Summary],
    plain_pyproject: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_reports(breach=breach)
    path = write_summary(summarize(folder), folder)
    assert run_gate(_gate_cli(path, plain_pyproject)) == code
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 17  # one per gate (16: the SLA checks are gates too), then the verdict
    assert lines[-1].startswith(last)
    assert all(line.startswith(("PASS ", "FAIL ")) for line in lines[:-1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "summary.json: cannot read it"),
        ("{not json", "not a harness.summary/1 file (file: Invalid JSON"),
        ('{"schema": "harness.summary/1"}', "not a harness.summary/1 file (generated_at: Field required)"),
        ('{"schema": "harness.sla/1"}', "schema is 'harness.sla/1', not harness.summary/1"),
    ],
)
def test_an_unusable_summary_exits_2_with_one_line(
    content: str | None,
    message: str,
    tmp_path: Path,
    plain_pyproject: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "summary.json"
    if content is not None:
        path.write_text(content)
    assert run_gate(_gate_cli(path, plain_pyproject)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("harness gate: ") and message in err
