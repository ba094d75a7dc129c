"""The stack: the mock LLM server, the Toxiproxy-compatible proxy and the system under test, on
free ports, wired system -> proxy -> mock LLM.

    with Stack(reports="reports") as stack:       # waits until every part is healthy
        stack.service_url, stack.llm_url
    # every process is stopped here: after a failure, a timeout or Ctrl-C too

The system comes from the declaration (`[tool.harness.system.serve]`): its command, its env, its
health path, and the env var through which it is given its LLM's base URL (the proxy's). The mock
LLM answers with the declared `brain`. Only the system binds `host`: the mock LLM (its control API),
the proxy's API and its listener bind `control_host`, loopback unless asked, and a stack bound
beyond loopback says so on stderr. `harness stack up` starts a detached stack and records it in
`reports/stack/stack.json` (`StackRecord`); `harness stack down` stops what that file names.
"""

from __future__ import annotations

import atexit
import os
import signal
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, ClassVar

import httpx

from .._exceptions import HarnessError, StackError
from .._files import TypedFile
from ..process import connect_host, warn_if_exposed
from ..sut import SystemDeclaration, load_declaration
from ._faults_journal import JOURNAL
from ._ports import bindable, check_free, free_port
from ._process import ManagedProcess, kill_group, pid_alive, python_argv

__all__ = ["Stack", "StackRecord", "free_port", "read_record", "stop_recorded"]


class StackRecord(TypedFile):
    """`stack.json`: a running stack, for `harness stack down` and for tiers that attach to it."""

    SCHEMA: ClassVar[str] = "harness.stack/1"
    ERROR: ClassVar[type[HarnessError]] = StackError
    FIX: ClassVar[str] = "start a stack: harness stack up"

    system: str
    llm_url: str
    service_url: str | None
    service_llm_url: str
    proxy_api_url: str | None
    audit_log: str | None
    pids: dict[str, int | None]
    owner_pid: int
    spans: str | None = None  # the spans.jsonl the stack's OTLP receiver appends to
    otlp_url: str | None = None


def read_record(path: str | Path) -> StackRecord:
    """The `stack.json` at `path` (or in the folder `path`); one-line StackError when it is not one."""
    path = Path(path)
    return StackRecord.read(path / "stack.json" if path.is_dir() else path)


class Stack:
    """Mock LLM server, Toxiproxy-compatible proxy and the declared system, wired in that order:
    system -> proxy (listen `proxy_port`) -> mock LLM. With `proxy=False` the system calls the
    mock LLM directly; a declaration without `serve` gives a stack of the mock LLM (and proxy) alone."""

    def __init__(
        self,
        reports: str | Path = "reports",
        *,
        host: str = "127.0.0.1",
        control_host: str = "127.0.0.1",
        llm_port: int = 0,
        service_port: int = 0,
        proxy: bool = True,
        llm_args: list[str] | None = None,
        system_env: dict[str, str] | None = None,
        declaration: SystemDeclaration | None = None,
        detached: bool = False,
        health_timeout_s: float = 30.0,
    ) -> None:
        self.declaration = declaration or load_declaration()
        self.dir = Path(reports) / "stack"
        self.host, self.detached, self.health_timeout_s = host, detached, health_timeout_s
        self.control_host = control_host
        self.llm_port = llm_port or free_port(control_host)
        self.service_port = service_port or free_port(host)
        self._chosen = {"llm_port": bool(llm_port), "service_port": bool(service_port)}
        self.with_proxy = proxy
        self.proxy_api_port = free_port(control_host) if proxy else 0
        self.proxy_port = free_port(control_host) if proxy else 0
        self.otlp_port = free_port(control_host) if self.traced else 0
        self.llm_args = [*self.declaration.mock_llm_args(), *(llm_args or [])]
        self.system_env = dict(system_env or {})
        self.processes: list[ManagedProcess] = []
        self._previous_handlers: dict[int, Any] = {}

    @property
    def _control(self) -> str:
        return connect_host(self.control_host)

    @property
    def llm_url(self) -> str:
        """The mock LLM itself (its control API is at the root of this URL)."""
        return f"http://{self._control}:{self.llm_port}/v1"

    @property
    def service_llm_url(self) -> str:
        """What the service calls: through the proxy when there is one."""
        return f"http://{self._control}:{self.proxy_port}/v1" if self.with_proxy else self.llm_url

    @property
    def proxy_api_url(self) -> str:
        return f"http://{self._control}:{self.proxy_api_port}"

    @property
    def service_url(self) -> str:
        return f"http://{connect_host(self.host)}:{self.service_port}"

    @property
    def with_system(self) -> bool:
        return self.declaration.serve is not None

    @property
    def traced(self) -> bool:
        """Whether the declared system exports spans, and the stack receives them."""
        serve = self.declaration.serve
        return serve is not None and serve.traces

    @property
    def otlp_url(self) -> str:
        return f"http://{self._control}:{self.otlp_port}"

    @property
    def spans(self) -> Path | None:
        """The spans.jsonl the stack's receiver appends the system's spans to."""
        return self.dir / "spans.jsonl" if self.traced else None

    def otel_env(self) -> dict[str, str]:
        """The standard variables every OTel SDK reads: where to export, quickly, and as whom."""
        if not self.traced:
            return {}
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": self.declaration.name,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the receiver soon after the reply
            "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        }

    @property
    def audit_log(self) -> Path | None:
        """Where the system writes the harness audit log, if its declaration says it does."""
        serve = self.declaration.serve
        return self.dir / "audit.jsonl" if serve is not None and serve.writes_audit_log else None

    def _system_part(self) -> ManagedProcess:
        serve = self.declaration.serve
        assert serve is not None
        audit = self.audit_log
        argv, env = self.declaration.command(
            host=self.host,
            port=str(self.service_port),
            llm_base_url=self.service_llm_url,
            audit_log=str(audit) if audit else "",
        )
        return ManagedProcess(
            self.declaration.name,
            argv,
            log_path=self.dir / "service.log",
            health_url=f"{self.service_url}{serve.health}",
            env={**env, **self.otel_env(), **self.system_env},
            detached=self.detached,
            cwd=self.declaration.root,  # where its own modules are, wherever the harness runs from
        )

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
        h = self.control_host
        llm = ["llm", "--host", h, "--control-host", h, "--port", str(self.llm_port), *self.llm_args]
        parts = [
            self._part(
                "mock LLM server",
                llm,
                "llm.log",
                f"http://{self._control}:{self.llm_port}/health",
                # A brain played from the scenarios reads the same declaration as this stack.
                env={"HARNESS_PYPROJECT": str(self.declaration.source)} if self.declaration.source else None,
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
        if self.traced and self.spans is not None:
            receive = [
                "traces",
                "receive",
                "--host",
                h,
                "--port",
                str(self.otlp_port),
                "--out",
                str(self.spans),
            ]
            parts.append(self._part("OTLP receiver", receive, "otlp.log", f"{self.otlp_url}/health"))
        if self.with_system:
            parts.append(self._system_part())
        return parts

    def _refuse_a_running_one(self) -> None:
        """Another stack recorded in this folder and still alive: starting would orphan it (its
        processes would run on, two stacks appending to one audit log)."""
        path = self.dir / "stack.json"
        try:
            record = read_record(path) if path.exists() else None
        except HarnessError:
            return  # not a record: nothing it names can be stopped, so nothing is orphaned
        alive = [
            f"{name} pid {pid}"
            for name, pid in (record.pids if record else {}).items()
            if pid and pid_alive(pid)
        ]
        if alive:
            reports = self.dir.parent
            raise StackError(
                f"{path}: a stack is already running here ({', '.join(alive)}); stop it with "
                f"`harness stack down --reports {reports}`, or give another --reports"
            )

    def start(self) -> Stack:
        self._refuse_a_running_one()
        self._warn_exposed()
        if self.spans is not None:  # another run's spans: not this stack's
            self.spans.unlink(missing_ok=True)
        for attr, what, host in (
            ("llm_port", "mock LLM server", self.control_host),
            ("service_port", self.declaration.name, self.host),
            ("proxy_api_port", "proxy", self.control_host),
            ("proxy_port", "proxy listener", self.control_host),
            ("otlp_port", "OTLP receiver", self.control_host),
        ):
            port = getattr(self, attr)
            # Picked by us, then taken by someone else since: pick again, the caller never
            # asked for this one (tried a few times: CI saw such a clash twice, cause unknown).
            for _ in range(5 if port and not self._chosen.get(attr) else 0):
                if bindable(host, port) and bindable(host, port, reuse_addr=True):
                    break
                setattr(self, attr, port := free_port(host))
            if port:
                check_free(host, port, what)
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

    def _warn_exposed(self) -> None:
        if self.with_system:
            name, kept = self.declaration.name, f"the mock LLM and the proxy stay on {self.control_host}"
            warn_if_exposed(self.host, f"{name} is reachable from other hosts ({kept})", prog="harness stack")
        what = "the mock LLM (its fault-control API too)" + (
            " and the proxy's API" if self.with_proxy else ""
        )
        warn_if_exposed(self.control_host, f"{what} reachable from other hosts", prog="harness stack")

    def _route_llm_through_proxy(self) -> None:
        body = {
            "name": "llm",
            "listen": f"{self.control_host}:{self.proxy_port}",
            "upstream": f"{self._control}:{self.llm_port}",
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

    def record(self) -> StackRecord:
        return StackRecord(
            system=self.declaration.name,
            llm_url=self.llm_url,
            service_url=self.service_url if self.with_system else None,
            service_llm_url=self.service_llm_url,
            proxy_api_url=self.proxy_api_url if self.with_proxy else None,
            audit_log=str(self.audit_log) if self.audit_log else None,
            pids={p.name: p.pid for p in self.processes},
            owner_pid=os.getpid(),
            spans=str(self.spans) if self.spans else None,
            otlp_url=self.otlp_url if self.traced else None,
        )

    def _record(self) -> None:
        (self.dir / JOURNAL).unlink(missing_ok=True)  # a stopped stack's faults: not this one's
        self.record().write(self.dir / "stack.json")

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
    doc = read_record(record)
    stopped = []
    for name, pid in doc.pids.items():
        if pid and pid_alive(pid):
            kill_group(pid)
            stopped.append(f"{name} (pid {pid})")
    record.unlink(missing_ok=True)
    for name in (JOURNAL, f".{JOURNAL}.lock"):  # its fault journal: gone with the stack
        (record.parent / name).unlink(missing_ok=True)
    return stopped
