"""The runner's logic, with the pytest runs faked: tiers cheapest first, a kill ends a mutant,
a failing baseline stops the run, the budget leaves mutants not run, the scores add up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from harness._cli import main
from harness._exceptions import ConfigError, MutationError
from harness.mutate import MutateSettings, MutationRecord, PackageSource, Plan, Runner, generate_mutants
from harness.mutate._pytest_plugin import WRONG_IMPORT
from harness.mutate._runner import TierRun, _judged
from harness.mutate._workspace import Workspace

pytestmark = pytest.mark.harness_self

SOURCE = "def f(a, b):\n    return a + b\n\n\ndef g(x):\n    return x > 1\n\n\ndef h():\n    return 'h'\n"
Verdict = Callable[[str, str], TierRun]  # (tier, the copy's source) -> what its tests say


class FakeRunner(Runner):
    """A runner whose tiers are a function of the mutated source, not pytest processes."""

    def __init__(self, plan: Plan, reports: Path, verdict: Verdict) -> None:
        super().__init__(plan, reports)
        self.verdict = verdict
        self.calls: list[str] = []

    def run_tier(self, workspace: Workspace, tier: str, timeout_s: float | None) -> TierRun:
        self.calls.append(tier)
        return self.verdict(tier, (workspace.folder / "pkg" / "__init__.py").read_text())


def _plan(tmp_path: Path, **settings: object) -> Plan:
    folder = tmp_path / "src" / "pkg"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(SOURCE)
    suites = tmp_path / "tests"
    for tier in ("unit", "integration"):
        (suites / tier).mkdir(parents=True)
    options = MutateSettings.model_construct(
        **{k: f.get_default(call_default_factory=True) for k, f in MutateSettings.model_fields.items()}
    )
    return Plan("tiny", [PackageSource("pkg", folder)], suites, tmp_path, options.model_copy(update=settings))


def _verdict(tier: str, source: str) -> TierRun:
    """unit catches `a - b`; integration catches `x >= 1`; nothing sees the string."""
    if (tier == "unit" and "a - b" in source) or (tier == "integration" and "x >= 1" in source):
        return TierRun("failed", 0.1, f"tests/{tier}/test_x.py::test_it")
    return TierRun("passed", 0.1)


def test_tiers_run_cheapest_first_and_a_kill_ends_the_mutant(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    runner = FakeRunner(plan, tmp_path / "reports", _verdict)
    mutants = generate_mutants(plan.packages)
    record = runner.run(mutants, len(mutants))
    by_line = {m.original: m for m in record.mutants}
    assert (by_line["return a + b"].status, by_line["return a + b"].tier) == ("killed", "unit")
    assert by_line["return a + b"].killed_by == "tests/unit/test_x.py::test_it"
    assert (by_line["return x > 1"].status, by_line["return x > 1"].tier) in {
        ("killed", "integration"),
        ("survived", None),
    }
    survivors = [m for m in record.mutants if m.status == "survived"]
    assert survivors and all(m.tier is None for m in survivors)
    # 2 baseline runs, then: the unit kill ran 1 tier, every other mutant 2
    assert runner.calls.count("unit") == 1 + len(mutants)
    assert runner.calls.count("integration") == 1 + len(mutants) - 1
    unit, integration = record.tiers
    assert unit.cumulative == 1 and integration.cumulative == 1 + integration.killed
    assert record.score == integration.score == round(integration.cumulative / len(mutants), 4) < 1
    assert MutationRecord.read(tmp_path / "reports" / "mutation.json") == record


def test_a_test_failing_unmutated_since_the_baseline_is_noise_not_a_kill(tmp_path: Path) -> None:
    plan = _plan(tmp_path, tiers=["unit"])
    noise = "tests/unit/test_new.py::test_broken_meanwhile"
    runner: FakeRunner

    def verdict(tier: str, source: str) -> TierRun:
        if len(runner.calls) > 1 and noise not in runner.deselected:  # broken after the baseline
            return TierRun("failed", 0.1, noise)
        return _verdict(tier, source)

    runner = FakeRunner(plan, tmp_path / "r", verdict)
    mutants = generate_mutants(plan.packages)
    record = runner.run(mutants, len(mutants))
    assert record.deselected == [noise]
    killed = [(m.original, m.killed_by) for m in record.mutants if m.status == "killed"]
    assert killed == [("return a + b", "tests/unit/test_x.py::test_it")]  # the real kill, kept
    assert runner.calls.count(noise) == 1  # checked once, un-mutated, then left out


def test_a_timeout_is_a_kill_and_says_so(tmp_path: Path) -> None:
    def hangs(tier: str, source: str) -> TierRun:
        return TierRun("timeout", 9.0) if "a - b" in source else TierRun("passed", 0.1)

    record = FakeRunner(_plan(tmp_path, tiers=["unit"]), tmp_path / "r", hangs).run(
        generate_mutants(_plan(tmp_path / "again").packages), 1
    )
    timed_out = [m for m in record.mutants if m.status == "timeout"]
    assert len(timed_out) == 1 and record.tiers[0].timeouts == 1 and record.tiers[0].killed == 1


def test_a_tier_failing_unmutated_stops_the_run(tmp_path: Path) -> None:
    def broken(tier: str, source: str) -> TierRun:
        return TierRun("failed", 0.1, "tests/integration/test_x.py::test_flaky")

    plan = _plan(tmp_path)
    with pytest.raises(MutationError, match=r"the unit tier fails without any mutant \(tests/integration"):
        FakeRunner(plan, tmp_path / "r", broken).run(generate_mutants(plan.packages), 3)


def test_past_the_budget_no_mutant_starts(tmp_path: Path) -> None:
    plan = _plan(tmp_path, budget_s=0.25, workers=1)
    gate = threading.Event()

    def slow(tier: str, source: str) -> TierRun:
        gate.wait(0.1)  # baseline 0.2 s, then each mutant 0.2 s: one starts within the budget
        return TierRun("passed", 0.1)

    mutants = generate_mutants(plan.packages)
    record = FakeRunner(plan, tmp_path / "r", slow).run(mutants, len(mutants))
    assert record.stopped == "budget" and record.run >= 1 and record.not_run >= 1
    assert record.run + record.not_run == len(mutants) == len(record.mutants)
    assert all(m.status == "not_run" for m in record.mutants if m.status not in ("survived", "killed"))


def test_pytest_exit_codes_are_judged() -> None:
    stop = threading.Event()
    assert _judged(0, 1.0, "", stop).outcome == "passed"
    assert _judged(5, 1.0, "", stop).outcome == "empty"  # a mutant that leaves no test: caught
    failed = _judged(1, 1.0, "..F\nFAILED tests/unit/test_a.py::test_b - assert 1 == 2\n", stop)
    assert (failed.outcome, failed.first_failure) == ("failed", "tests/unit/test_a.py::test_b")
    spaced = _judged(1, 1.0, "FAILED tests/test_a.py::test_b[Why was I charged] - assert 0\n", stop)
    assert spaced.first_failure == "tests/test_a.py::test_b[Why was I charged]"  # whole, spaces too
    bare = _judged(1, 1.0, "ERROR tests/test_a.py::test_c[a b]\n", stop)
    assert bare.first_failure == "tests/test_a.py::test_c[a b]"
    with pytest.raises(MutationError, match="not from its mutated copy"):
        _judged(WRONG_IMPORT, 1.0, "Exit: pkg is imported from /x, not from its mutated copy in /w", stop)
    stop.set()
    assert _judged(1, 1.0, "", stop).outcome == "stopped"  # Ctrl-C's kill is not a catch


def test_settings_order_tiers_cheapest_first_and_refuse_unknown_ones() -> None:
    assert MutateSettings(tiers=["integration", "unit"]).tiers == ["unit", "integration"]
    assert MutateSettings(sample=False, budget_s="off").sample is None
    with pytest.raises(ValueError, match="unknown tier 'smoke'"):
        MutateSettings(tiers=["smoke"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--tiers", "unit,smoke"], "unknown tier 'smoke'"),
        (["--sample", "0"], "sample = 0"),
        (["--budget", "-5"], "budget_s = -5"),
        (["--workers", "0"], "workers = 0"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mutate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("harness mutate: ")


def test_config_error_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        from harness.mutate import load_mutate_settings

        load_mutate_settings(tiers=["nope"])
