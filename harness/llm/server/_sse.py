"""A `chat.completion` body as the server-sent events of a streamed answer.

Built from the same body a plain request gets (`_wire.completion_body`), so both modes
agree on id, model, content, tool calls and usage. The sequence is OpenAI's: a first
chunk with the role, one chunk per piece of content (about a word) or per tool call, a
chunk with the finish reason, then with `stream_options.include_usage` a chunk with no
choices and the usage (every earlier chunk then carries `"usage": null`), then
`data: [DONE]`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ._replies import dumps

__all__ = ["DONE", "Event", "malformed_events", "stream_events", "truncate"]

DONE = b"data: [DONE]\n\n"
_PIECE = re.compile(r"\s*\S+\s*|\s+")  # a word with its spaces: about one token-ish chunk
_CHARS_PER_TOKEN = 4  # the same estimate `Reply.usage_for` makes


@dataclass(frozen=True, slots=True)
class Event:
    """One SSE event, and how many output tokens it carries (for latency spreading)."""

    data: bytes
    tokens: int = 0
    content: bool = False  # content or tool-call payload, what a truncation cuts into


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + dumps(obj) + b"\n\n"


def _tokens(text: str) -> int:
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


def stream_events(body: dict[str, Any], *, include_usage: bool) -> list[Event]:
    """The events streaming `body` (a `chat.completion`), ending with `[DONE]`."""
    base: dict[str, Any] = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body["created"],
        "model": body["model"],
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None
    choice = body["choices"][0]
    message = choice["message"]
    # Every chunk is the same JSON around its delta: serialise that frame once, not per word.
    head = _sse({**base, "choices": []})[: -len(b"[]}\n\n")] + b'[{"index":0,"delta":'
    tail = b',"logprobs":null,"finish_reason":null}]}\n\n'

    def chunk(delta: dict[str, Any]) -> bytes:
        return head + dumps(delta) + tail

    events = [Event(chunk({"role": "assistant", "content": "", "refusal": None}))]
    for piece in _PIECE.findall(message.get("content") or ""):
        events.append(Event(chunk({"content": piece}), _tokens(piece), content=True))
    for n, call in enumerate(message.get("tool_calls") or ()):
        size = _tokens(call["function"]["name"] + call["function"]["arguments"])
        events.append(Event(chunk({"tool_calls": [{"index": n, **call}]}), size, content=True))
    finish = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}
    events.append(Event(_sse({**base, "choices": [finish]})))
    if include_usage:
        events.append(Event(_sse({**base, "choices": [], "usage": body["usage"]})))
    events.append(Event(DONE))
    return events


def truncate(events: list[Event]) -> list[Event]:
    """The events up to about half the content: what a stream cut mid-answer delivered."""
    content = [i for i, event in enumerate(events) if event.content]
    keep = content[len(content) // 2 - 1] + 1 if len(content) >= 2 else 1
    return events[:keep]


def malformed_events(body: dict[str, Any]) -> list[Event]:
    """A stream whose first event's data is cut mid-JSON, as a broken proxy might send."""
    good = _sse(
        {
            "id": body["id"],
            "object": "chat.completion.chunk",
            "created": body["created"],
            "model": body["model"],
            "choices": [],
        }
    )
    return [Event(good[: len(good) // 2] + b"\n\n"), Event(DONE)]
