"""An embedded OTLP/HTTP trace receiver: `POST /v1/traces` (protobuf or JSON, gzip or not), each
span appended to a `spans.jsonl` as it arrives, `GET /health`.

    with OTLPReceiver("reports/stack/spans.jsonl") as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}   # what a system's SDK reads
        ...
        receiver.wait_for(trace_ids, timeout_s=5)                 # spans are batched: wait

The stack runs one as a process (`harness traces receive`) for a system declared with
`traces = true`; a test can run one in process. Only loopback unless asked: it accepts anything.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._model import Span
from ._otlp import OTLPError, decode

__all__ = ["OTLPReceiver"]

_MAX_BODY = 64 * 1024 * 1024  # an exporter batches 512 spans by default: far below this
_READ_TIMEOUT_S = 10.0  # a body not whole by then is dropped, never held open


class OTLPReceiver:
    def __init__(self, out: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.path = Path(out) if out else None
        self.spans: list[Span] = []
        self.traces: Counter[str] = Counter()
        self.rejected = 0
        self._lock = threading.Condition()
        self._file: IO[str] | None = None
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The base URL an OTel SDK is given (`OTEL_EXPORTER_OTLP_ENDPOINT`): it adds /v1/traces."""
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{'[' + name + ']' if ':' in name else name}:{port}"

    def accept(self, spans: list[Span]) -> None:
        with self._lock:
            if self._file is not None:
                self._file.write("".join(s.model_dump_json() + "\n" for s in spans))
                self._file.flush()
            self.spans.extend(spans)
            self.traces.update(s.trace_id for s in spans)
            self._lock.notify_all()

    def wait_for(self, trace_ids: Iterable[str], timeout_s: float = 5.0, settle_s: float = 0.3) -> set[str]:
        """Wait until each of these traces has spans and none came for `settle_s` (an exporter
        sends a request's spans in more than one batch); returns the ids still without spans."""
        wanted = set(trace_ids)
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                missing = {t for t in wanted if t not in self.traces}
                seen = len(self.spans)
                left = deadline - time.monotonic()
                if left <= 0:
                    return missing
                self._lock.wait(min(left, settle_s))
                if not missing and len(self.spans) == seen:
                    return missing

    def _open(self) -> None:
        if self.path is not None and self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")

    def start(self) -> OTLPReceiver:
        self._open()
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Run in this thread (the `harness traces receive` process); `ready` is called once the
        output file is open, so "receiving" is never said before the file could fail."""
        self._open()
        if ready is not None:
            ready()
        self._server.serve_forever()

    def __enter__(self) -> OTLPReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _handler(receiver: OTLPReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = _READ_TIMEOUT_S

        def do_GET(self) -> None:
            if self.path.split("?")[0] in ("/health", "/"):
                self._reply(200, "application/json", json.dumps({"spans": len(receiver.spans)}).encode())
            else:
                self._reply(404, "application/json", b'{"error": "POST /v1/traces"}')

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/v1/traces":
                self._reply(404, "application/json", b'{"error": "only /v1/traces is received here"}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 <= length <= _MAX_BODY:
                self._reply(413, "application/json", b'{"error": "body too large"}')
                return
            ctype = self.headers.get("Content-Type", "application/x-protobuf")
            try:
                spans = decode(self.rfile.read(length), ctype, self.headers.get("Content-Encoding", ""))
            except OTLPError as exc:
                receiver.rejected += 1
                self._reply(400, "application/json", json.dumps({"error": str(exc)}).encode())
                return
            receiver.accept(spans)
            # An empty ExportTraceServiceResponse: full success, in the sender's own encoding.
            self._reply(
                200, ctype if "json" in ctype else "application/x-protobuf", b"{}" if "json" in ctype else b""
            )

        def _reply(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # one line per export: too many
            pass

    return Handler
