"""LLM access: one chat-completions call against any OpenAI-compatible `base_url`, its reply
checked and every failure mapped to our error tree. The bytes travel over httpx or aiohttp
(`_transport.py`: httpx in process, where respx sees it; aiohttp in the service, for CPU).

Why not the openai SDK's client: the SDK's request pipeline (options, headers, URL
building, response model construction) cost ~0.55 ms of CPU per call on top of httpx's ~0.2 ms,
and the service makes two calls per request on one event loop. Calling httpx directly cut the
P95 of the service's own per-request overhead at 50 users by about a third
(benchmarks/load_fidelity.py). The wire format is the same; the SDK still checks it: the mock
LLM's tests drive it with the SDK. Using httpx also keeps every call visible to respx (and so to
`harness.llm.MockLLM`), which the SDK's own httpx2 transport (openai 3.x) is not.

SDK-style retries are not here: ours are per agent and honour our budgets. Every request carries
`X-Harness-Agent` so a mock can script agents by name.

Streaming: while a `TextSink` is set in `STREAM_TO` (the service's SSE endpoint sets one for its
request) and it `wants` the agent, the call asks for `stream: true` and hands each piece of
content to the sink as it arrives; it still returns one `Completion`, so the nodes, guards and
retries above it are the same for both. Why a context variable: the graph, its nodes and the
guards between the endpoint and this call need not know a stream exists; asyncio copies the
variable into every task LangGraph starts for the request, and into no other request's. A stream
that ends before `[DONE]` is a dropped connection (transient: retried), an event that is not
JSON a malformed reply.

Each call is a `chat <model>` span (GenAI conventions, `_tracing.py`): the model asked and the
one that answered, the token counts and the finish reason; a failed call is an error span.
"""

from __future__ import annotations

import functools
import json
import ssl
import urllib.parse
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from . import _tracing
from ._errors import (
    LLMConnectionError,
    LLMError,
    LLMMalformedResponseError,
    LLMRateLimitedError,
    LLMServerError,
    PermanentLLMError,
)
from ._transport import AiohttpTransport, HttpReply, HttpxTransport, Transport

__all__ = ["STREAM_TO", "Completion", "LLMClient", "TextSink"]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~30 ms; one context serves every client of the process.
    return ssl.create_default_context()


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    tokens_in: int
    tokens_out: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None  # "stop", "length", ... when the server says


# What we read of a `chat.completion`, checked; every other field may be there or not (servers
# that call themselves OpenAI-compatible differ in what they leave out).
_LENIENT = ConfigDict(extra="ignore")


class _Function(BaseModel):
    model_config = _LENIENT
    name: str
    arguments: str = ""


class _ToolCall(BaseModel):
    model_config = _LENIENT
    function: _Function | None = None


class _Message(BaseModel):
    model_config = _LENIENT
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(BaseModel):
    model_config = _LENIENT
    message: _Message
    finish_reason: str | None = None


class _Usage(BaseModel):
    model_config = _LENIENT
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _ChatCompletion(BaseModel):
    model_config = _LENIENT
    model: str | None = None
    choices: list[_Choice]
    usage: _Usage | None = None


class TextSink(Protocol):
    """Where a streamed call's content goes, piece by piece."""

    def wants(self, agent: str) -> bool:
        """Whether this agent's calls should stream."""
        ...

    def begin(self, agent: str) -> None:
        """A streamed call (a first try, a retry or a repair) starts: what came before is void."""
        ...

    def text(self, agent: str, piece: str) -> None: ...


STREAM_TO: ContextVar[TextSink | None] = ContextVar("support_desk_stream_to", default=None)


class LLMClient:
    """One chat-completions call at a time, with our error tree.

    `http_client`: your own httpx client (never closed here). Otherwise `http` picks the
    transport: "httpx" (respx and `MockLLM` see its calls) or "aiohttp" (less CPU a call)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        http: Literal["httpx", "aiohttp"] = "httpx",
    ) -> None:
        self._transport: Transport
        if http_client is not None or http == "httpx":
            self._transport = HttpxTransport(http_client, verify=_tls_context())
        else:
            self._transport = AiohttpTransport(ssl_context=_tls_context())
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._auth = f"Bearer {api_key}"
        self._server = _server_of(self._url)  # for the spans' `server.*`

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def complete(
        self,
        *,
        agent: str,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        timeout: float,
    ) -> Completion:
        """One call, in a span of its own (each retry is another call, so another span)."""
        with _tracing.llm_span(model, temperature=temperature, server=self._server) as span:
            done = await self._complete(agent, model, messages, temperature, timeout)
            _tracing.llm_outcome(
                span,
                model=done.model,
                tokens_in=done.tokens_in,
                tokens_out=done.tokens_out,
                finish_reason=done.finish_reason,
            )
            return done

    async def _complete(
        self, agent: str, model: str, messages: list[dict[str, str]], temperature: float, timeout: float
    ) -> Completion:
        request: dict[str, Any] = {"model": model, "messages": messages, "temperature": temperature}
        sink = STREAM_TO.get()
        if sink is not None and sink.wants(agent):
            return await self._stream(request, sink, agent=agent, timeout=timeout)
        reply = await self._transport.post(
            self._url,
            _dumps(request),
            self._headers(agent),
            timeout=timeout,
            where={"agent": agent, "model": model},
        )
        if not 200 <= reply.status < 300:
            raise _status_error(reply, agent=agent, model=model)
        return _to_completion(reply.body, agent=agent, model=model)

    def _headers(self, agent: str) -> dict[str, str]:
        return {"Authorization": self._auth, "X-Harness-Agent": agent, "Content-Type": "application/json"}

    async def _stream(
        self, request: dict[str, Any], sink: TextSink, *, agent: str, timeout: float
    ) -> Completion:
        model = request["model"]
        body = _dumps(request | {"stream": True, "stream_options": {"include_usage": True}})
        sink.begin(agent)
        events = _StreamedCompletion(agent, model, sink)
        reply = await self._transport.post_lines(
            self._url,
            body,
            self._headers(agent),
            events.line,
            timeout=timeout,
            where={"agent": agent, "model": model},
        )
        if not 200 <= reply.status < 300:
            raise _status_error(reply, agent=agent, model=model)
        return events.completion()


def _server_of(url: str) -> tuple[str, int | None]:
    where = urllib.parse.urlsplit(url)
    try:
        port = where.port
    except ValueError:  # not a number: the call will say so, the span just leaves it out
        port = None
    return where.hostname or "", port


def _dumps(request: dict[str, Any]) -> bytes:
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()


class _StreamedCompletion:
    """The server-sent events of one streamed chat completion, read line by line into the same
    `Completion` a plain call returns; each piece of content also goes to the sink."""

    def __init__(self, agent: str, model: str, sink: TextSink) -> None:
        self.agent, self.model, self.sink = agent, model, sink
        self.pieces: list[str] = []
        self.usage = _Usage()
        self.done = False
        self.finish_reason: str | None = None

    def line(self, raw: bytes) -> None:
        if not raw.startswith(b"data:") or self.done:
            return  # blank separators, comments, `event:` lines; nothing counts after [DONE]
        data = raw[5:].strip()
        if data == b"[DONE]":
            self.done = True
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise self._malformed(f"an event is not JSON: {data[:80]!r}") from None
        if not isinstance(chunk, dict):
            raise self._malformed("an event is not a JSON object")
        self._read(chunk)

    def _read(self, chunk: dict[str, Any]) -> None:
        self.model = chunk.get("model") or self.model
        if isinstance(chunk.get("usage"), dict):
            self.usage = _Usage.model_validate(chunk["usage"])
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if isinstance(choice.get("finish_reason"), str):
                self.finish_reason = choice["finish_reason"]
            delta = choice.get("delta")
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str) and piece:
                self.pieces.append(piece)
                self.sink.text(self.agent, piece)

    def completion(self) -> Completion:
        if not self.done:  # the connection closed cleanly, but the answer is not whole
            raise LLMConnectionError(
                f"{self.agent} ({self.model}): the LLM's stream ended before [DONE]",
                agent=self.agent,
                model=self.model,
            )
        text = "".join(self.pieces)
        usage = self.usage
        return Completion(
            text, self.model, usage.prompt_tokens, usage.completion_tokens, finish_reason=self.finish_reason
        )

    def _malformed(self, why: str) -> LLMMalformedResponseError:
        return LLMMalformedResponseError(
            f"{self.agent} ({self.model}): the LLM's stream is broken: {why}",
            agent=self.agent,
            model=self.model,
        )


def _to_completion(body: bytes, *, agent: str, model: str) -> Completion:
    try:
        reply = _ChatCompletion.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise LLMMalformedResponseError(
            f"{agent} ({model}): the LLM's reply is not a chat completion ({where}: {first['msg']}): "
            f"{body[:80]!r}",
            agent=agent,
            model=model,
        ) from None
    if not reply.choices:
        raise LLMMalformedResponseError(
            f"{agent} ({model}): the LLM's reply is not a chat completion (no choices)",
            agent=agent,
            model=model,
        )
    choice, usage = reply.choices[0], reply.usage or _Usage()
    message = choice.message
    return Completion(
        text=message.content or "",
        model=reply.model or model,
        tokens_in=usage.prompt_tokens,
        tokens_out=usage.completion_tokens,
        tool_calls=[
            {"name": c.function.name, "arguments": c.function.arguments}
            for c in (message.tool_calls or [])
            if c.function is not None
        ],
        finish_reason=choice.finish_reason,
    )


def _retry_after(reply: HttpReply) -> float | None:
    value = reply.retry_after
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from LLM APIs; fall back to our backoff


def _error_message(reply: HttpReply) -> str:
    """The `error.message` of an OpenAI-style error body, else the start of the body."""
    try:
        doc = json.loads(reply.body)
        message = doc["error"]["message"] if isinstance(doc.get("error"), dict) else doc["error"]
        return str(message)
    except (ValueError, KeyError, TypeError, AttributeError):
        return reply.body[:200].decode("utf-8", "replace")


def _status_error(reply: HttpReply, *, agent: str, model: str) -> LLMError:
    where, status = f"{agent} ({model})", reply.status
    if status == 429:
        return LLMRateLimitedError(
            f"{where}: LLM rate limit (429)",
            status_code=429,
            retry_after=_retry_after(reply),
            agent=agent,
            model=model,
        )
    if status >= 500:
        return LLMServerError(
            f"{where}: LLM server error {status}",
            status_code=status,
            retry_after=_retry_after(reply),
            agent=agent,
            model=model,
        )
    return PermanentLLMError(
        f"{where}: LLM refused the request ({status}): {_error_message(reply)}",
        status_code=status,
        agent=agent,
        model=model,
    )
