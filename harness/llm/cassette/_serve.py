"""The mock LLM server's cassette modes: `harness llm --record FILE --upstream URL` relays every
chat completion to the real endpoint and records it; `harness llm --replay FILE` answers from the
recording, at its recorded pace (`--timing`), and answers a drifted request with 421 and a diff.

Only chat completions are recorded and replayed; `/v1/models`, `/health` and the control API are
the server's own. Latency profiles and fault rules do not apply to them (the recording's timing
is the latency). The recorder sends with httpx: an in-process `MockLLM` (respx) in the same
process would intercept it, so run a recording server in a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from ..._exceptions import CassetteError, CassetteMissError
from ..server._messages import Reply, Request, Response, StreamResponse
from ._match import Matcher
from ._model import Cassette, Exchange
from ._recorder import Recorder, SseSplitter, secrets_of, upstream_headers, upstream_key
from ._replay import MISS_STATUS, body_bytes, content_type, event_bytes, miss_body, response_headers
from ._settings import CassetteConfig
from ._timing import Timing, parse_timing

__all__ = ["cassette_handler"]

log = logging.getLogger("harness.llm.cassette")
Handler = Callable[[Request], Reply | Awaitable[Reply]]
_NO_RETRY = (("x-should-retry", "false"),)


def cassette_handler(config: CassetteConfig, drifted: list[str] | None = None) -> Handler:
    """The chat-completions handler for a server given a cassette (read or created now, so a bad
    file fails the start, not the first request); a replay appends each miss's diff to `drifted`."""
    if config.mode == "replay":
        cassette = Cassette.read(config.path)
        matcher = Matcher(cassette, config.match, where=config.path)
        return ReplayHandler(matcher, parse_timing(config.timing), drifted)
    assert config.upstream is not None  # CassetteConfig requires it to record
    return RecordHandler(Recorder(config.path, config.upstream), upstream_key(config.key_env))


def _error(status: int, message: str, code: str) -> Response:
    body = {"error": {"message": message, "type": "mock_llm_error", "param": None, "code": code}}
    return Response(status, json.dumps(body).encode(), headers=_NO_RETRY)


def _decoded(raw: bytes) -> dict[str, Any] | Response:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _error(400, "the request body must be a JSON object", "invalid_request")
    return body


class ReplayHandler:
    """Answers each request with its recording; a miss is a 421 whose message is the diff."""

    def __init__(self, matcher: Matcher, timing: Timing, drifted: list[str] | None = None) -> None:
        self.matcher, self.timing = matcher, timing
        self.drifted = drifted if drifted is not None else []

    def __call__(self, request: Request) -> Reply | Awaitable[Reply]:
        start = time.monotonic()
        body = _decoded(request.body)
        if isinstance(body, Response):
            return body
        try:
            exchange = self.matcher.answer(body, request.headers.get("x-harness-agent"))
        except CassetteMissError as exc:
            log.warning("%s", exc)
            self.drifted.append(str(exc))
            return Response(MISS_STATUS, json.dumps(miss_body(str(exc))).encode(), headers=_NO_RETRY)
        return self._reply(exchange, start)

    def _reply(self, exchange: Exchange, start: float) -> Reply | Awaitable[Reply]:
        response = exchange.response
        headers, kind = response_headers(response), content_type(response)
        if response.chunks is not None:
            events = [event_bytes(c) for c in response.chunks]
            if self.timing.is_none:
                return StreamResponse(events, response.status, kind, headers)
            offsets = [self.timing.seconds(c.t_ms) for c in response.chunks]
            return StreamResponse(_paced(events, offsets, start), response.status, kind, headers)
        reply = Response(response.status, body_bytes(response), kind, headers)
        if self.timing.is_none or response.elapsed_ms == 0:
            return reply
        return _at(reply, start + self.timing.seconds(response.elapsed_ms))


async def _paced(events: list[bytes], offsets: list[float], start: float) -> AsyncIterator[bytes]:
    """Each event at its offset from the request's arrival, as recorded (times the factor)."""
    for event, offset in zip(events, offsets, strict=True):
        wait = start + offset - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        yield event


async def _at(reply: Response, when: float) -> Response:
    await asyncio.sleep(max(0.0, when - time.monotonic()))
    return reply


class RecordHandler:
    """Relays each request to the real endpoint, streams included as they come, and records it."""

    def __init__(self, recorder: Recorder, key: str | None) -> None:
        self.recorder, self.key = recorder, key

    async def __call__(self, request: Request) -> Reply:
        body = _decoded(request.body)
        if isinstance(body, Response):
            return body
        client = httpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))
        sent = client.build_request(
            "POST",
            f"{self.recorder.upstream}/chat/completions",
            content=request.body,
            headers=upstream_headers(request.headers, self.key),
        )
        start = time.perf_counter()
        try:
            upstream = await client.send(sent, stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            message = f"recording: the upstream {self.recorder.upstream} failed ({exc!r}); check --upstream"
            return _error(502, message, "upstream_error")
        what = {"body": body, "agent": request.headers.get("x-harness-agent")}
        secrets = secrets_of(request.headers, self.key)
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            events = self._relay(client, upstream, what, start, secrets)
            return StreamResponse(events, upstream.status_code, headers=_kept(upstream))
        try:
            content = await upstream.aread()
        finally:
            await client.aclose()
        self._add(what, upstream, start, secrets, body=content)
        kind = upstream.headers.get("content-type", "application/json")
        return Response(upstream.status_code, content, kind, _kept(upstream))

    async def _relay(
        self,
        client: httpx.AsyncClient,
        upstream: httpx.Response,
        what: dict[str, Any],
        start: float,
        secrets: tuple[str, ...],
    ) -> AsyncIterator[bytes]:
        splitter, events = SseSplitter(), list[tuple[float, bytes]]()
        try:
            async for data in upstream.aiter_bytes():
                for event in splitter.feed(data):
                    events.append(((time.perf_counter() - start) * 1000, event))
                    yield event
            for event in splitter.rest():
                events.append(((time.perf_counter() - start) * 1000, event))
                yield event
        finally:
            await upstream.aclose()
            await client.aclose()
        # Only a whole stream is recorded: one the client left half-way would replay as a cut answer.
        self._add(what, upstream, start, secrets, events=events)

    def _add(
        self,
        what: dict[str, Any],
        upstream: httpx.Response,
        start: float,
        secrets: tuple[str, ...],
        **answer: Any,
    ) -> None:
        if upstream.status_code in (401, 403):
            log.error("recording: the upstream refused the key (%s): not recorded", upstream.status_code)
            return
        elapsed = (time.perf_counter() - start) * 1000
        try:
            self.recorder.add(
                what,
                status=upstream.status_code,
                headers=upstream.headers.multi_items(),
                elapsed_ms=elapsed,
                secrets=secrets,
                **answer,
            )
        except (OSError, CassetteError) as exc:
            log.error("recording: cannot write %s: %s", self.recorder.path, exc)


def _kept(upstream: httpx.Response) -> tuple[tuple[str, str], ...]:
    return tuple(
        (k, v) for k, v in upstream.headers.items() if k.lower() in ("retry-after", "x-should-retry")
    )
