"""The service's LLM transport: aiohttp unless `llm_http` is set, wherever it is set."""

from __future__ import annotations

import pytest

from support_desk._transport import AiohttpTransport, HttpxTransport
from support_desk.service._app import served_system


async def test_the_service_calls_the_llm_over_aiohttp_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORT_DESK_LLM_HTTP", raising=False)
    system = served_system({})
    assert isinstance(system.llm._transport, AiohttpTransport)
    await system.aclose()


async def test_a_setting_anywhere_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    system = served_system({"llm_http": "httpx"})
    assert isinstance(system.llm._transport, HttpxTransport)
    await system.aclose()
    monkeypatch.setenv("SUPPORT_DESK_LLM_HTTP", "httpx")
    system = served_system({})
    assert isinstance(system.llm._transport, HttpxTransport)
    await system.aclose()
