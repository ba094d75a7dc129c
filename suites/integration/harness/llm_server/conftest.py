"""Fixtures for the mock LLM server: started in a thread on a free port, a stand-in brain.

`make_server(**config)` starts a server with `ServerConfig(**config)`; `client` is the real
openai SDK on an explicit httpx client (openai 3.x needs it), no SDK retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from llm_server_helpers import CALLS, stand_in_brain

from harness.llm.server import MockLLMServer, ServerConfig, start_in_thread

MakeServer = Callable[..., MockLLMServer]


@pytest.fixture
def make_server() -> Iterator[MakeServer]:
    started: list[MockLLMServer] = []

    def make(**config: Any) -> MockLLMServer:
        # The stand-in brain plays a supervisor system: its router is the agent "supervisor".
        server = start_in_thread(ServerConfig(**{"router": "supervisor", **config}), brain=stand_in_brain)
        started.append(server)
        return server

    CALLS.clear()
    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: MakeServer) -> MockLLMServer:
    return make_server()


@pytest.fixture
async def http(server: MockLLMServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def client(server: MockLLMServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with httpx.AsyncClient(timeout=10) as http_client:
        yield openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", http_client=http_client, max_retries=0
        )
