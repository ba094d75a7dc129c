"""One managed child process: started in its own process group, logged to a file, always stopped.

Children get PR_SET_PDEATHSIG (Linux), so even a SIGKILL of the harness takes them down; detached
stacks (`harness stack up`) skip it on purpose and are stopped by `harness stack down`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from .._exceptions import StackError
from ..process import die_with_parent

__all__ = ["ManagedProcess", "kill_group", "pid_alive"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); read its state to tell.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def kill_group(pid: int, *, grace_s: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


class ManagedProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        health_url: str,
        env: dict[str, str] | None = None,
        detached: bool = False,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.argv, self.log_path, self.health_url = name, list(argv), log_path, health_url
        self.env, self.detached, self.cwd = env, detached, cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **(self.env or {})},
                cwd=self.cwd,
                preexec_fn=None if self.detached else die_with_parent,
            )
        except FileNotFoundError:
            raise StackError(f"{self.name}: cannot start {self.argv[0]!r}: no such program") from None
        finally:
            log.close()

    def wait_healthy(self, timeout_s: float, ready: Callable[[httpx.Response], bool] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self.proc.returncode} before becoming healthy; "
                    f"see {self.log_path}"
                )
            try:
                resp = httpx.get(self.health_url, timeout=1.0)
                if resp.status_code < 500 and (ready is None or ready(resp)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise StackError(
            f"{self.name} did not become healthy at {self.health_url} within {timeout_s:.0f} s; "
            f"see {self.log_path}"
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        kill_group(self.proc.pid)
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass


def python_argv(*args: str) -> list[str]:
    """Run the harness CLI with the current interpreter, so the stack uses this very venv."""
    return [sys.executable, "-m", "harness", *args]
