"""The reference LLM client over real sockets, through each transport (httpx, aiohttp): the same
replies and every fault mapped to the same error. The service runs on aiohttp; in-process tests
(respx) only ever see httpx, so this is where the two are held to one behaviour."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from harness.llm.server import MockLLMServer
from support_desk import SupportSystem, load_settings
from support_desk import _errors as E
from support_desk._llm import Completion, LLMClient

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

TRANSPORTS = ["httpx", "aiohttp"]


async def ask(base_url: str, http: Any, timeout: float = 2.0) -> Completion:
    client = LLMClient(base_url, "k", http=http)
    try:
        return await client.complete(
            agent="billing_support",
            model="m-1",
            messages=[{"role": "user", "content": "Why was I charged twice? ñ €"}],
            temperature=0.2,
            timeout=timeout,
        )
    finally:
        await client.aclose()


@pytest.mark.parametrize("http", TRANSPORTS)
async def test_a_completion_reads_the_same(make_server: Any, http: str) -> None:
    server: MockLLMServer = make_server()
    done = await ask(server.base_url, http)
    assert done.text and done.tokens_in > 0 and done.tokens_out > 0 and done.model


FAULTS = [
    ({"kind": "status", "status": 503, "retry_after": 2}, E.LLMServerError, {"retry_after": 2.0}),
    ({"kind": "status", "status": 429, "retry_after": 0.5}, E.LLMRateLimitedError, {"retry_after": 0.5}),
    ({"kind": "status", "status": 400}, E.PermanentLLMError, {"status_code": 400}),
    ({"kind": "hang", "seconds": 3}, E.LLMTimeoutError, {}),
    ({"kind": "malformed"}, E.LLMMalformedResponseError, {}),
    ({"kind": "truncated"}, E.LLMConnectionError, {}),
]


@pytest.mark.parametrize("http", TRANSPORTS)
@pytest.mark.parametrize(
    ("rule", "error", "fields"), FAULTS, ids=[f[0]["kind"] + str(f[0].get("status", "")) for f in FAULTS]
)
async def test_each_fault_maps_to_the_same_error(
    make_server: Any, http: str, rule: dict[str, Any], error: type[E.LLMError], fields: dict[str, Any]
) -> None:
    server: MockLLMServer = make_server(faults=[{**rule, "probability": 1}])
    with pytest.raises(error) as caught:
        await ask(server.base_url, http, timeout=0.5)
    assert type(caught.value) is error
    assert (caught.value.agent, caught.value.model) == ("billing_support", "m-1")
    assert {k: getattr(caught.value, k) for k in fields} == fields


@pytest.mark.parametrize("http", TRANSPORTS)
async def test_a_refused_connection_is_a_connection_error(http: str) -> None:
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(E.LLMConnectionError, match="cannot reach the LLM"):
            await ask(f"http://127.0.0.1:{port}/v1", http)


@pytest.fixture
async def bad_gzip() -> AsyncIterator[str]:
    """A server whose 200 says gzip and is not."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
    server.close()


@pytest.mark.parametrize("http", TRANSPORTS)
async def test_an_undecodable_body_is_malformed(bad_gzip: str, http: str) -> None:
    with pytest.raises(E.LLMMalformedResponseError, match="undecodable"):
        await ask(bad_gzip, http)


@pytest.mark.parametrize("http", TRANSPORTS)
async def test_an_agents_budget_bounds_the_call_and_its_retries(make_server: Any, http: str) -> None:
    # A cancel meant for the agent's budget must not be taken for the call's own timeout and
    # retried: with aiohttp's own timers it was, and the request took every retry's time.
    server: MockLLMServer = make_server(faults=[{"kind": "hang", "seconds": 5, "probability": 1}])
    settings = load_settings(
        llm_base_url=server.base_url,
        llm_http=http,
        timeouts={"fast_agent_s": 0.5},
        retry={"initial_s": 0.05, "max_s": 0.1, "jitter": False},
    )
    system = SupportSystem(settings)
    started = time.monotonic()
    result = await system.ainvoke("Where is my parcel?")
    elapsed = time.monotonic() - started
    await system.aclose()
    assert result.escalation_reason == "agent_unavailable"
    assert result.errors[0]["code"] == "llm_timeout"
    assert elapsed < 1.2, f"{elapsed:.2f} s: past the 0.5 s budget plus what three attempts would take"
