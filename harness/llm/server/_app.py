"""Routes and handlers: the OpenAI endpoints, `/health`, and the control API.

    POST /v1/chat/completions   (also /chat/completions, for base URLs without /v1)
    GET  /v1/models, /v1/models/{id}
    GET  /health

The control API (`/_control/...`) answers only on connections to `control_host` (loopback by
default): with `--host 0.0.0.0` other hosts reach the OpenAI API, never the fault switches,
unless `--control-host` says so.

A completion: the brain writes the content, the fault plan may spoil it, the latency
profile delays it. Without a delay the reply is built and sent in the same call, which is
most of the server's speed; a delay, a hang or a paced stream makes it a coroutine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ...process import is_loopback, is_wildcard
from .. import faults
from .._reply import Reply as Thought
from .._wire import completion_body, models_response
from ._completion import ChatRequest, build_reply, identify, parse_chat
from ._control import ControlApi
from ._faults import Fired
from ._latency import Delay
from ._messages import CLOSE, Close, Reply, Request, Response, StreamResponse
from ._replies import DUMMY_REQUEST, ApiError, call_for, dumps, error_reply, from_httpx, json_response
from ._sse import Event, malformed_events, stream_events, truncate
from ._state import ServerState, Stats

__all__ = ["App", "control_reachable"]

log = logging.getLogger("harness.llm.server")

AnyReply = Reply | Awaitable[Reply]
_AGENT_HEADER = "x-harness-agent"
_HEALTH = Response(200, b'{"status":"ok"}')


class App:
    """The server's handler: `App(state)(request)` -> a reply or an awaitable of one."""

    def __init__(self, state: ServerState, control_host: str = "127.0.0.1") -> None:
        self.state, self.control_host = state, control_host
        control = {key: self._guarded(route) for key, route in ControlApi(state).routes().items()}
        chat: Callable[[Request], AnyReply] = self.chat
        self.drifted: list[str] = []  # a replay's misses, for the summary at exit
        if state.config.cassette is not None:  # --record / --replay: the cassette answers instead
            from ..cassette._serve import cassette_handler

            chat = cassette_handler(state.config.cassette, self.drifted)
        self._routes: dict[tuple[str, str], Callable[[Request], AnyReply]] = {
            ("POST", "/v1/chat/completions"): chat,
            ("POST", "/chat/completions"): chat,
            ("GET", "/v1/models"): self.models,
            ("GET", "/models"): self.models,
            ("GET", "/health"): lambda _: _HEALTH,
            **control,
        }

    def _guarded(self, route: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            if not control_reachable(self.control_host, request.local):
                raise ApiError(
                    403,
                    f"the control API answers on {self.control_host} only, not on {request.local}; "
                    "to reach it from other hosts start the mock LLM with --control-host ADDRESS",
                    error_code="control_not_here",
                )
            return route(request)

        return guarded

    def __call__(self, request: Request) -> AnyReply:
        self.state.stats.requests += 1
        try:
            handler = self._routes.get((request.method, request.path)) or self._other(request)
            return handler(request)
        except ApiError as exc:
            if exc.status < 500:
                self.state.stats.rejected += 1
            return error_reply(exc)

    def _other(self, request: Request) -> Callable[[Request], AnyReply]:
        for prefix in ("/v1/models/", "/models/"):
            if request.method == "GET" and request.path.startswith(prefix):
                return self.model
        if any(path == request.path for _, path in self._routes):
            raise ApiError(405, f"{request.method} is not allowed on {request.path}")
        raise ApiError(404, f"no route {request.method} {request.path}", error_code="unknown_url")

    # -- models -----------------------------------------------------------------------
    def models(self, request: Request) -> Response:
        return from_httpx(models_response(self.state.known_models(), request=DUMMY_REQUEST))

    def model(self, request: Request) -> Response:
        name = request.path.rsplit("/", 1)[-1]
        if name not in self.state.known_models():
            raise ApiError(404, f"The model '{name}' does not exist", error_code="model_not_found")
        return json_response({"id": name, "object": "model", "created": 0, "owned_by": "harness-mock-llm"})

    # -- completions ------------------------------------------------------------------
    def chat(self, request: Request) -> AnyReply:
        state = self.state
        req = parse_chat(request.body, request.headers.get(_AGENT_HEADER))
        if req.agent is None and state.config.agents:
            req = dataclasses.replace(req, agent=identify(state.config.agents, req.messages, req.tools))
        state.stats.completion(req.agent, req.model, req.stream)
        state.saw_model(req.model)
        index = state.next_index()
        thought = self._think(req)
        route = state.route(req.agent, thought) if state.plan.needs_route else None
        fired = state.plan.pick(model=req.model, agent=req.agent, route=route, stream=req.stream)
        kind = fired.rule.kind if fired else None
        if fired is not None:
            state.stats.faults[fired.rule.kind] += 1
        if fired is not None and kind == "status":
            fault = faults.Status(fired.rule.status_code, retry_after=fired.rule.retry_after)
            return from_httpx(fault.respond(call_for(req.body, index)))
        if fired is not None and kind == "hang":
            return self._hang(fired)
        body = completion_body(build_reply(req, thought, fired), call_for(req.body, index))
        if req.stream:
            return self._stream(req, body, fired)
        payload = dumps(body)
        if kind == "malformed":
            return Response(200, payload[: len(payload) // 2])
        reply = Response(200, payload)
        if kind == "truncated":
            reply = Response(200, payload[: len(payload) // 2], declared_length=len(payload))
        delay = state.latency.draw(req.model)
        if delay.is_zero:
            return reply
        return _later(reply, delay.total(body["usage"]["completion_tokens"]))

    def _think(self, req: ChatRequest) -> Thought:
        try:
            return self.state.brain(req.agent, req.messages, req.model, req.tools)
        except Exception as exc:
            # A brain bug must read as a server error the test can see, not a dropped connection.
            log.exception("the brain failed for agent %r", req.agent)
            raise ApiError(500, f"mock LLM brain failed: {exc!r}", error_code="brain_error") from None

    def _stream(self, req: ChatRequest, body: dict[str, Any], fired: Fired | None) -> StreamResponse:
        kind = fired.rule.kind if fired else None
        if kind == "malformed":
            return StreamResponse([e.data for e in malformed_events(body)])
        events = stream_events(body, include_usage=req.include_usage)
        if kind == "truncated":
            events = truncate(events)
        delay = self.state.latency.draw(req.model)
        if fired is not None and kind == "stall":
            return StreamResponse(_stalled(events, delay, fired.rule.hang_seconds, self.state.stats))
        if delay.is_zero:
            return StreamResponse([e.data for e in events], truncate=kind == "truncated")
        return StreamResponse(_paced(events, delay), truncate=kind == "truncated")

    async def _hang(self, fired: Fired) -> Close:
        # Held until the client disconnects (the protocol cancels this) or the rule's bound.
        self.state.stats.hanging += 1
        try:
            await asyncio.sleep(fired.rule.hang_seconds)
        finally:
            self.state.stats.hanging -= 1
        return CLOSE


async def _later(reply: Response, seconds: float) -> Response:
    await asyncio.sleep(seconds)
    return reply


async def _paced(events: list[Event], delay: Delay, *, first: bool = True) -> AsyncIterator[bytes]:
    """Events at model speed: the first after the TTFT, each later one after its tokens.

    Each event is due at an absolute time (the previous one's due time plus its own delay), not
    a sleep after the previous write: a sleep overshoots (0.3 ms mean for 40 ms here, more on a
    busy machine, the selector rounds its timeout up to the millisecond), and relative sleeps
    add that to every gap, +1.8-2.9% on 40 ms gaps in benchmarks/stream_fidelity.py. On a
    schedule, one event's lateness is taken back from the next gap, as a model's tokens come
    when they are made, not when the last one was written. `first=False`: no TTFT (a stream
    resumed mid-answer)."""
    loop = asyncio.get_running_loop()
    ttft = delay.ttft_s if first else 0.0
    due = loop.time() + ttft
    await asyncio.sleep(ttft)
    for event in events:
        if event.tokens:
            due += delay.chunk_s(event.tokens)
            await asyncio.sleep(max(0.0, due - loop.time()))
        yield event.data


async def _stalled(events: list[Event], delay: Delay, seconds: float, stats: Stats) -> AsyncIterator[bytes]:
    """The first half of the content at model speed, then `seconds` of silence (the connection
    held open, counted as hanging), then the rest: the client's own timeout decides."""
    head = truncate(events)
    async for data in _paced(head, delay):
        yield data
    stats.hanging += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        stats.hanging -= 1
    async for data in _paced(events[len(head) :], delay, first=False):
        yield data


def control_reachable(control_host: str, local: str) -> bool:
    """Whether a connection to the server address `local` may use a control API bound to
    `control_host` (a wildcard: any; loopback: any loopback address; else that address)."""
    if not local or is_wildcard(control_host):  # no address: an in-process request
        return True
    if is_loopback(control_host):
        return is_loopback(local)
    return local == control_host
