"""The mock answers an unmodified openai SDK client (openai 3.x sends through httpx2, which respx
does not see), and names agents that send no header by their system prompt or their tools."""

from __future__ import annotations

import httpx2
import openai
import pytest

from harness.llm import MockLLM, faults

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

SYSTEM = {"role": "system", "content": "You are the billing specialist of ACME."}
USER = {"role": "user", "content": "Why was I charged twice?"}
HANDOFF = {"type": "function", "function": {"name": "transfer_to_billing", "parameters": {"type": "object"}}}


async def test_a_default_async_client_is_answered_without_a_header() -> None:
    async with MockLLM() as llm:
        llm.agent("billing", system=r"billing specialist").return_value = "Refunded."
        client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=[SYSTEM, USER])
        assert reply.choices[0].message.content == "Refunded."
        assert [c.agent for c in llm.calls] == ["billing"]


def test_a_default_sync_client_and_an_agent_known_by_its_tools() -> None:
    with MockLLM() as llm:
        llm.agent("supervisor", tool="transfer_to_billing").return_value = "billing"
        client = openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
        reply = client.chat.completions.create(model="m", messages=[USER], tools=[HANDOFF])  # type: ignore[list-item]
        assert reply.choices[0].message.content == "billing"
        llm.agent("supervisor").assert_called_once()


async def test_scripted_faults_reach_the_sdk_as_its_own_errors() -> None:
    async with MockLLM() as llm:
        llm.default.side_effect = [faults.Timeout(), faults.ConnectError(), faults.Status(503)]
        client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
        for expected in (openai.APITimeoutError, openai.APIConnectionError, openai.InternalServerError):
            with pytest.raises(expected):
                await client.chat.completions.create(model="m", messages=[USER])


async def test_an_unscripted_call_still_fails_the_test() -> None:
    llm = MockLLM()
    with pytest.raises(AssertionError, match=r"no llm\.agent"):
        async with llm:
            client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
            with pytest.raises(openai.APIStatusError):
                await client.chat.completions.create(model="m", messages=[USER])


async def test_other_hosts_are_not_mocked_and_nothing_stays_patched() -> None:
    original = httpx2.AsyncHTTPTransport.handle_async_request
    async with MockLLM() as llm:
        assert httpx2.AsyncHTTPTransport.handle_async_request is not original
        client = openai.AsyncOpenAI(base_url="http://elsewhere.invalid/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.APIConnectionError):
            await client.models.list()
        assert llm.calls == []
    assert httpx2.AsyncHTTPTransport.handle_async_request is original


def test_identify_needs_a_rule() -> None:
    from harness import ScriptError

    with pytest.raises(ScriptError, match="needs system="):
        MockLLM().identify("billing")
