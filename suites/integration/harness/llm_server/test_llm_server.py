"""The mock LLM server over real HTTP: completions, streams, tools, models, the HTTP layer."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import httpx
import openai
import pytest
from llm_server_helpers import CALLS, ask, stand_in_brain

from harness._exceptions import MockServerError
from harness.llm import Reply
from harness.llm.server import MockLLMServer, ServerConfig, load_brain, load_route_reader, start_in_thread

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_invoice",
            "parameters": {
                "type": "object",
                "properties": {
                    "invoice_id": {"type": "string"},
                    "year": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["final", "draft"]},
                    "note": {"type": "string"},
                },
                "required": ["invoice_id", "year", "kind"],
            },
        },
    },
    {"type": "function", "function": {"name": "reset_password", "parameters": {"type": "object"}}},
]


async def test_supervisor_gets_the_brains_label_with_usage(client: openai.AsyncOpenAI) -> None:
    result = await ask(client, "supervisor", "My invoice is wrong")
    assert result.choices[0].message.content == "billing_support"
    assert result.choices[0].finish_reason == "stop"
    assert result.model == "gpt-4o" and result.object == "chat.completion"
    usage = result.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_specialist_answer_passes_the_reference_schema(client: openai.AsyncOpenAI) -> None:
    from support_desk._answer import parse_answer

    result = await ask(client, "billing_support", "I was charged twice", model="gpt-4o-mini")
    answer = parse_answer(result.choices[0].message.content, max_words=60, max_discount_pct=30)
    assert answer.answer.startswith("billing_support here") and answer.confidence == 0.9
    assert result.model == "gpt-4o-mini"


async def test_brain_sees_agent_messages_and_model(client: openai.AsyncOpenAI) -> None:
    await ask(client, None, "hello", model="tiny-model")
    assert CALLS == [(None, "tiny-model")]


async def test_stream_matches_the_plain_answer(client: openai.AsyncOpenAI) -> None:
    plain = await ask(client, "technical_support", "The app crashes on login")
    stream = await ask(client, "technical_support", "The app crashes on login", stream=True)
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert len(chunks) > 4  # word by word, not one blob
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)
    assert {c.id for c in chunks} == {chunks[0].id}


async def test_stream_usage_comes_last_when_asked(client: openai.AsyncOpenAI) -> None:
    plain = await ask(client, "general_support", "opening hours?")
    stream = await ask(
        client, "general_support", "opening hours?", stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage.model_dump() == plain.usage.model_dump()
    assert all(c.usage is None for c in chunks[:-1])


async def test_named_tool_choice_calls_it_with_schema_arguments(client: openai.AsyncOpenAI) -> None:
    result = await ask(
        client,
        "billing_support",
        "invoice 42",
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "lookup_invoice"}},
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "lookup_invoice" and call.id
    assert json.loads(call.function.arguments) == {"invoice_id": "mock", "year": 0, "kind": "final"}


async def test_required_tool_choice_takes_the_first_tool_and_auto_answers(
    client: openai.AsyncOpenAI,
) -> None:
    required = await ask(client, "billing_support", "x", tools=TOOLS, tool_choice="required")
    assert required.choices[0].message.tool_calls[0].function.name == "lookup_invoice"
    auto = await ask(client, "supervisor", "my invoice", tools=TOOLS)
    assert auto.choices[0].message.tool_calls is None
    assert auto.choices[0].message.content == "billing_support"


async def test_tool_choice_naming_an_unoffered_tool_is_a_400(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="not in 'tools'"):
        await ask(
            client,
            "supervisor",
            "x",
            tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "nope"}},
        )


async def test_streamed_tool_call(client: openai.AsyncOpenAI) -> None:
    stream = await ask(client, "billing_support", "x", tools=TOOLS, tool_choice="required", stream=True)
    chunks = [chunk async for chunk in stream]
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in calls] == ["lookup_invoice"]
    assert json.loads(calls[0].function.arguments)["kind"] == "final"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_models_list_and_retrieve(client: openai.AsyncOpenAI) -> None:
    await ask(client, "supervisor", "x", model="custom-llm")
    ids = [model.id async for model in client.models.list()]
    assert ids == ["custom-llm", "gpt-4o", "gpt-4o-mini"]
    assert (await client.models.retrieve("gpt-4o")).owned_by == "harness-mock-llm"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("no-such-model")


async def test_health_and_http_errors(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).json() == {"status": "ok"}
    missing = await http.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_url"
    assert (await http.get("/v1/chat/completions")).status_code == 405
    bad_json = await http.post("/v1/chat/completions", content=b"{not json")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
    no_messages = await http.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": []})
    assert no_messages.status_code == 400 and no_messages.json()["error"]["param"] == "messages"
    stats = (await http.get("/_control/stats")).json()
    assert stats["rejected"] == 4 and stats["completions"] == 0


async def test_base_url_without_v1_also_works(http: httpx.AsyncClient) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    response = await http.post("/chat/completions", json=body)
    assert response.json()["choices"][0]["message"]["content"] == "Plain answer to: hi"


async def test_a_failing_brain_is_a_500_not_a_dropped_connection(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError, match="stand-in brain exploded"):
        await ask(client, None, "please explode")


async def test_brain_memo_answers_repeats_without_thinking(make_server: Any) -> None:
    for memo, expected_calls in ((4096, 1), (0, 3)):
        server = make_server(brain_memo=memo)
        CALLS.clear()
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            body = {"model": "m", "messages": [{"role": "user", "content": "same"}]}
            for _ in range(3):
                assert (await http.post("/chat/completions", json=body)).status_code == 200
        assert len(CALLS) == expected_calls


def _raw_exchange(server: MockLLMServer, payload: bytes, responses: int) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while data.count(b"HTTP/1.1 200") < responses or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _post(body: bytes, extra: str = "", version: str = "1.1") -> bytes:
    head = f"POST /v1/chat/completions HTTP/{version}\r\nHost: x\r\n{extra}"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


async def test_pipelined_requests_on_one_keep_alive_connection(server: MockLLMServer) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    data = await asyncio.to_thread(_raw_exchange, server, _post(body) * 3, 3)
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.count(b"Connection: keep-alive") == 3


async def test_http_1_0_closes_and_expect_continue_is_honoured(server: MockLLMServer) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    old = await asyncio.to_thread(_raw_exchange, server, _post(body, version="1.0"), 1)
    assert b"Connection: close" in old and b"Plain answer to: hi" in old

    def expect_continue() -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            head = _post(body, "Expect: 100-continue\r\n")[: -len(body)]
            sock.sendall(head)
            interim = sock.recv(100)
            sock.sendall(body)
            return interim + sock.recv(65536)

    data = await asyncio.to_thread(expect_continue)
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")


async def test_latency_profile_delays_plain_and_streamed_replies(make_server: Any) -> None:
    slow = {"kind": "fixed", "ttft_median_ms": 120, "per_token_ms": 5}
    server = make_server(latency={"models": {"slow-*": "slow-fixed"}, "profiles": {"slow-fixed": slow}})
    async with httpx.AsyncClient(timeout=10) as http_client:
        client = openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", http_client=http_client, max_retries=0
        )
        started = time.perf_counter()
        result = await ask(client, "billing_support", "invoice", model="slow-1")
        slow_s = time.perf_counter() - started
        tokens = result.usage.completion_tokens
        assert slow_s >= 0.120 + tokens * 0.005 - 0.01
        started = time.perf_counter()
        stamps = []
        async for chunk in await ask(client, "billing_support", "invoice", model="slow-1", stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                stamps.append(time.perf_counter() - started)
        # Lower bounds only: a loaded machine makes things slower, never faster.
        assert stamps[0] >= 0.120 and stamps[-1] - stamps[0] >= 0.005 * (len(stamps) - 1)


async def test_in_loop_server_whose_stop_drops_held_hangs() -> None:
    config = ServerConfig.model_validate(
        {"faults": [{"kind": "hang", "probability": 1, "target": {"agent": "supervisor"}}]}
    )
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    async with MockLLMServer(config, brain=stand_in_brain) as server, httpx.AsyncClient(timeout=10) as http:
        assert (await http.post(server.base_url + "/chat/completions", json=body)).status_code == 200
        held = asyncio.create_task(
            http.post(
                server.base_url + "/chat/completions", json=body, headers={"X-Harness-Agent": "supervisor"}
            )
        )
        for _ in range(250):
            if (await http.get(server.url + "/_control/stats")).json()["hanging"] == 1:
                break
            await asyncio.sleep(0.02)
        server.stop()  # long before the hang's 120 s bound
        with pytest.raises(httpx.TransportError):
            await held
    assert server.state.stats.hanging == 0


def test_port_in_use_is_a_mock_server_error(server: MockLLMServer) -> None:
    with pytest.raises(MockServerError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        start_in_thread(ServerConfig(), port=server.port, brain=lambda *a: "x")


def test_brain_specs_are_checked() -> None:
    with pytest.raises(MockServerError, match="expected 'module:function'"):
        load_brain("no_colon")
    with pytest.raises(MockServerError, match="cannot import 'no_such_module_xyz'"):
        load_brain("no_such_module_xyz:f")
    with pytest.raises(MockServerError, match="has no function 'nope'"):
        load_brain("json:nope")


async def test_a_systems_own_brain_plugs_in_by_name() -> None:
    from support_desk._decision import parse_decision

    spec = "support_desk.brain:reply_for"  # what the declaration's `brain` names
    config = ServerConfig(router="supervisor")
    server = start_in_thread(config, brain=load_brain(spec), route_of=load_route_reader(spec))
    try:
        async with httpx.AsyncClient(timeout=10) as http_client:
            client = openai.AsyncOpenAI(
                base_url=server.base_url, api_key="x", http_client=http_client, max_retries=0
            )
            result = await ask(client, "supervisor", "I was charged twice on my invoice")
        assert parse_decision(result.choices[0].message.content).route == "billing_support"
        assert server.state.route("supervisor", Reply('{"route": "Facturación"}')) == "billing_support"
    finally:
        server.stop()


async def test_the_default_brain_knows_no_system() -> None:
    server = start_in_thread()
    try:
        async with httpx.AsyncClient(timeout=10) as http_client:
            client = openai.AsyncOpenAI(
                base_url=server.base_url, api_key="x", http_client=http_client, max_retries=0
            )
            result = await ask(client, "supervisor", "I was charged twice on my invoice")
        content = result.choices[0].message.content
        assert content == "Here is an answer to your question: I was charged twice on my invoice"
        assert load_route_reader() is None  # no router labels to read: the reply is its own route
        assert server.state.route("supervisor", Reply("x")) == "supervisor"  # no router declared
    finally:
        server.stop()
