"""`POST /v1/chat/stream` in process (ASGI), over an LLM that streams what each test scripts:
the events, the answer decoded from the specialist's JSON as it streams, the final event equal
to what /v1/chat answers, and a stream cut, stalled or broken mid-answer ending in a fallback or
an `error` event within the deadline, never a hang. Each request writes its one audit line."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from support_desk import SupportSystem, load_settings
from support_desk.service import ServiceSettings, create_app
from support_desk.service._stream import AnswerText

BODY = {"query": "My invoice is wrong", "user_id": "u-1", "customer_tier": "standard"}
REPLY = json.dumps({"answer": 'Your "invoice" is fixed \u2014 see Billing.', "confidence": 0.9})
Script = dict[str, Callable[[int], Any]]  # agent -> (call number -> what its call does)


def _chunk(content: str) -> bytes:
    return (
        b"data: "
        + json.dumps({"model": "m", "choices": [{"delta": {"content": content}}]}).encode()
        + b"\n\n"
    )


def sse_body(text: str, *, cut_after: int | None = None, stall_after: int | None = None) -> httpx.Response:
    """A streamed completion of `text`, a few characters an event; cut (the connection drops) or
    stalled (no more bytes) after that many events."""
    pieces = [text[i : i + 5] for i in range(0, len(text), 5)]

    async def body() -> AsyncIterator[bytes]:
        for n, piece in enumerate(pieces):
            if n == cut_after:
                raise httpx.ReadError("connection reset mid-stream")
            if n == stall_after:
                await asyncio.sleep(30)
            yield _chunk(piece)
        usage = {"prompt_tokens": 11, "completion_tokens": len(pieces)}
        yield b"data: " + json.dumps({"model": "m", "choices": [], "usage": usage}).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())


def plain(text: str) -> httpx.Response:
    usage = {"prompt_tokens": 7, "completion_tokens": 1}
    message = {"role": "assistant", "content": text}
    return httpx.Response(200, json={"model": "m", "choices": [{"message": message}], "usage": usage})


class FakeLLM:
    """An httpx transport answering each agent's calls as scripted; records whether each streamed."""

    def __init__(self, script: Script, route: str) -> None:
        self.script, self.route = script, route
        self.calls: list[tuple[str, bool]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        agent = request.headers["x-harness-agent"]
        doc = json.loads(request.content)
        self.calls.append((agent, bool(doc.get("stream"))))
        n = sum(1 for a, _ in self.calls if a == agent)
        if agent == "supervisor":
            return plain(self.route)
        made = self.script.get(agent, lambda _: sse_body(REPLY))(n)
        return made if doc.get("stream") else plain(REPLY)


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def streamed_text(got: list[tuple[str, dict[str, Any]]]) -> str:
    """What a client shows at the end: deltas, each `reset` wiping what came before."""
    text = ""
    for name, data in got:
        text = "" if name == "reset" else text + data["text"] if name == "delta" else text
    return text


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    async with AsyncExitStack() as stack:

        async def make(
            script: Script | None = None, route: str = "billing_support", **settings: Any
        ) -> tuple[httpx.AsyncClient, FakeLLM, Path]:
            llm = FakeLLM(script or {}, route)
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.MockTransport(llm.handler))
            )
            settings.setdefault("retry", {"jitter": False, "initial_s": 0.01})
            settings.setdefault("cache", {"enabled": False})
            system = SupportSystem(
                load_settings(llm_base_url="http://llm.test/v1", **settings), http_client=http
            )
            audit = tmp_path / "audit.jsonl"
            app = create_app(system, ServiceSettings(audit_log=str(audit), grace_s=0.2))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sd")
            return await stack.enter_async_context(client), llm, audit

        yield make


async def stream(client: httpx.AsyncClient, body: dict[str, Any] = BODY) -> tuple[httpx.Response, list[Any]]:
    response = await client.post("/v1/chat/stream", json=body, headers={"X-Request-Id": "r-1"})
    return response, events(response.text) if response.status_code == 200 else []


def audit_line(audit: Path) -> dict[str, Any]:
    lines = audit.read_text().splitlines()
    assert len(lines) == 1, lines
    return dict(json.loads(lines[0]))


async def test_the_answer_streams_as_deltas_and_ends_with_the_same_fields_as_chat(serve: Any) -> None:
    client, llm, audit = await serve()
    response, got = await stream(client)
    assert response.headers["content-type"].startswith("text/event-stream")
    names = [name for name, _ in got]
    assert names[0] == "route" and got[0][1] == {"route": "billing_support"}
    assert names[-1] == "final" and "reset" not in names and names.count("delta") > 3
    final = got[-1][1]
    assert streamed_text(got) == final["answer"] == 'Your "invoice" is fixed \u2014 see Billing.'
    assert final["tokens"] == {"in": 18, "out": 1 + len(range(0, len(REPLY), 5))}
    assert ("billing_support", True) in llm.calls and ("supervisor", False) in llm.calls
    chat = (await client.post("/v1/chat", json=BODY)).json()
    assert set(chat) == set(final) and chat["answer"] == final["answer"]
    line = json.loads(audit.read_text().splitlines()[0])
    assert (line["request_id"], line["status"], line["route"], line["stream"]) == (
        "r-1",
        200,
        "billing_support",
        True,
    )
    assert line["trace_id"] == final["trace_id"] == response.headers["x-trace-id"]


async def test_a_stream_cut_mid_answer_is_retried_and_the_partial_text_withdrawn(serve: Any) -> None:
    client, _, audit = await serve(
        {"billing_support": lambda n: sse_body(REPLY, cut_after=6 if n == 1 else None)}
    )
    _, got = await stream(client)
    names = [name for name, _ in got]
    assert "reset" in names and names[-1] == "final" and not got[-1][1]["degraded"]
    assert names.index("reset") > names.index("delta")  # something had streamed before the cut
    assert streamed_text(got) == got[-1][1]["answer"] and audit_line(audit)["status"] == 200


async def test_a_stream_cut_every_time_falls_back_to_the_generic_answer(serve: Any) -> None:
    cut = {"technical_support": lambda _: sse_body(REPLY, cut_after=6)}
    client, _, audit = await serve(cut, route="technical_support")
    _, got = await stream(client)
    final = got[-1][1]
    assert got[-1][0] == "final" and final["fallback"] == "generic" and final["degraded"]
    assert streamed_text(got) == final["answer"] and "invoice" not in final["answer"]
    assert audit_line(audit)["fallback"] == "generic"


async def test_a_stream_that_stalls_ends_within_the_agent_budget(serve: Any) -> None:
    client, _, _ = await serve(
        {"general_support": lambda _: sse_body(REPLY, stall_after=3)},
        route="general_support",
        timeouts={"fast_agent_s": 0.3, "request_deadline_s": 2.0},
        retry={"attempts": 1, "jitter": False},
    )
    started = time.monotonic()
    _, got = await stream(client)
    assert time.monotonic() - started < 1.5
    assert got[-1][0] == "final" and got[-1][1]["fallback"] == "generic"


async def test_with_fallbacks_off_a_broken_stream_ends_with_an_error_event(serve: Any) -> None:
    client, _, audit = await serve(
        {"billing_support": lambda _: sse_body(REPLY, cut_after=2)}, resilience={"fallback": False}
    )
    response, got = await stream(client)
    assert response.status_code == 200 and got[-1][0] == "error"
    assert got[-1][1]["retriable"] is True and "LLMConnectionError" in got[-1][1]["error"]
    assert audit_line(audit)["error"] == "LLMConnectionError"


async def test_a_malformed_event_is_a_malformed_reply(serve: Any) -> None:
    broken = httpx.Response(200, content=b'data: {"choices": [\n\ndata: [DONE]\n\n')
    client, _, _ = await serve({"billing_support": lambda _: broken}, resilience={"fallback": False})
    _, got = await stream(client)
    assert got[-1][0] == "error" and "LLMMalformedResponseError" in got[-1][1]["error"]


async def test_a_rule_escalation_is_one_delta_and_the_final_event(serve: Any) -> None:
    client, llm, _ = await serve()
    _, got = await stream(client, {**BODY, "customer_tier": "vip"})
    assert [name for name, _ in got] == ["route", "delta", "final"]
    assert got[-1][1]["escalated"] and got[1][1]["text"] == got[-1][1]["answer"] and llm.calls == []


async def test_bad_input_is_refused_before_any_stream(serve: Any) -> None:
    client, _, audit = await serve()
    response, _ = await stream(client, {**BODY, "query": "   "})
    assert response.status_code == 422 and response.json()["retriable"] is False
    assert audit_line(audit)["status"] == 422


@pytest.mark.parametrize(
    ("pieces", "want"),
    [
        (['{"ans', 'wer": "Hel', 'lo"', ', "confidence": 1}'], ["", "Hel", "lo", ""]),
        (['{"answer": "a\\', "nb \\u00", 'e9!"}'], ["a", "\nb ", "\u00e9!"]),
        (['```json\n{"confidence": 0.9, "answer": "x"}```'], ["x"]),
        (['{"reply": "no answer field"}'], [""]),
    ],
)
def test_the_answer_is_decoded_from_json_as_it_arrives(pieces: list[str], want: list[str]) -> None:
    text = AnswerText()
    assert [text.add(piece) for piece in pieces] == want
