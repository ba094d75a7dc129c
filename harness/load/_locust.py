"""Locust as subprocesses: one headless process, or a master and N workers on loopback.

Locust monkey-patches the standard library for gevent when imported, so it never runs in our
process: `python -m locust -f harness/load/locustfile.py ...`, configured by flags and the
`HARNESS_LOAD_*` variables the locustfile reads. Every process gets its own process group and
dies with us (PR_SET_PDEATHSIG), and `stop()` ends whatever is left.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .._exceptions import LoadError
from ..process import die_with_parent
from ..stack import free_port
from ._profiles import LoadProfile

__all__ = ["LOCUSTFILE", "LocustProcesses", "locust_env"]

LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")


def locust_env(
    profile: LoadProfile, *, run_id: str, samples: Path, scenarios: Path | None, pyproject: Path | None
) -> dict[str, str]:
    """What the locustfile reads: the declaration, where samples go, the mix, think time, shape,
    the time bound."""
    env = {
        "HARNESS_LOAD_SAMPLES": str(samples),
        "HARNESS_LOAD_RUN_ID": run_id,
        "HARNESS_LOAD_WAIT": f"{profile.wait_s[0]},{profile.wait_s[1]}",
        "HARNESS_LOAD_TIMEOUT_S": str(profile.request_timeout_s),
        "HARNESS_LOAD_MAX_REQUESTS": str(-(-profile.max_requests // max(1, profile.workers))),
        "HARNESS_LOAD_RUN_TIME_S": str(profile.run_time_s),
    }
    if profile.stream:
        env["HARNESS_LOAD_STREAM"] = "1"
    if profile.mix:
        env["HARNESS_LOAD_MIX"] = json.dumps(profile.mix)
    if profile.stages:
        env["HARNESS_LOAD_STAGES"] = json.dumps(profile.stage_table())
    if scenarios is not None:
        env["HARNESS_LOAD_SCENARIOS"] = str(scenarios)
    if pyproject is not None:
        env["HARNESS_PYPROJECT"] = str(pyproject)
    return env


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass


class LocustProcesses:
    """A standalone Locust, or a master and `workers` workers, all headless against `host`."""

    def __init__(self, profile: LoadProfile, *, host: str, folder: Path, env: dict[str, str]) -> None:
        self.profile, self.host, self.folder, self.env = profile, host, folder, env
        self.workers = profile.workers
        self.main: subprocess.Popen[bytes] | None = None
        self.helpers: list[subprocess.Popen[bytes]] = []

    def _common(self) -> list[str]:
        argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", self.host,
                "--stop-timeout", str(math.ceil(self.profile.stop_timeout_s)), "--exit-code-on-error", "0",
                "--only-summary", "--loglevel", "INFO"]  # fmt: skip
        return argv

    def _main_argv(self, port: int) -> list[str]:
        argv = [*self._common(), "--csv", str(self.folder / "locust" / "locust")]
        if not self.profile.stages:  # a staged run takes users from the locustfile's shape
            argv += ["--users", str(self.profile.users), "--spawn-rate", str(self.profile.spawn_rate)]
        if self.workers:
            argv += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                     "--expect-workers", str(self.workers), "--expect-workers-max-wait", "60"]  # fmt: skip
        return argv

    def _spawn(self, argv: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.folder / log_name).open("ab")
        try:
            return subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **self.env}, preexec_fn=die_with_parent,
            )  # fmt: skip
        finally:
            log.close()

    def start(self) -> None:
        (self.folder / "locust").mkdir(parents=True, exist_ok=True)
        port = free_port() if self.workers else 0
        self.main = self._spawn(self._main_argv(port), "locust.log")
        for index in range(self.workers):
            argv = [*self._common(), "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
            self.helpers.append(self._spawn(argv, f"locust-worker-{index + 1}.log"))

    def poll(self) -> int | None:
        assert self.main is not None
        return self.main.poll()

    def hard_limit_s(self) -> float:
        """The longest a healthy run can take: startup, the load, the stop timeout, shutdown."""
        return self.profile.run_time_s + self.profile.stop_timeout_s + 90.0

    def wait(self, started: float) -> int:
        assert self.main is not None
        remaining = self.hard_limit_s() - (time.monotonic() - started)
        try:
            return self.main.wait(timeout=max(0.0, remaining))
        except subprocess.TimeoutExpired:
            self.stop()
            raise LoadError(
                f"locust did not finish within {self.hard_limit_s():.0f} s and was stopped; "
                f"see {self.folder / 'locust.log'}"
            ) from None

    def stop(self) -> None:
        """SIGTERM every process group still alive at once, SIGKILL what is left after 3 s.

        Workers are stopped here, not by the master: after a graceful stop Locust's master no
        longer knows them (all their samples have reached it by then)."""
        procs = [p for p in [*self.helpers, self.main] if p is not None]
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 3.0
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)

    def failure(self, code: int) -> str:
        """One line on why Locust failed: the last line of its log that says so."""
        log = self.folder / "locust.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
        reason = next((ln.strip() for ln in reversed(lines) if "Error" in ln or "error" in ln), "")
        return f"locust exited with code {code}{': ' + reason if reason else ''}; see {log}"
