"""The stack: mock LLM server and reference service (later: the proxy between them) on free ports.

    with Stack(reports="reports") as stack:       # waits until every part is healthy
        stack.service_url, stack.llm_url
    # every process is stopped here: after a failure, a timeout or Ctrl-C too

`harness stack up` starts a detached stack and records it in `reports/stack/stack.json`;
`harness stack down` stops what that file names.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from .._exceptions import StackError
from ._process import ManagedProcess, kill_group, pid_alive, python_argv

__all__ = ["Stack", "free_port", "stop_recorded"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_free(host: str, port: int, what: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise StackError(
                f"{what}: port {host}:{port} is already in use; pick another or free it"
            ) from None


class Stack:
    def __init__(
        self,
        reports: str | Path = "reports",
        *,
        host: str = "127.0.0.1",
        llm_port: int = 0,
        service_port: int = 0,
        llm_args: list[str] | None = None,
        reference_env: dict[str, str] | None = None,
        detached: bool = False,
        health_timeout_s: float = 30.0,
    ) -> None:
        self.dir = Path(reports) / "stack"
        self.host, self.detached, self.health_timeout_s = host, detached, health_timeout_s
        self.llm_port = llm_port or free_port(host)
        self.service_port = service_port or free_port(host)
        self.llm_args, self.reference_env = llm_args or [], reference_env or {}
        self.processes: list[ManagedProcess] = []
        self._previous_handlers: dict[int, Any] = {}

    @property
    def llm_url(self) -> str:
        return f"http://{self.host}:{self.llm_port}/v1"

    @property
    def service_url(self) -> str:
        return f"http://{self.host}:{self.service_port}"

    def _parts(self) -> list[ManagedProcess]:
        llm = ManagedProcess(
            "mock LLM server",
            python_argv("llm", "--host", self.host, "--port", str(self.llm_port), *self.llm_args),
            log_path=self.dir / "llm.log",
            health_url=f"http://{self.host}:{self.llm_port}/health",
            detached=self.detached,
        )
        service = ManagedProcess(
            "reference service",
            python_argv(
                "serve",
                "--host",
                self.host,
                "--port",
                str(self.service_port),
                "--llm-base-url",
                self.llm_url,
                "--audit-log",
                str(self.dir / "audit.jsonl"),
            ),
            log_path=self.dir / "service.log",
            health_url=f"{self.service_url}/health",
            env=self.reference_env,
            detached=self.detached,
        )
        return [llm, service]

    def start(self) -> Stack:
        _check_free(self.host, self.llm_port, "mock LLM server")
        _check_free(self.host, self.service_port, "reference service")
        if not self.detached:
            self._trap_signals()
            atexit.register(self.stop)
        try:
            # Start every part at once (each takes seconds to import), then wait for each.
            for part in self._parts():
                self.processes.append(part)
                part.start()
            for part in self.processes:
                part.wait_healthy(self.health_timeout_s)
        except BaseException:
            self.stop()
            raise
        self._record()
        return self

    def stop(self) -> None:
        for part in reversed(self.processes):
            part.stop()
        self.processes.clear()
        self._restore_signals()
        (self.dir / "stack.json").unlink(missing_ok=True)

    def _record(self) -> None:
        doc = {
            "llm_url": self.llm_url,
            "service_url": self.service_url,
            "pids": {p.name: p.pid for p in self.processes},
            "owner_pid": os.getpid(),
        }
        (self.dir / "stack.json").write_text(json.dumps(doc, indent=2) + "\n")

    def _trap_signals(self) -> None:
        # SIGTERM would otherwise end us without running `finally` blocks or atexit hooks.
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stop()
            raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous_handlers[sig] = signal.signal(sig, on_signal)
            except ValueError:  # not the main thread: the atexit hook and pdeathsig still hold
                pass

    def _restore_signals(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def stop_recorded(reports: str | Path = "reports") -> list[str]:
    """Stop the detached stack recorded under `reports/stack/stack.json`; names what was stopped."""
    record = Path(reports) / "stack" / "stack.json"
    if not record.exists():
        return []
    doc = json.loads(record.read_text())
    stopped = []
    for name, pid in doc.get("pids", {}).items():
        if pid and pid_alive(pid):
            kill_group(pid)
            stopped.append(f"{name} (pid {pid})")
    record.unlink(missing_ok=True)
    return stopped
