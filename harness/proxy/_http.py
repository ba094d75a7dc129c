"""A small HTTP/1.1 server on asyncio streams and h11, with exact control of every byte.

Frameworks add headers, reason phrases and error pages of their own; clients of
Toxiproxy compare statuses and bodies, so this writes only what a handler returns,
plus `Date` and `Content-Length` as Go's net/http does. Timeouts follow the real
server: 15 s to read a request, 30 s to write the answer, 60 s idle between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate

import h11

__all__ = ["HttpServer", "Request", "Response"]

log = logging.getLogger("harness.proxy")

READ_TIMEOUT = 15.0
WRITE_TIMEOUT = 30.0
IDLE_TIMEOUT = 60.0
MAX_BODY = 16 * 1024 * 1024  # far above any real Toxiproxy request; guards memory


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Awaitable[Response]]


class _Closed(Exception):
    """The peer went away or timed out between requests: close quietly."""


class HttpServer:
    """Serves `handler` on one address; `close()` drops every open connection."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, host, port, reuse_address=True)
        address = self._server.sockets[0].getsockname()
        return str(address[0]), int(address[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while await self._one_exchange(conn, reader, writer):
                conn.start_next_cycle()
        except (_Closed, OSError, h11.LocalProtocolError):
            pass
        except h11.RemoteProtocolError as err:
            await _bad_request(conn, writer, err)
        except asyncio.CancelledError:
            # The server is closing. End normally: asyncio's streams report a
            # cancelled connection task as an error in 3.11.
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one_exchange(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read one request, answer it; whether the connection may carry another."""
        request = await _read_request(conn, reader, writer)
        response = await self._handler(request)
        await _send(conn, writer, request, response)
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request:
    request: Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            await _receive(conn, reader, IDLE_TIMEOUT if request is None else READ_TIMEOUT)
        elif isinstance(event, h11.Request):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
            request = Request(event.method.decode(), event.target.decode("latin-1"), headers)
            if conn.they_are_waiting_for_100_continue:  # as Go does once a handler reads the body
                writer.write(
                    conn.send(h11.InformationalResponse(status_code=100, headers=[], reason="Continue"))
                    or b""
                )
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY:
                raise h11.RemoteProtocolError("request body too large", error_status_hint=413)
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            request.body = bytes(body)
            return request
        else:  # ConnectionClosed, or PAUSED after a protocol switch we never allow
            raise _Closed


async def _receive(conn: h11.Connection, reader: asyncio.StreamReader, timeout: float) -> None:
    try:
        data = await asyncio.wait_for(reader.read(65536), timeout)
    except TimeoutError:
        raise _Closed from None
    conn.receive_data(data)


async def _send(
    conn: h11.Connection, writer: asyncio.StreamWriter, request: Request, response: Response
) -> None:
    headers = sorted(response.headers)
    headers.append(("Date", formatdate(usegmt=True)))
    if response.status not in (204, 304):
        headers.append(("Content-Length", str(len(response.body))))
    reason = http.HTTPStatus(response.status).phrase
    data = conn.send(h11.Response(status_code=response.status, headers=headers, reason=reason))
    if response.body and request.method != "HEAD":
        data = (data or b"") + (conn.send(h11.Data(data=response.body)) or b"")
    data = (data or b"") + (conn.send(h11.EndOfMessage()) or b"")
    writer.write(data)
    try:
        await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)
    except TimeoutError:
        raise _Closed from None


async def _bad_request(
    conn: h11.Connection, writer: asyncio.StreamWriter, err: h11.RemoteProtocolError
) -> None:
    """Answer a malformed request as Go does: a plain-text 4xx, then close."""
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    status = err.error_status_hint
    reason = http.HTTPStatus(status).phrase
    body = f"{status} {reason}".encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Connection", "close"),
        ("Content-Length", str(len(body))),
    ]
    with contextlib.suppress(h11.LocalProtocolError, OSError):
        writer.write(conn.send(h11.Response(status_code=status, headers=headers, reason=reason)) or b"")
        writer.write(conn.send(h11.Data(data=body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
    log.debug("bad HTTP request: %s", err)
