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
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx

from .._exceptions import StackError
from ._ports import bindable, check_free, free_port
from ._process import ManagedProcess, kill_group, pid_alive, python_argv

__all__ = ["Stack", "free_port", "stop_recorded"]


class Stack:
    """Mock LLM server, Toxiproxy-compatible proxy and reference service, wired in that order:
    service -> proxy (listen `proxy_port`) -> mock LLM. With `proxy=False` the service calls the
    mock LLM directly."""

    def __init__(
        self,
        reports: str | Path = "reports",
        *,
        host: str = "127.0.0.1",
        llm_port: int = 0,
        service_port: int = 0,
        proxy: bool = True,
        llm_args: list[str] | None = None,
        reference_env: dict[str, str] | None = None,
        detached: bool = False,
        health_timeout_s: float = 30.0,
    ) -> None:
        self.dir = Path(reports) / "stack"
        self.host, self.detached, self.health_timeout_s = host, detached, health_timeout_s
        self.llm_port = llm_port or free_port(host)
        self.service_port = service_port or free_port(host)
        self._chosen = {"llm_port": bool(llm_port), "service_port": bool(service_port)}
        self.with_proxy = proxy
        self.proxy_api_port = free_port(host) if proxy else 0
        self.proxy_port = free_port(host) if proxy else 0
        self.llm_args = llm_args or []
        # The stack is a test bed: the service exposes its chaos control API, which switches faults
        # in one process, so not when the service runs several workers (load runs).
        env = reference_env or {}
        control = {} if env.get("HARNESS_SERVICE_WORKERS", "1").strip() not in ("", "1") else {
            "HARNESS_SERVICE_CHAOS_CONTROL": "true"
        }
        self.reference_env = {**control, **env}
        self.processes: list[ManagedProcess] = []
        self._previous_handlers: dict[int, Any] = {}

    @property
    def llm_url(self) -> str:
        """The mock LLM itself (its control API is at the root of this URL)."""
        return f"http://{self.host}:{self.llm_port}/v1"

    @property
    def service_llm_url(self) -> str:
        """What the service calls: through the proxy when there is one."""
        return f"http://{self.host}:{self.proxy_port}/v1" if self.with_proxy else self.llm_url

    @property
    def proxy_api_url(self) -> str:
        return f"http://{self.host}:{self.proxy_api_port}"

    @property
    def service_url(self) -> str:
        return f"http://{self.host}:{self.service_port}"

    def _part(
        self, name: str, argv: list[str], log: str, health: str, env: dict[str, str] | None = None
    ) -> ManagedProcess:
        return ManagedProcess(
            name,
            python_argv(*argv),
            log_path=self.dir / log,
            health_url=health,
            env=env,
            detached=self.detached,
        )

    def _parts(self) -> list[ManagedProcess]:
        h = self.host
        parts = [
            self._part(
                "mock LLM server",
                ["llm", "--host", h, "--port", str(self.llm_port), *self.llm_args],
                "llm.log",
                f"http://{h}:{self.llm_port}/health",
            )
        ]
        if self.with_proxy:
            parts.append(
                self._part(
                    "proxy",
                    ["proxy", "--host", h, "--port", str(self.proxy_api_port)],
                    "proxy.log",
                    f"{self.proxy_api_url}/version",
                )
            )
        parts.append(
            self._part(
                "reference service",
                [
                    "serve",
                    "--host",
                    h,
                    "--port",
                    str(self.service_port),
                    "--llm-base-url",
                    self.service_llm_url,
                    "--audit-log",
                    str(self.dir / "audit.jsonl"),
                ],
                "service.log",
                f"{self.service_url}/health",
                env=self.reference_env,
            )
        )
        return parts

    def start(self) -> Stack:
        for attr, what in (
            ("llm_port", "mock LLM server"),
            ("service_port", "reference service"),
            ("proxy_api_port", "proxy"),
            ("proxy_port", "proxy listener"),
        ):
            port = getattr(self, attr)
            # Picked by us, then taken by someone else since: pick again, the caller never
            # asked for this one (tried a few times: CI saw such a clash twice, cause unknown).
            for _ in range(5 if port and not self._chosen.get(attr) else 0):
                if bindable(self.host, port) and bindable(self.host, port, reuse_addr=True):
                    break
                setattr(self, attr, port := free_port(self.host))
            if port:
                check_free(self.host, port, what)
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
                if part.name == "proxy":
                    self._route_llm_through_proxy()
        except BaseException:
            self.stop()
            raise
        self._record()
        return self

    def _route_llm_through_proxy(self) -> None:
        body = {
            "name": "llm",
            "listen": f"{self.host}:{self.proxy_port}",
            "upstream": f"{self.host}:{self.llm_port}",
            "enabled": True,
        }
        resp = httpx.post(f"{self.proxy_api_url}/proxies", json=body, timeout=5)
        if resp.status_code != 201:
            raise StackError(
                f"proxy: cannot create the 'llm' proxy ({resp.status_code} {resp.text.strip()}); "
                f"see {self.dir / 'proxy.log'}"
            )

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
            "service_llm_url": self.service_llm_url,
            "proxy_api_url": self.proxy_api_url if self.with_proxy else None,
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
