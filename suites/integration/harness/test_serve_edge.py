"""`harness serve`'s edge: every request audited once, every error `{error, retriable}`, and the
read of a request bounded in size and time."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness._serve import serve_app, uvicorn_server
from harness.sut import CallableSystem

pytestmark = pytest.mark.harness_self


async def answer(query: str) -> dict[str, Any]:
    return {"answer": query, "route": "desk"}


MALFORMED = [
    ("POST", "/", b"{oops", 422),
    ("POST", "/", b"", 422),
    ("POST", "/", b'{"query": "\xff"}', 422),
    ("POST", "/", b"x" * 5000, 413),
    ("GET", "/", b"", 405),
    ("POST", "/ask", b'{"query": "hi"}', 404),
    ("PATCH", "/", b"{}", 405),
]


async def test_every_request_is_audited_once_and_every_error_has_the_shape(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    app = serve_app(CallableSystem(answer), name="desk", audit_log=log, max_body_bytes=4096)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://served") as client:
        for i, (method, path, body, status) in enumerate(MALFORMED):
            resp = await client.request(method, path, content=body, headers={"x-request-id": f"r-{i}"})
            assert resp.status_code == status, (method, path, resp.text)
            doc = resp.json()
            assert isinstance(doc["error"], str) and doc["error"] and doc["retriable"] is False, doc
        assert (await client.get("/health")).status_code == 200  # a probe: not a request of the API
    lines = [json.loads(line) for line in log.read_text().split("\n") if line]
    assert [(d["request_id"], d["status"]) for d in lines] == [
        (f"r-{i}", status) for i, (*_, status) in enumerate(MALFORMED)
    ]


@contextmanager
def _served(tmp_path: Path, **bounds: Any) -> Iterator[tuple[int, Path]]:
    log = tmp_path / "audit.jsonl"
    server = uvicorn_server(serve_app(CallableSystem(answer), audit_log=log, **bounds), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, name="served", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield server.servers[0].sockets[0].getsockname()[1], log
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_a_half_sent_body_gets_408_and_its_connection_closed(tmp_path: Path) -> None:
    with _served(tmp_path, read_timeout_s=0.5) as (port, log):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: s\r\nX-Request-Id: slow-1\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"query":"'
            )
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        took = time.monotonic() - started
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower(), reply
    assert 0.5 <= took < 2.5, took
    assert json.loads(body)["retriable"] is True
    assert [
        (d["request_id"], d["status"]) for d in map(json.loads, filter(None, log.read_text().split("\n")))
    ] == [("slow-1", 408)]
