"""Guaranteed teardown: whatever ends a run — a signal, a timeout, an exception — no toxic, no
fault and no handoff rule stays active, and a run that owns its stack leaves no process.

The signal tests kill a real `python -m harness.chaos` while its fault is active (seen from
outside, on the stack's own control APIs), then look at the stack again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from harness.chaos import Experiment, Targets, attach, leftovers, load_catalogue, run_experiment
from harness.chaos._faults import latency_config
from harness.measure import ChaosReport, ExperimentResult
from harness.stack import pid_alive, read_record

if TYPE_CHECKING:  # the suites are not a package: the fixture's class, for reading only
    from conftest import ChaosStacks

pytestmark = [pytest.mark.chaos, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[3]
LONG = {"phases": {"before_s": 1.0, "after_s": 1.0}, "short": {"before_s": 1.0, "during_s": 60, "after_s": 1}}


def long_version(name: str) -> Experiment:
    """The catalogue's experiment with a one-minute fault: any kill lands while it is active."""
    exp = load_catalogue(names=[name])[0]
    doc = exp.model_dump(mode="json", exclude_none=True) | LONG
    doc["method"]["duration_s"] = 60
    return Experiment.model_validate(doc)


def write_catalogue(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        doc = long_version(name).model_dump(mode="json", exclude_none=True)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def wait_until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def chaos_cli(*args: str, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "harness.chaos", "--suite", "nightly", "-q", *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_PROXY": "127.0.0.1"},
        )
    finally:
        out.close()


def stop_mid_fault(proc: subprocess.Popen[bytes], targets: Targets, sig: int, log: Path) -> int:
    """Wait until the run's fault shows on the stack, then send `sig`; the exit code."""
    baseline = latency_config(targets)

    def active() -> list[str]:
        assert proc.poll() is None, f"the chaos run ended early ({proc.returncode}): {log.read_text()}"
        return leftovers(targets, baseline)

    wait_until(active, 90, "the fault to become active")
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=45)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(
            f"the chaos run did not stop within 45 s of {signal.Signals(sig).name}"
        ) from None


# A toxic, a disabled proxy, a latency profile; the tests below add an LLM fault rule (exception),
# a handoff rule (timeout) and a black-hole toxic (SIGTERM to a run that owns its stack).
@pytest.mark.parametrize(
    ("name", "sig"),
    [
        ("net-latency", signal.SIGINT),
        ("net-down", signal.SIGTERM),
        ("llm-slow-tokens", signal.SIGINT),
    ],
    ids=["toxic-SIGINT", "proxy-disabled-SIGTERM", "latency-profile-SIGINT"],
)
def test_a_signal_mid_fault_rolls_it_back(
    name: str, sig: int, chaos_stacks: ChaosStacks, tmp_path: Path
) -> None:
    stack = chaos_stacks.stack()
    targets = attach(stack.dir / "stack.json")
    baseline = latency_config(targets)
    catalogue = write_catalogue(tmp_path / "experiments", name)
    log = tmp_path / "chaos.log"
    proc = chaos_cli(
        "--stack",
        str(stack.dir / "stack.json"),
        "--catalogue",
        str(catalogue),
        "--reports",
        str(tmp_path),
        log=log,
    )

    code = stop_mid_fault(proc, targets, sig, log)

    assert code == 128 + sig, log.read_text()
    assert leftovers(targets, baseline) == []
    # Read back through its model: the report written on the way out is a whole chaos.json.
    report = ChaosReport.read(tmp_path / "chaos.json")
    assert report.interrupted == signal.Signals(sig).name
    [result] = report.experiments
    assert result.verdict == "interrupted"
    assert result.rollback.errors == [] and result.rollback.leftovers == []


def test_sigterm_on_a_run_that_owns_its_stack_leaves_no_process(tmp_path: Path) -> None:
    catalogue = write_catalogue(tmp_path / "experiments", "net-timeout")
    log = tmp_path / "chaos.log"
    proc = chaos_cli("--catalogue", str(catalogue), "--reports", str(tmp_path), log=log)
    record = tmp_path / "chaos" / "on" / "stack" / "stack.json"
    try:
        wait_until(record.exists, 120, "the run's own stack to start")
        pids = list(read_record(record).pids.values())
        code = stop_mid_fault(proc, attach(record), signal.SIGTERM, log)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert code == 143, log.read_text()
    wait_until(lambda: not any(pid_alive(pid) for pid in pids), 10, "the stack's processes to exit")
    assert not record.exists()
    assert ChaosReport.read(tmp_path / "chaos.json").experiments[0].verdict == "interrupted"


def test_a_timeout_mid_fault_rolls_it_back(chaos_stacks: ChaosStacks) -> None:
    targets = chaos_stacks.targets()
    exp = long_version("handoff-corrupt")

    got: list[ExperimentResult] = []

    async def run_with_timeout() -> None:
        run = run_experiment(exp, targets, suite="short", timeout_s=10, sink=got)
        await asyncio.wait_for(run, timeout=4.0)  # settle + 1 s steady state, then 60 s of fault

    with pytest.raises(TimeoutError):
        asyncio.run(run_with_timeout())
    assert leftovers(targets) == []
    [result] = got
    assert result.verdict == "interrupted" and result.timeline_s.injected is not None


def test_an_exception_mid_fault_rolls_it_back(chaos_stacks: ChaosStacks) -> None:
    targets = chaos_stacks.targets()
    exp = long_version("llm-hang")

    def fail_once_the_fault_is_on(phase: str, seconds: float) -> None:
        if phase == "during":
            assert leftovers(targets), "the fault should be active now"
            raise AssertionError("a check failed mid-experiment")

    with pytest.raises(AssertionError, match="a check failed mid-experiment"):
        asyncio.run(
            run_experiment(exp, targets, suite="short", timeout_s=10, progress=fail_once_the_fault_is_on)
        )
    assert leftovers(targets) == []
