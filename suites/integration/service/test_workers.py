"""`harness serve --workers N`: several processes on one port, one audit log, one set of metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness._exceptions import ConfigError
from harness.stack import Stack
from support_desk.service import ServiceSettings
from support_desk.service._workers import _per_worker, serve_workers

BODY = {"query": "My invoice is wrong", "user_id": "u-1", "customer_tier": "standard"}


def test_each_worker_enforces_its_share_of_the_api_rate_limit() -> None:
    share = _per_worker(ServiceSettings(workers=3, requests_per_second=10.0, burst=10))
    assert share.requests_per_second == pytest.approx(10 / 3)
    assert share.burst == 4  # rounded up, never below one request


# The handoff hook (on in every stack) switches faults in one process: off with two workers.
TWO_WORKERS = {"SUPPORT_DESK_SERVICE_WORKERS": "2", "SUPPORT_DESK_SERVICE_CHAOS_CONTROL": "false"}


def test_chaos_control_needs_a_single_worker() -> None:
    with pytest.raises(ConfigError, match="workers = 1"):
        serve_workers(ServiceSettings(workers=2, chaos_control=True), reference={}, log_level="warning")


_WRITER = """
import sys
from harness.measure import AuditLog
log = AuditLog(sys.argv[1])
for i in range(200):
    log.write(request_id=f"{sys.argv[2]}-{i}", status=200, error=sys.argv[2] * 20000)
log.close()
"""


def test_audit_lines_from_concurrent_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name]) for name in ("a", "b", "c", "d")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0, 0]
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 800
    for doc in lines:  # 20,000 characters a line: far past any stdio buffer
        assert doc["error"] == doc["request_id"][0] * 20000


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)  # a new connection each time: the kernel picks the worker


def _worker_pids(url: str, calls: int = 40) -> set[int]:
    with ThreadPoolExecutor(8) as pool:
        return {r.json()["pid"] for r in pool.map(_get, [f"{url}/health"] * calls) if r.status_code == 200}


def _requests_total(url: str) -> float:
    families = text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=10).text)
    counts = [s for f in families if f.name == "harness_requests" for s in f.samples]
    return sum(s.value for s in counts if s.name.endswith("_total"))


def _chat(url: str, n: int, prefix: str) -> list[int]:
    def one(i: int) -> int:
        headers = {"X-Request-Id": f"{prefix}-{i}"}
        return httpx.post(f"{url}/v1/chat", json=BODY, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


def _wait_ready(url: str, timeout_s: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            resp = _get(f"{url}/health")
            if resp.status_code == 200:
                return dict(resp.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the service did not become ready within {timeout_s} s")


def test_two_workers_share_the_port_the_audit_log_and_the_metrics(tmp_path: Path) -> None:
    env = {**TWO_WORKERS, "SUPPORT_DESK_CACHE__ENABLED": "false"}
    with Stack(tmp_path, proxy=False, llm_args=["--latency", "zero"], system_env=env) as stack:
        url = stack.service_url
        pids = _worker_pids(url)
        assert len(pids) == 2, f"one worker answered all 40 fresh connections: {pids}"
        assert _chat(url, 40, "first") == [200] * 40

        audit = [json.loads(line) for line in (tmp_path / "stack" / "audit.jsonl").read_text().splitlines()]
        assert sorted(d["request_id"] for d in audit) == sorted(f"first-{i}" for i in range(40))
        assert _requests_total(url) == 40  # both workers' counters, summed

        # A worker that dies is replaced; what it counted stays counted.
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _worker_pids(url, 20)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.3)
        assert len(now) == 2 and victim not in now, f"no replacement for worker {victim}: {now}"
        assert _wait_ready(url)["status"] == "ok"
        assert _chat(url, 10, "after") == [200] * 10
        assert _requests_total(url) == 50
        survivors = now
    for pid in survivors:  # the stack stopped them all
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_die_with_their_parent_even_on_sigkill(tmp_path: Path) -> None:
    env = TWO_WORKERS
    with Stack(tmp_path, proxy=False, llm_args=["--latency", "zero"], system_env=env) as stack:
        workers = _worker_pids(stack.service_url)
        assert len(workers) == 2
        parent = next(p.proc for p in stack.processes if p.name == stack.declaration.name)
        assert parent is not None
        os.kill(parent.pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(")")[1].split()[0] == "Z")  # zombie: dead
