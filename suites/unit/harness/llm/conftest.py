"""Shared fixtures for the mock LLM's tests: an openai SDK client and a one-line `ask`."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion

from harness.llm import AGENT_HEADER, DEFAULT_BASE_URL

# The fixture under test, as users get it from the plugin (imported, not registered, so an
# installed `pytest11` entry point cannot clash with it).
from harness.plugin import mock_llm  # noqa: F401

Ask = Callable[..., Awaitable[Any]]

# Building an httpx client loads the CA bundle (~50 ms); nothing here reaches TLS, so the
# clients share one context.
_TLS = ssl.create_default_context()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain sync httpx client, for tests that look at the wire."""
    with httpx.Client(verify=_TLS) as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[openai.AsyncOpenAI]:
    # An explicit httpx client: openai 3.x would otherwise use httpx2, invisible to respx.
    async with httpx.AsyncClient(verify=_TLS) as http:
        yield openai.AsyncOpenAI(base_url=DEFAULT_BASE_URL, api_key="test", http_client=http, max_retries=0)


@pytest.fixture
def ask(client: openai.AsyncOpenAI) -> Ask:
    """`await ask("text", agent="a", model="m", system="...")` -> the SDK's ChatCompletion."""

    async def _ask(
        text: str,
        *,
        agent: str | None = None,
        model: str = "gpt-4o-mini",
        system: str | None = None,
        **kwargs: Any,
    ) -> ChatCompletion:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": text})
        headers = {AGENT_HEADER: agent} if agent else {}
        result: ChatCompletion = await client.chat.completions.create(
            model=model,
            messages=messages,
            extra_headers=headers,
            **kwargs,  # type: ignore[arg-type]
        )
        return result

    return _ask
