"""A SIGKILLed `harness chaos --stack` leaves its fault on the stack (nothing of it runs any more to
roll it back); the next run must not measure that stack as if it were clean.

On a `harness stack up` stack, as a user would: the killed run's journaled fault is undone by the
next `harness load --host` (which says so), faults nobody journaled (set by hand here: a 3 s
latency toxic and a handoff drop) make it refuse with the fix, `harness stack clean` removes
them, and the load then runs on a clean stack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.measure import SlaReport
from harness.stack import StackRecord, pid_alive

pytestmark = [pytest.mark.chaos, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "NO_PROXY": "127.0.0.1"}
# The catalogue's llm-500 with a one-minute fault: the kill lands while it is active.
LONG_500 = """\
title: Half the LLM calls fail with 500, for a minute
hypothesis: {error_rate: 0.02, lost: 0, unclear: 0, recovery_s: 10}
method:
  fault: {kind: status, status: 500}
  intensity: 0.5
  duration_s: 60
phases: {before_s: 1.0, after_s: 1.0}
"""


def harness(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def wait_until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def get(url: str) -> Any:
    return httpx.get(url, timeout=5, trust_env=False).json()


@pytest.fixture
def stack_up(tmp_path: Path) -> Iterator[StackRecord]:
    up = harness("stack", "up", "--reports", str(tmp_path))
    assert up.returncode == 0, up.stderr
    try:
        yield StackRecord.read(tmp_path / "stack" / "stack.json")
    finally:
        harness("stack", "down", "--reports", str(tmp_path), timeout=60)


def test_a_sigkilled_chaos_runs_fault_is_cleared_refused_or_cleaned(
    stack_up: StackRecord, tmp_path: Path
) -> None:
    record, stack_json = stack_up, tmp_path / "stack" / "stack.json"
    assert record.service_url is not None and record.proxy_api_url is not None
    llm, host = record.llm_url.removesuffix("/v1"), record.service_url
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "llm-500-long.yaml").write_text(LONG_500)
    log = (tmp_path / "chaos.log").open("wb")
    chaos = subprocess.Popen(
        [sys.executable, "-m", "harness.chaos", "--stack", str(stack_json), "--catalogue",
         str(tmp_path / "exp"), "--reports", str(tmp_path / "chaos"), "-q"],
        cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    try:
        wait_until(lambda: get(f"{llm}/_control/faults")["faults"], 90, "the chaos run's 500 rule")
        chaos.send_signal(signal.SIGKILL)
        chaos.wait(timeout=10)
    finally:
        if chaos.poll() is None:
            chaos.kill()
    assert not pid_alive(chaos.pid)
    [rule] = get(f"{llm}/_control/faults")["faults"]  # the bug: still there, nobody to roll it back
    assert rule["status"] == 500 and rule["probability"] == 0.5
    # Two more faults nobody journaled, as from a teammate's curl: a 3 s latency toxic, a handoff drop.
    toxic = {"name": "by-hand", "type": "latency", "attributes": {"latency": 3000}}
    httpx.post(f"{record.proxy_api_url}/proxies/llm/toxics", json=toxic, timeout=5).raise_for_status()
    rules = {"seed": 0, "rules": [{"kind": "drop", "probability": 1.0}]}
    httpx.put(f"{host}/_control/handoff", json=rules, timeout=5).raise_for_status()

    load = ["load", "--host", host, "--reports", str(tmp_path), "--duration", "3", "--users", "2",
            "--no-progress"]  # fmt: skip
    refused = harness(*load)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    cleared, refusal = refused.stderr.strip().splitlines()
    assert f"cleared 1 fault(s) left by dead run pid {chaos.pid}" in cleared
    assert "mock LLM rule status 500 (p=0.5)" in cleared
    assert "toxic by-hand (latency) on proxy llm" in refusal and "handoff rule drop (p=1.0)" in refusal
    assert f"harness stack clean --stack {stack_json}" in refusal
    assert get(f"{llm}/_control/faults")["faults"] == []  # the dead run's, undone by the load

    cleaned = harness("stack", "clean", "--reports", str(tmp_path))

    assert cleaned.returncode == 0, cleaned.stderr
    assert cleaned.stdout.strip() == "removed: toxic by-hand on proxy llm; handoff rule drop (p=1.0)"
    assert get(f"{record.proxy_api_url}/proxies")["llm"]["toxics"] == []
    assert get(f"{host}/_control/handoff")["rules"] == []

    clean = harness(*load)

    assert clean.returncode in (0, 1), clean.stderr  # 1: an SLA check; never 2, refused
    assert "harness load:" not in clean.stderr and "DIRTY" not in clean.stdout
    [sla] = (tmp_path / "load").glob("*/sla.json")
    report = SlaReport.read(sla)
    assert report.run.dirty == [] and report.requests.sent > 0 and report.requests.failed == 0
