"""LLM access: chat completions over httpx, the reply checked, every failure mapped to our tree."""

from __future__ import annotations

import httpx
import pytest

from harness.llm import DEFAULT_BASE_URL, MockLLM, Reply, ToolCall, Usage, faults
from support_desk import _errors as E
from support_desk._llm import LLMClient


@pytest.fixture
async def client() -> LLMClient:
    c = LLMClient(DEFAULT_BASE_URL, "test-key")
    yield c  # type: ignore[misc]
    await c.aclose()


async def ask(client: LLMClient) -> object:
    return await client.complete(
        agent="billing_support",
        model="m-1",
        messages=[{"role": "user", "content": "hi"}],
        temperature=0.2,
        timeout=1.0,
    )


async def test_completion_text_usage_and_model(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.agent("billing_support").return_value = Reply(
        content="hello", usage=Usage(prompt_tokens=11, completion_tokens=2), model="m-1-2025"
    )
    done = await ask(client)
    assert (done.text, done.tokens_in, done.tokens_out, done.model) == ("hello", 11, 2, "m-1-2025")  # type: ignore[attr-defined]
    call = mock_llm.calls[0]
    assert call.request.headers["authorization"] == "Bearer test-key"
    assert call.temperature == pytest.approx(0.2)


async def test_tool_calls_are_surfaced(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.default.return_value = Reply(tool_calls=[ToolCall(name="lookup", arguments={"id": 7})])
    done = await ask(client)
    assert done.tool_calls == [{"name": "lookup", "arguments": '{"id": 7}'}]  # type: ignore[attr-defined]
    assert done.text == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fault", "error", "transient"),
    [
        (faults.Timeout(), E.LLMTimeoutError, True),
        (faults.ConnectError(), E.LLMConnectionError, True),
        (faults.Status(429, retry_after=3), E.LLMRateLimitedError, True),
        (faults.Status(500), E.LLMServerError, True),
        (faults.Status(503, retry_after=1.5), E.LLMServerError, True),
        (faults.Malformed(), E.LLMMalformedResponseError, True),
        (
            faults.Malformed(body='{"choices": [', content_type="application/json"),
            E.LLMMalformedResponseError,
            True,
        ),
        (faults.Status(400), E.PermanentLLMError, False),
        (faults.Status(401), E.PermanentLLMError, False),
        (faults.Status(404), E.PermanentLLMError, False),
    ],
)
async def test_faults_map_to_the_error_tree(
    client: LLMClient, mock_llm: MockLLM, fault: faults.Fault, error: type[E.LLMError], transient: bool
) -> None:
    mock_llm.default.return_value = fault
    with pytest.raises(error) as info:
        await ask(client)
    assert isinstance(info.value, E.TransientLLMError) is transient
    assert info.value.agent == "billing_support" and info.value.model == "m-1"
    assert "billing_support (m-1)" in str(info.value)


async def test_retry_after_seconds_are_read(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.default.return_value = faults.Status(429, retry_after=3)
    with pytest.raises(E.LLMRateLimitedError) as info:
        await ask(client)
    assert info.value.retry_after == 3.0 and info.value.status_code == 429


async def test_retry_after_as_http_date_is_ignored(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.default.side_effect = lambda call: httpx.Response(
        503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, json={"error": {"message": "x"}}
    )
    with pytest.raises(E.LLMServerError) as info:
        await ask(client)
    assert info.value.retry_after is None


async def test_a_200_that_is_not_a_completion_is_malformed(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.default.side_effect = lambda call: httpx.Response(200, json={"unexpected": True})
    with pytest.raises(E.LLMMalformedResponseError, match="not a chat completion"):
        await ask(client)


async def test_client_given_by_caller_is_not_closed() -> None:
    http = httpx.AsyncClient()
    c = LLMClient(DEFAULT_BASE_URL, "k", http_client=http)
    await c.aclose()
    assert not http.is_closed
    await http.aclose()


async def test_a_minimal_completion_from_a_lenient_server_is_read(
    client: LLMClient, mock_llm: MockLLM
) -> None:
    # No id, created, object, index or finish_reason: servers calling themselves compatible omit them.
    body = {
        "choices": [{"message": {"content": "hi"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    mock_llm.default.side_effect = lambda call: httpx.Response(200, json=body)
    done = await ask(client)
    assert (done.text, done.tokens_in, done.tokens_out, done.model) == ("hi", 3, 1, "m-1")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"choices": []}, "no choices"),
        ({"choices": [{"message": {"content": 7}}]}, "choices.0.message.content"),
    ],
)
async def test_a_completion_without_what_we_read_is_malformed(
    client: LLMClient, mock_llm: MockLLM, body: dict, says: str
) -> None:
    mock_llm.default.side_effect = lambda call: httpx.Response(200, json=body)
    with pytest.raises(E.LLMMalformedResponseError, match=says):
        await ask(client)


async def test_a_refusal_carries_the_apis_own_message(client: LLMClient, mock_llm: MockLLM) -> None:
    mock_llm.default.side_effect = lambda call: httpx.Response(
        400, json={"error": {"message": "context length exceeded", "type": "invalid_request_error"}}
    )
    with pytest.raises(E.PermanentLLMError, match=r"refused the request \(400\): context length exceeded"):
        await ask(client)
