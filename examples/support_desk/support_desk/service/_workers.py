"""Several service processes on one port (`harness serve --workers N`, `[tool.support_desk.service] workers`).

Why: the reference system spends several ms of CPU per request on one event loop (LangGraph's
supersteps, two HTTP calls, FastAPI), so at 50 concurrent users a request waits behind the CPU
bursts of others. On two cores, two workers cut the P95 gap between end-to-end latency and the
LLM critical path from 22.3 to 12.4 ms, and the P95 of per-request overhead from ~38 to ~21 ms
(medians of three 60 s runs each, `benchmarks/load_fidelity.py --service-workers 1|2`).

Each worker is a fresh interpreter (`python -m support_desk.service._workers`) so that Prometheus
multiprocess mode is on before `prometheus_client` is imported. Each gets a listening socket of
its own on the shared port (SO_REUSEPORT): the kernel spreads new connections evenly, where one
shared socket lets whichever worker wakes first accept a whole burst of keep-alive connections.
(That spreading is Linux's; other systems accept SO_REUSEPORT without balancing by it.)

Per worker, as in any pre-fork deployment: breakers, cache, LLM rate limiters and handoff
faults (so chaos control needs one worker); the API rate limit is divided among the workers.
Shared: the audit log (one `write()` per line on an O_APPEND file) and the metrics (counters and
histograms summed over workers; the breaker gauge reports the worst live worker). `/health`
answers 503 "starting" until every worker listens, so nobody's first connections pile on one.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import ConfigError
from harness.process import die_with_parent

from .._errors import ServiceError
from ._settings import ServiceSettings

__all__ = ["serve_workers"]

_SPEC_ENV = "_SUPPORT_DESK_SERVICE_WORKER_SPEC"
_FD_ENV = "_SUPPORT_DESK_SERVICE_WORKER_FD"
_READY_PREFIX = "ready-"
_STOP_GRACE_S = 8.0
log = logging.getLogger("support_desk.service")


def serve_workers(settings: ServiceSettings, *, reference: dict[str, Any], log_level: str) -> None:
    """Run `settings.workers` service processes until SIGTERM or SIGINT; restart any that dies."""
    if settings.chaos_control:
        raise ConfigError(
            "chaos_control switches handoff faults in one process only; run the service with "
            "workers = 1 for chaos runs"
        )
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ConfigError("workers > 1 needs SO_REUSEPORT, which this platform lacks; use workers = 1")
    with tempfile.TemporaryDirectory(prefix="harness-service-") as shared:
        sockets = _listeners(settings.host, settings.port, settings.workers)
        spec = {
            "settings": settings.model_dump(mode="json"),
            "reference": reference,
            "log_level": log_level,
            "shared": shared,
        }
        _Pool(sockets, spec).run()


def _listeners(host: str, port: int, n: int) -> list[socket.socket]:
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    out: list[socket.socket] = []
    for _ in range(n):
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Accepted connections inherit it. Without it Nagle holds a response's last small write
        # until the client's delayed ACK: +40 ms a request (uvicorn's own `workers` has this).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(addr)
        addr = sock.getsockname()  # port 0: the others join the port the first one got
        sock.set_inheritable(True)
        out.append(sock)  # not listening yet: a worker's server listens once it is ready
    return out


class _Pool:
    def __init__(self, sockets: list[socket.socket], spec: dict[str, Any]) -> None:
        self.sockets, self.spec = sockets, spec
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        fd = self.sockets[index].fileno()
        env = {
            **os.environ,
            _SPEC_ENV: json.dumps(self.spec),
            _FD_ENV: str(fd),
            "PROMETHEUS_MULTIPROC_DIR": self.spec["shared"],
        }
        return subprocess.Popen(
            [sys.executable, "-m", "support_desk.service._workers"],
            pass_fds=(fd,),
            env=env,
            # A group of their own: Ctrl-C or a stack's killpg reaches only this parent, which
            # sends each worker one SIGTERM (a second would make uvicorn drop requests in flight).
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping = True

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.procs = [self._spawn(i) for i in range(len(self.sockets))]
        try:
            while not self.stopping:
                for i, proc in enumerate(self.procs):
                    if proc.poll() is not None and not self.stopping:
                        self.procs[i] = self._replace(i, proc)
                time.sleep(0.2)
        finally:
            self._stop_all()

    def _replace(self, index: int, dead: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        ready = Path(self.spec["shared"], f"{_READY_PREFIX}{dead.pid}")
        if not ready.exists():  # died before it ever served: restarting would only loop
            raise ServiceError(
                f"service worker {index} exited with code {dead.returncode} before it was ready; "
                "its error is in the service log above"
            )
        ready.unlink()
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(dead.pid, self.spec["shared"])  # type: ignore[no-untyped-call]
        log.warning("service worker %d (pid %d) exited (%s); restarting", index, dead.pid, dead.returncode)
        return self._spawn(index)

    def _stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def ready_workers(shared: str) -> int:
    return sum(1 for p in Path(shared).iterdir() if p.name.startswith(_READY_PREFIX))


def _worker_main() -> None:
    """One worker: build the app, serve on the inherited socket, mark itself ready once listening."""
    spec = json.loads(os.environ[_SPEC_ENV])
    import uvicorn

    from harness.process import freeze_startup_objects

    from .._logging import configure_logging
    from ._app import create_app, served_system
    from ._serve import uvicorn_config

    configure_logging(logging.INFO)
    settings = _per_worker(ServiceSettings.model_validate(spec["settings"]))
    shared, workers = spec["shared"], settings.workers

    def starting() -> str | None:
        ready = ready_workers(shared)
        return None if ready >= workers else f"{ready} of {workers} workers ready"

    app = create_app(served_system(spec["reference"]), settings, starting=starting)
    freeze_startup_objects()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # listening now
                Path(shared, f"{_READY_PREFIX}{os.getpid()}").touch()

    Server(uvicorn_config(app, settings, log_level=spec["log_level"])).run(
        sockets=[socket.socket(fileno=int(os.environ[_FD_ENV]))]
    )


def _per_worker(settings: ServiceSettings) -> ServiceSettings:
    """The API rate limit is the service's: each of n workers enforces 1/n of it."""
    n = settings.workers
    burst = max(1, -(-settings.burst // n))  # rounded up: never below one request
    rate = settings.requests_per_second / n
    return settings.model_copy(update={"requests_per_second": rate, "burst": burst})


if __name__ == "__main__":
    _worker_main()
