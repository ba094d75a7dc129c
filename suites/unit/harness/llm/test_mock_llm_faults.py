"""harness.llm.faults: each fault as the openai SDK and a plain httpx client see it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import openai
import pytest

from harness._exceptions import ScriptError
from harness.llm import Call, MockLLM, faults

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

Ask = Callable[..., Awaitable[Any]]  # the `ask` fixture from conftest
CHAT = "http://llm.test/v1/chat/completions"
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


async def test_status_503_with_retry_after(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.model("gpt-4o").return_value = faults.Status(503, retry_after=2)

    with pytest.raises(openai.InternalServerError) as info:
        await ask("x", model="gpt-4o")

    assert info.value.status_code == 503
    assert info.value.response.headers["Retry-After"] == "2"
    assert info.value.body == {
        "message": "MockLLM: scripted HTTP 503",
        "type": "server_error",
        "param": None,
        "code": None,
    }


async def test_status_4xx_maps_to_the_sdk_error(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.side_effect = [
        faults.Status(400, message="context too long", code="context_length_exceeded"),
        faults.Status(401),
    ]

    with pytest.raises(openai.BadRequestError) as bad:
        await ask("x")
    with pytest.raises(openai.AuthenticationError):
        await ask("x")

    assert bad.value.code == "context_length_exceeded"
    assert bad.value.type == "invalid_request_error"
    assert "context too long" in bad.value.message


def test_status_without_retry_after_has_no_header(mock_llm: MockLLM, http: httpx.Client) -> None:
    mock_llm.default.side_effect = [faults.Status(502), faults.Status(503, retry_after=0.5)]

    first, second = http.post(CHAT, json=BODY), http.post(CHAT, json=BODY)

    assert first.status_code == 502 and "Retry-After" not in first.headers
    assert second.headers["Retry-After"] == "0.5"


async def test_rate_limited_is_a_429(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = faults.RateLimited(retry_after=1)

    with pytest.raises(openai.RateLimitError) as info:
        await ask("x")

    assert info.value.status_code == 429
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.response.headers["Retry-After"] == "1"


@pytest.mark.parametrize("status", [200, 302, 600])
def test_status_needs_an_error_code(status: int) -> None:
    with pytest.raises(ScriptError, match="4xx or 5xx"):
        faults.Status(status)


async def test_timeout_is_an_sdk_timeout(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("planner").return_value = faults.Timeout()

    with pytest.raises(openai.APITimeoutError):
        await ask("x", agent="planner")

    mock_llm.agent("planner").assert_called_once()
    assert mock_llm.calls[0].response is None  # no HTTP answer: the read timed out


def test_timeout_raises_httpx_read_timeout(mock_llm: MockLLM, http: httpx.Client) -> None:
    mock_llm.default.return_value = faults.Timeout()

    with pytest.raises(httpx.ReadTimeout) as info:
        http.post(CHAT, json=BODY)

    assert info.value.request.url == CHAT


async def test_connect_error(mock_llm: MockLLM, ask: Ask, http: httpx.Client) -> None:
    mock_llm.default.return_value = faults.ConnectError()

    with pytest.raises(openai.APIConnectionError):
        await ask("x")
    with pytest.raises(httpx.ConnectError):
        http.post(CHAT, json=BODY)


async def test_malformed_body_comes_back_from_the_sdk_as_str(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = faults.Malformed()

    result = await ask("x")

    assert isinstance(result, str)  # the SDK's answer to a body that is not JSON
    assert "Bad Gateway" in result


def test_malformed_json_body(mock_llm: MockLLM, http: httpx.Client) -> None:
    mock_llm.default.return_value = faults.Malformed(body='{"choices": [', content_type="application/json")

    response = http.post(CHAT, json=BODY)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_empty_content(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.side_effect = [faults.Empty(), faults.Empty(content=None)]

    empty, null = await ask("x"), await ask("x")

    assert empty.choices[0].message.content == ""
    assert null.choices[0].message.content is None
    assert empty.choices[0].finish_reason == "stop"
    assert empty.usage is not None and empty.usage.completion_tokens == 0


async def test_truncated_reply(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = faults.Truncated()

    choice = (await ask("x")).choices[0]

    assert choice.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content or "")


async def test_fault_classes_work_without_parentheses(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.side_effect = [faults.Timeout, faults.Empty]

    with pytest.raises(openai.APITimeoutError):
        await ask("x")
    assert (await ask("x")).choices[0].message.content == ""


async def test_faults_then_recovery_in_a_sequence(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.model("gpt-4o").side_effect = [
        faults.Timeout(),
        faults.Status(503, retry_after=2),
        faults.ConnectError(),
        "ok",
    ]

    async def call_with_retries() -> str:
        for _ in range(4):
            try:
                return (await ask("x", model="gpt-4o")).choices[0].message.content or ""
            except (openai.APITimeoutError, openai.APIConnectionError, openai.APIStatusError):
                continue
        raise AssertionError("no attempt succeeded")

    assert await call_with_retries() == "ok"
    mock_llm.model("gpt-4o").assert_call_count(4)
    assert [c.response.status_code if c.response else None for c in mock_llm.calls] == [
        None,
        503,
        None,
        200,
    ]


async def test_callable_may_return_a_fault(mock_llm: MockLLM, ask: Ask) -> None:
    def flaky_for_long_prompts(call: Call) -> object:
        return faults.Status(413) if len(call.prompt) > 20 else "short ok"

    mock_llm.default.side_effect = flaky_for_long_prompts

    assert (await ask("short")).choices[0].message.content == "short ok"
    with pytest.raises(openai.APIStatusError) as info:
        await ask("x" * 21)
    assert info.value.status_code == 413


def test_faults_have_readable_reprs() -> None:
    assert repr(faults.Status(503, retry_after=2)) == (
        "Status(status_code=503, retry_after=2, message=None, code=None)"
    )
    assert repr(faults.Timeout()) == "Timeout()"
    assert isinstance(faults.RateLimited(), faults.Status)
