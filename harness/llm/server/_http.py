"""A small HTTP/1.1 server on `asyncio.Protocol`: keep-alive, Content-Length bodies, SSE.

Why not uvicorn: a framework stack spends ~1 ms per request in Python; this one spends a
few tens of microseconds, which is what lets one process answer thousands of requests per
second on a small machine. It speaks just enough HTTP/1.1 for LLM clients: requests with a
Content-Length body (no chunked uploads), one request at a time per connection (pipelined
requests wait in the buffer), answers with a Content-Length body or a stream of events
(chunked for HTTP/1.1, close-delimited for HTTP/1.0).

The handler is called with a `Request` and returns a reply, or an awaitable of one when it
has to wait (latency, a hang): the fast path never creates a task.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterable
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from typing import Any

from ._io import Connection
from ._messages import Close, Handler, Reply, Request, Response, StreamResponse

__all__ = ["HttpProtocol", "make_protocol"]

log = logging.getLogger("harness.llm.server")

MAX_HEAD = 64 * 1024  # request line + headers
MAX_BODY = 32 * 1024 * 1024


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    # Formatting a date costs more than the rest of a small response: once a second is enough.
    global _date_cache
    now = int(asyncio.get_running_loop().time())  # monotonic: only used to expire the cache
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(usegmt=True))
    return _date_cache[1]


_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}" for s in HTTPStatus}


def _head(status: int, content_type: str, extra: Iterable[tuple[str, str]], framing: str) -> bytes:
    status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} "
    lines = [status_line, "Server: harness-mock-llm", f"Date: {_http_date()}"]
    lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{name}: {value}" for name, value in extra)
    lines.append(framing)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise _BadRequest(400, f"bad request line {lines[0][:80]!r}") from None
    if not version.startswith("HTTP/1."):
        raise _BadRequest(505, f"unsupported HTTP version {version[:20]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(400, f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return method, target, version, headers


def _keep_alive(version: str, headers: dict[str, str]) -> bool:
    token = headers.get("connection", "").lower()
    return token != "close" if version == "HTTP/1.1" else token == "keep-alive"


class HttpProtocol(asyncio.Protocol):
    """One client connection: parse, call the handler, write, repeat."""

    def __init__(self, handler: Handler, connections: set[HttpProtocol]) -> None:
        self._handler = handler
        self._connections = connections
        self._buf = bytearray()
        self._conn: Connection | None = None
        self._busy = False  # a reply is pending: later requests wait in the buffer
        self._task: asyncio.Task[None] | None = None
        self._continued = False  # "100 Continue" sent for the request being read
        self._local = ""  # the server address this connection reached

    # -- asyncio callbacks ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._conn = Connection(transport)
        self._connections.add(self)
        sockname = transport.get_extra_info("sockname")
        self._local = str(sockname[0]) if isinstance(sockname, tuple) else ""

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        if self._conn is not None:
            self._conn.lost()
        if self._task is not None:
            self._task.cancel()  # a held (hanging) or slow reply: the client gave up

    def pause_writing(self) -> None:
        if self._conn is not None:
            self._conn.pause()

    def resume_writing(self) -> None:
        if self._conn is not None:
            self._conn.resume()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._busy:
            self._serve_buffered()

    def abort(self) -> None:
        if self._conn is not None:
            self._conn.abort()

    # -- request loop -----------------------------------------------------------------
    def _serve_buffered(self) -> None:
        conn = self._conn
        while conn is not None and not conn.closed and not self._busy:
            try:
                parsed = self._next_request()
            except _BadRequest as exc:
                self._write(Response(exc.status, str(exc).encode(), "text/plain"), keep_alive=False)
                return
            if parsed is None:
                return
            request, keep_alive = parsed
            try:
                reply = self._handler(request)
            except Exception:
                log.exception("handler failed on %s %s", request.method, request.path)
                reply = Response(500, b"internal error", "text/plain")
            if isinstance(reply, StreamResponse) and not isinstance(reply.events, AsyncIterable):
                if not self._stream_now(reply, keep_alive):
                    return
                continue
            if inspect.isawaitable(reply) or isinstance(reply, StreamResponse):
                self._busy = True
                self._task = asyncio.get_running_loop().create_task(self._finish(reply, keep_alive))
                if inspect.iscoroutine(reply):
                    # Cancelled before its first step (the client left at once), the task never
                    # awaits `reply`: closing it spares a "never awaited" warning.
                    self._task.add_done_callback(partial(_close_coroutine, reply))
                return
            assert isinstance(reply, Response | Close)
            self._write(reply, keep_alive)

    def _next_request(self) -> tuple[Request, bool] | None:
        buf = self._buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                raise _BadRequest(431, "request head too large")
            return None
        method, target, version, headers = _parse_head(bytes(buf[:end]))
        if "transfer-encoding" in headers:
            raise _BadRequest(501, "chunked request bodies are not supported; send Content-Length")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise _BadRequest(400, "bad Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise _BadRequest(413, f"body of {length} bytes; the limit is {MAX_BODY}")
        total = end + 4 + length
        if len(buf) < total:
            self._send_continue(headers)
            return None
        body = bytes(buf[end + 4 : total])
        del buf[:total]
        self._continued = False
        path, _, query = target.partition("?")
        return Request(method, path, query, headers, body, self._local), _keep_alive(version, headers)

    def _send_continue(self, headers: dict[str, str]) -> None:
        # curl waits a second for this before sending a body over 1 KiB.
        if not self._continued and headers.get("expect", "").lower() == "100-continue":
            self._continued = True
            if self._conn is not None:
                self._conn.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def _finish(self, pending: Awaitable[Reply] | StreamResponse, keep_alive: bool) -> None:
        try:
            reply = pending if isinstance(pending, StreamResponse) else await pending
            if isinstance(reply, StreamResponse) and isinstance(reply.events, AsyncIterable):
                keep_alive = await self._stream(reply, keep_alive)
            elif isinstance(reply, StreamResponse):
                keep_alive = self._stream_now(reply, keep_alive)
            else:
                self._write(reply, keep_alive)
        except (asyncio.CancelledError, ConnectionError):
            return  # the connection is gone
        except Exception:
            log.exception("reply failed")
            self.abort()
            return
        finally:
            self._task = None
        self._busy = False
        if keep_alive:
            self._serve_buffered()

    # -- writing ----------------------------------------------------------------------
    def _write(self, reply: Response | Close, keep_alive: bool) -> None:
        conn = self._conn
        if conn is None:
            return
        if isinstance(reply, Close):
            conn.close()
            return
        cut = reply.declared_length is not None and reply.declared_length > len(reply.body)
        length = reply.declared_length if cut else len(reply.body)
        keep_alive = keep_alive and not cut
        framing = f"Content-Length: {length}\r\nConnection: {'keep-alive' if keep_alive else 'close'}"
        conn.write(_head(reply.status, reply.content_type, reply.headers, framing) + reply.body)
        if cut:
            # A clean close, not a reset: the client reads the half body, then an early EOF.
            conn.close()
        elif not keep_alive:
            conn.close()

    def _stream_head(self, reply: StreamResponse, keep_alive: bool) -> bytes:
        # Chunked even when truncating: a cut chunked body is an error the client can see,
        # while a close-delimited one just ends.
        framing = "Connection: close"
        if keep_alive:
            framing = "Transfer-Encoding: chunked\r\nConnection: keep-alive"
        extra = (("Cache-Control", "no-cache"), *reply.headers)
        return _head(reply.status, reply.content_type, extra, framing)

    def _stream_now(self, reply: StreamResponse, keep_alive: bool) -> bool:
        """Write events that are all ready at once (no latency), in one write."""
        assert self._conn is not None and not isinstance(reply.events, AsyncIterable)
        frame = _chunk if keep_alive else _raw
        self._conn.write(self._stream_head(reply, keep_alive) + b"".join(frame(e) for e in reply.events))
        return self._end_stream(reply, keep_alive)

    async def _stream(self, reply: StreamResponse, keep_alive: bool) -> bool:
        """Write events as they come; chunked when the connection stays open. Returns keep-alive."""
        conn = self._conn
        assert conn is not None and isinstance(reply.events, AsyncIterable)
        conn.write(self._stream_head(reply, keep_alive))
        frame = _chunk if keep_alive else _raw
        events = reply.events
        try:
            async for event in events:
                await conn.drain()
                conn.write(frame(event))
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:  # an async generator cut off by a disconnect ends here, now
                await aclose()
        return self._end_stream(reply, keep_alive)

    def _end_stream(self, reply: StreamResponse, chunked: bool) -> bool:
        conn = self._conn
        assert conn is not None
        if reply.truncate:
            conn.close()  # mid-body: the client reads what was sent, then an early EOF
            return False
        if chunked:
            conn.write(b"0\r\n\r\n")
            return True
        conn.close()
        return False


def _close_coroutine(coro: Coroutine[Any, Any, Any], _: object) -> None:
    coro.close()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _raw(data: bytes) -> bytes:
    return data


def make_protocol(handler: Handler, connections: set[HttpProtocol]) -> Callable[[], HttpProtocol]:
    """A protocol factory for `loop.create_server`; `connections` tracks the open ones."""
    return lambda: HttpProtocol(handler, connections)
