"""Fixtures for the Toxiproxy conformance suite.

The server is ours, started on a free port for the session, unless
HARNESS_TOXIPROXY_URL names a real Toxiproxy: then the same tests run against it.
Upstreams are small threaded TCP servers on 127.0.0.1 in this process.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import toxiproxy

from harness.proxy import run_in_thread

ConnHandler = Callable[[socket.socket], None]


class TcpServer:
    """A threaded TCP server on 127.0.0.1 running `handler(conn)` for each connection."""

    def __init__(self, handler: ConnHandler) -> None:
        self._handler = handler
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.received = bytearray()  # every byte any connection sent us
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._handler(conn)
        except OSError:
            pass  # the proxy closed or reset the connection: expected in these tests
        finally:
            conn.close()

    def record(self, data: bytes) -> None:
        with self._lock:
            self.received += data

    def close(self) -> None:
        # shutdown() first: close() alone does not wake a thread blocked in accept/recv.
        with self._lock:
            socks = [self._sock, *self._conns]
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # not connected, or already closed by its handler
            sock.close()


def echo_handler(server_box: list[TcpServer]) -> ConnHandler:
    def handle(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            server_box[0].record(data)
            conn.sendall(data)

    return handle


@pytest.fixture(scope="session")
def toxiproxy_url() -> Iterator[str]:
    real = os.environ.get("HARNESS_TOXIPROXY_URL")
    if real:
        yield real.rstrip("/")
        return
    with run_in_thread() as server:
        yield server.url


@pytest.fixture(scope="session")
def api(toxiproxy_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP to the API, for exact statuses and bodies (one client: each costs ~0.1 s)."""
    with httpx.Client(base_url=toxiproxy_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def client(toxiproxy_url: str) -> toxiproxy.Toxiproxy:
    """The toxiproxy-python client, pointed at the server under test."""
    url = urlsplit(toxiproxy_url)
    server = toxiproxy.Toxiproxy()
    server.update_api_consumer(url.hostname, url.port)
    return server


@pytest.fixture
def tcp_server() -> Iterator[Callable[[ConnHandler], TcpServer]]:
    """Make upstream servers from a per-connection handler; all closed at teardown."""
    made: list[TcpServer] = []

    def make(handler: ConnHandler) -> TcpServer:
        made.append(TcpServer(handler))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def echo(tcp_server: Callable[[ConnHandler], TcpServer]) -> TcpServer:
    """An upstream that echoes every byte back and records what it got."""
    box: list[TcpServer] = []
    box.append(tcp_server(echo_handler(box)))
    return box[0]


@pytest.fixture
def proxy_name() -> Callable[[], str]:
    return lambda: f"conf_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_proxy(api: httpx.Client, proxy_name: Callable[[], str]) -> Iterator[Callable[..., dict[str, Any]]]:
    """Create proxies through the API (201 checked); each is deleted at teardown."""
    names: list[str] = []

    def make(upstream: str, listen: str = "127.0.0.1:0", **fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", None) or proxy_name(), "upstream": upstream, "listen": listen}
        response = api.post("/proxies", json={**body, **fields})
        assert response.status_code == 201, response.text
        names.append(body["name"])
        return response.json()  # type: ignore[no-any-return]

    yield make
    for name in names:
        api.delete(f"/proxies/{name}")


@pytest.fixture
def cleanup_names(api: httpx.Client) -> Iterator[list[str]]:
    """Names of proxies a test creates by other means; deleted at teardown."""
    names: list[str] = []
    yield names
    for name in names:
        api.delete(f"/proxies/{name}")
