"""`POST /v1/chat/stream`: the answer as server-sent events, as the specialist's LLM streams it.

    event: route   data: {"route": "technical_support"}    once the route is known
    event: delta   data: {"text": "To reset "}              the answer, piece by piece
    event: reset   data: {"reason": "retry"}                the text streamed so far is withdrawn
    event: final   data: {...}                              the same fields as POST /v1/chat
    event: error   data: {"error": "...", "retriable": true}  no answer: the stream ends here

The supervisor's routing does not stream (it is a label, not an answer). A specialist replies
JSON (`{"answer": ..., "confidence": ...}`): its `answer` string is decoded as the JSON arrives,
so the customer reads the answer, never the braces. Whatever the final answer turns out to be,
the streamed text ends equal to it: a retried or repaired call, a fallback after a stream cut
mid-answer, an escalation or a rule or cached answer withdraws what was streamed (`reset`) and
sends the answer as one delta before `final`. The whole stream is bounded by the request deadline
plus the grace period, like `/v1/chat`: past it comes an `error` event, never a hang.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from .._llm import STREAM_TO
from .._state import ROUTES

__all__ = ["AnswerSink", "AnswerText", "sse"]

_ANSWER_START = re.compile(r'"answer"\s*:\s*"')
_SPECIALISTS = frozenset(r for r in ROUTES if r != "escalate_to_human")


def sse(event: str, data: dict[str, Any]) -> bytes:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class AnswerText:
    """The `answer` string of a JSON reply still arriving, decoded as far as it is complete."""

    def __init__(self) -> None:
        self.raw = ""
        self.start: int | None = None  # where the answer's characters begin in `raw`
        self.sent = ""

    def add(self, piece: str) -> str:
        """Feed a piece of the reply; returns the answer text it completes (maybe "")."""
        self.raw += piece
        if self.start is None:
            found = _ANSWER_START.search(self.raw)
            if found is None:
                return ""
            self.start = found.end()
        decoded = _decode_prefix(self.raw[self.start :])
        new, self.sent = decoded[len(self.sent) :], decoded
        return new


def _decode_prefix(body: str) -> str:
    """The JSON string body up to its closing quote or the last whole escape, decoded."""
    i, end = 0, len(body)
    while i < end:
        char = body[i]
        if char == '"':
            break
        if char == "\\":
            width = 6 if body[i + 1 : i + 2] == "u" else 2
            if i + width > end:
                break  # an escape still arriving
            i += width
        else:
            i += 1
    try:
        return str(json.loads('"' + body[:i] + '"'))
    except ValueError:
        return ""  # not a string JSON can read after all: the final answer will say


class AnswerSink:
    """The `TextSink` of one streamed request: specialists' answers become `delta` events on a
    queue the response reads; `None` on the queue ends it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.route: str | None = None
        self.streamed = ""  # the text the client holds now
        self._answer = AnswerText()

    def wants(self, agent: str) -> bool:
        return agent in _SPECIALISTS

    def begin(self, agent: str) -> None:
        if self.route is None:
            self.route = agent
            self.queue.put_nowait(sse("route", {"route": agent}))
        self.withdraw("retry")
        self._answer = AnswerText()

    def text(self, agent: str, piece: str) -> None:
        new = self._answer.add(piece)
        if self.streamed == "":
            new = new.lstrip()  # the final answer is stripped: so is its start here
        if new:
            self.streamed += new
            self.queue.put_nowait(sse("delta", {"text": new}))

    def withdraw(self, reason: str) -> None:
        if self.streamed:
            self.streamed = ""
            self.queue.put_nowait(sse("reset", {"reason": reason}))

    def finish(self, reply: dict[str, Any]) -> None:
        """The last events: the route if none was sent, the answer made whole, `final`."""
        if self.route is None:
            self.route = reply["route"]
            self.queue.put_nowait(sse("route", {"route": reply["route"]}))
        answer = reply["answer"]
        if self.streamed.strip() != answer:
            self.withdraw("fallback" if reply.get("fallback") else "answer")
            self.queue.put_nowait(sse("delta", {"text": answer}))
        self.queue.put_nowait(sse("final", reply))


async def stream_answer(
    answer: Callable[[], Any],
    reply: Callable[[Any], dict[str, Any]],
    fail: Callable[[BaseException], dict[str, Any]],
    *,
    budget_s: float,
) -> AsyncIterator[bytes]:
    """The events of one request: `answer()` runs with the sink set (its LLM calls stream), its
    result made a reply by `reply`; an exception, or the budget passing, becomes the `error`
    event `fail` makes of it. The client leaving cancels the work."""
    sink = AnswerSink()

    async def run() -> None:
        STREAM_TO.set(sink)  # this task's own copy of the context: no other request sees it
        try:
            async with asyncio.timeout(budget_s):
                result = await answer()
            sink.finish(reply(result))
        except Exception as exc:  # every failure ends the stream with its error event
            sink.queue.put_nowait(sse("error", fail(exc)))
        finally:
            sink.queue.put_nowait(None)

    task = asyncio.create_task(run())
    try:
        while (event := await sink.queue.get()) is not None:
            yield event
    finally:
        task.cancel()
