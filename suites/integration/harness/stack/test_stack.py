"""The stack starts on free ports, answers, and never leaves a process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness._exceptions import StackError
from harness.stack import Stack, pid_alive
from harness.stack._process import ManagedProcess

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


def wait_dead(pids: list[int], timeout_s: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [p for p in pids if pid_alive(p)]
        if not alive:
            return []
        time.sleep(0.1)
    return [p for p in pids if pid_alive(p)]


def test_stack_answers_and_stops_everything_after_a_failure(tmp_path: Path) -> None:
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"), Stack(tmp_path) as stack:
        pids = [p.pid for p in stack.processes if p.pid]
        resp = httpx.post(
            f"{stack.service_url}/v1/chat", json={"query": "My app crashes", "user_id": "u"}, timeout=30
        )
        assert resp.status_code == 200 and resp.json()["route"] == "technical_support"
        assert json.loads((tmp_path / "stack" / "stack.json").read_text())["service_url"] == stack.service_url
        raise RuntimeError("boom")
    # mock LLM, proxy, OTLP receiver (the reference is declared traces = true), service
    assert len(pids) == 4 and wait_dead(pids) == []
    assert not (tmp_path / "stack" / "stack.json").exists()
    assert "POST" not in (tmp_path / "stack" / "service.log").read_text()  # no access log spam
    assert (tmp_path / "stack" / "audit.jsonl").read_text().count("\n") == 1


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            StackError, match=rf"support-desk \(reference\): port 127.0.0.1:{port} is already in use"
        ) as caught:
            Stack(tmp_path, service_port=port).start()
    # ...and names who holds it: here, this very process.
    assert f"pid {os.getpid()}: " in str(caught.value)


def test_a_picked_port_taken_before_start_is_picked_again(tmp_path: Path) -> None:
    stack = Stack(tmp_path, proxy=False, llm_args=["--latency", "zero"])
    picked = stack.llm_port
    with socket.socket() as taken:  # someone else binds the port we picked, before we start
        taken.bind(("127.0.0.1", picked))
        taken.listen()
        with stack:
            assert stack.llm_port != picked
            assert httpx.get(f"{stack.llm_url[: -len('/v1')]}/health", timeout=5).status_code == 200


def test_a_part_that_exits_names_its_log(tmp_path: Path) -> None:
    stack = Stack(tmp_path, llm_args=["--latency", "no-such-profile"])
    with pytest.raises(StackError, match=r"mock LLM server exited with code \d+ .*see .*llm\.log"):
        stack.start()
    assert stack.processes == []


def test_a_part_that_never_gets_healthy_times_out_and_is_killed(tmp_path: Path) -> None:
    part = ManagedProcess(
        "sleeper",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        log_path=tmp_path / "sleeper.log",
        health_url="http://127.0.0.1:9/health",
    )
    part.start()
    try:
        with pytest.raises(
            StackError, match=r"sleeper did not become healthy .* within 1 s; see .*sleeper\.log"
        ):
            part.wait_healthy(1.0)
    finally:
        part.stop()
    assert part.pid is not None and wait_dead([part.pid]) == []


def test_a_missing_binary_is_named(tmp_path: Path) -> None:
    part = ManagedProcess(
        "ghost", ["/nonexistent/ghost-binary"], log_path=tmp_path / "g.log", health_url="http://127.0.0.1:9/"
    )
    with pytest.raises(StackError, match="ghost: cannot start '/nonexistent/ghost-binary': no such program"):
        part.start()


OWNER = textwrap.dedent("""
    import json, sys, time
    from harness.stack import Stack
    with Stack(sys.argv[1]) as stack:
        print(json.dumps([p.pid for p in stack.processes]), flush=True)
        time.sleep(120)
""")


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "term", "kill"]
)
def test_killing_the_owner_mid_run_leaves_no_process(tmp_path: Path, sig: signal.Signals) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        pids = json.loads(line)
        assert all(pid_alive(p) for p in pids)
        owner.send_signal(sig)
        owner.wait(timeout=20)
        assert wait_dead(pids) == [], f"left behind after {sig.name}"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()


def test_cli_stack_up_then_down(tmp_path: Path) -> None:
    harness = [sys.executable, "-m", "harness"]
    up = subprocess.run(
        [*harness, "stack", "up", "--reports", str(tmp_path)], capture_output=True, text=True, timeout=90
    )
    assert up.returncode == 0, up.stderr
    record = json.loads((tmp_path / "stack" / "stack.json").read_text())
    pids = list(record["pids"].values())
    assert httpx.get(f"{record['service_url']}/health", timeout=5).json()["live"] is True
    # A second stack in the same folder would orphan the first: refused, naming its pids.
    again = subprocess.run(
        [*harness, "stack", "up", "--reports", str(tmp_path)], capture_output=True, text=True, timeout=90
    )
    assert again.returncode == 2 and "a stack is already running here" in again.stderr, again.stderr
    assert f"pid {pids[0]}" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert json.loads((tmp_path / "stack" / "stack.json").read_text()) == record  # untouched
    down = subprocess.run(
        [*harness, "stack", "down", "--reports", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert down.returncode == 0 and "stopped: mock LLM server" in down.stdout
    assert wait_dead(pids) == []
