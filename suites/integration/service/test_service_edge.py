"""The reference service's edge: every request it gets is audited once, every error reply is
`{error, retriable}`, and a request's read is bounded in size and in time."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from harness.llm import DEFAULT_BASE_URL
from support_desk import SupportSystem, load_settings
from support_desk.service import ChatRequest, ServiceSettings, create_app
from support_desk.service._serve import uvicorn_server

JSON = {"content-type": "application/json"}
SMALL_BODY_LIMIT = 4096

# (method, path, body, headers, status): what a fuzzer or a careless client sends.
MALFORMED = [
    ("POST", "/v1/chat", b"{oops", JSON, 422),
    ("POST", "/v1/chat", b"", JSON, 422),
    ("POST", "/v1/chat", b"[1, 2]", JSON, 422),
    ("POST", "/v1/chat", b'{"user_id": "u"}', JSON, 422),
    ("POST", "/v1/chat", b'{"query": 5, "user_id": "u"}', JSON, 422),
    ("POST", "/v1/chat", '{"query": "hi", "user_id": "ü"}'.encode("latin-1"), JSON, 400),  # not UTF-8
    ("POST", "/v1/chat", b"[" * 50_000 + b"]" * 50_000, JSON, 413),
    ("POST", "/v1/chat", b"[" * 1500 + b"]" * 1500, JSON, 400),  # nested past the parser's depth
    ("POST", "/v1/chat", b'{"query": "hi", "user_id": "u"}', {"content-type": "text/plain"}, 415),
    ("POST", "/v1/chat", b"query=hi&user_id=u", {"content-type": "application/x-www-form-urlencoded"}, 415),
    ("GET", "/v1/chat", b"", {}, 405),
    ("PUT", "/v1/chat", b"{}", JSON, 405),
    ("POST", "/v2/chat", b"{}", JSON, 404),
    ("GET", "/nowhere", b"", {}, 404),
]


@asynccontextmanager
async def _client(audit: Path, **service: Any) -> AsyncIterator[httpx.AsyncClient]:
    system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL))
    app = create_app(system, ServiceSettings(audit_log=str(audit), **service))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
    await system.aclose()


def _audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().split("\n") if line] if path.exists() else []


def _assert_error_shape(resp: httpx.Response) -> None:
    doc = resp.json()
    assert set(doc) == {"error", "retriable"}, (resp.status_code, doc)
    assert isinstance(doc["error"], str) and doc["error"], doc
    assert doc["retriable"] is (resp.status_code in (408, 429, 503)), doc


async def _send_all(audit: Path, requests: list[tuple[str, str, bytes, dict[str, str]]]) -> list[int]:
    statuses = []
    async with _client(audit, max_body_bytes=SMALL_BODY_LIMIT) as client:
        for i, (method, path, body, headers) in enumerate(requests):
            rid = {"x-request-id": f"hr-edge-{i}"}
            resp = await client.request(method, path, content=body, headers={**headers, **rid})
            statuses.append(resp.status_code)
            if resp.status_code >= 400:
                _assert_error_shape(resp)
            assert resp.headers["x-request-id"] == rid["x-request-id"]
    return statuses


async def test_every_malformed_request_is_audited_once_with_its_status(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    statuses = await _send_all(audit, [(m, p, b, h) for m, p, b, h, _ in MALFORMED])
    assert statuses == [status for *_, status in MALFORMED]
    lines = _audit(audit)
    assert [(d["request_id"], d["status"]) for d in lines] == [
        (f"hr-edge-{i}", status) for i, status in enumerate(statuses)
    ]
    assert all(isinstance(d["error"], str) and d["error"] for d in lines)
    assert all("query" not in d for d in lines)  # no request text, ever


async def test_health_and_metrics_are_not_requests_of_the_api(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    async with _client(audit) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
    assert _audit(audit) == []


def _not_a_chat_request(body: bytes) -> bool:
    try:
        ChatRequest.model_validate_json(body)
    except (ValidationError, ValueError):
        return True
    return False  # a valid one would go to the LLM: not this test's business


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_FIELDS = st.sampled_from(["query", "user_id", "customer_tier", "session_id", "extra"])
_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    _JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(_FIELDS, _JSON_VALUES, max_size=5).map(lambda d: json.dumps(d).encode()),
).filter(_not_a_chat_request)
_REQUESTS = st.tuples(
    st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE"]),
    st.sampled_from(["/v1/chat", "/v1/chat", "/v1/chat/", "/", "/v1"]),
    _BODIES,
    st.sampled_from(
        [JSON, JSON, {}, {"content-type": "text/plain"}, {"content-type": "application/json; v=1"}]
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_REQUESTS, min_size=1, max_size=12))
def test_fuzzed_requests_each_get_one_audit_line_and_the_error_shape(
    requests: list[tuple[str, str, bytes, dict[str, str]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        audit = Path(folder, "audit.jsonl")
        statuses = asyncio.run(_send_all(audit, requests))
        lines = _audit(audit)
    assert all(400 <= s < 500 or s == 307 for s in statuses), statuses  # 307: /v1/chat/ -> /v1/chat
    assert [(d["request_id"], d["status"]) for d in lines] == [
        (f"hr-edge-{i}", s) for i, s in enumerate(statuses)
    ]


# -- the read, bounded in time, over real sockets ---------------------------------------------


@contextmanager
def _served(tmp_path: Path, **service: Any) -> Iterator[tuple[int, Path]]:
    audit = tmp_path / "audit.jsonl"
    system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL))
    cfg = ServiceSettings(port=0, audit_log=str(audit), **service)
    server = uvicorn_server(create_app(system, cfg), cfg)
    thread = threading.Thread(target=server.run, name="service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the service did not start within 20 s"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, audit
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _half_sent(port: int, path: str = "/v1/chat", rid: str = "hr-slow-1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\n"
        f"X-Request-Id: {rid}\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"query":"')  # 10 of the 1000 bytes promised
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


@pytest.mark.parametrize("path", ["/v1/chat", "/nowhere"])
def test_a_half_sent_body_gets_408_and_its_connection_closed(tmp_path: Path, path: str) -> None:
    timeout = 0.5
    with _served(tmp_path, read_timeout_s=timeout) as (port, audit):
        started = time.monotonic()
        with _half_sent(port, path) as sock:
            reply = _read_until_closed(sock)  # recv b"": the server closed the connection
        took = time.monotonic() - started
        head, _, body = reply.partition(b"\r\n\r\n")
        if path == "/v1/chat":  # read by the app: cut after the timeout
            assert head.startswith(b"HTTP/1.1 408 "), reply
            assert timeout <= took < timeout + 2.0, took
            assert json.loads(body) == {
                "error": "the request body did not arrive whole within 0.5 s; send it at once",
                "retriable": True,
            }
        else:  # answered without reading the body: closed at once, not left for the rest
            assert head.startswith(b"HTTP/1.1 404 "), reply
            assert took < timeout + 2.0, took
        assert b"connection: close" in head.lower()
    assert [(d["request_id"], d["status"]) for d in _audit(audit)] == [
        ("hr-slow-1", 408 if path == "/v1/chat" else 404)
    ]


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    served = _served(tmp_path, max_body_bytes=SMALL_BODY_LIMIT)
    with served as (port, audit), socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat HTTP/1.1\r\nHost: s\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n{"
        )
        reply = _read_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 413 "), reply
    assert json.loads(reply.partition(b"\r\n\r\n")[2])["retriable"] is False
    assert [d["status"] for d in _audit(audit)] == [413]
