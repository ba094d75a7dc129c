"""What a scripted route answers: `Reply`, `ToolCall`, `Usage`, and shorthand coercion.

Tests mostly write shorthand (`"billing_support"`, `{"answer": "Paid."}`); `to_reply` turns
that into a `Reply`, the one shape the wire format is built from.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import ScriptError

__all__ = ["Reply", "ToolCall", "Usage", "estimate_tokens", "to_reply"]

#: Roughly how many characters make one token: enough for budgets and cost accounting.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Usage:
    """Token counts for one completion; `total_tokens` defaults to their sum."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.prompt_tokens < 0 or self.completion_tokens < 0:
            raise ScriptError(f"Usage token counts must be >= 0, got {self!r}")
        if self.total_tokens is None:
            object.__setattr__(self, "total_tokens", self.prompt_tokens + self.completion_tokens)

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens or 0,
        }


@dataclass(frozen=True)
class ToolCall:
    """A function call the assistant asks for; dict `arguments` are JSON-encoded on the wire."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        args = self.arguments
        return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


@dataclass(frozen=True)
class Reply:
    """A full assistant reply.

    content: the message text; a dict or list is JSON-encoded (structured output).
    tool_calls: function calls; `finish_reason` then defaults to "tool_calls".
    usage: token counts; None estimates them (about 4 characters per token).
    finish_reason: "stop", "length", "tool_calls", "content_filter"...; None picks one.
    model: the model the response claims; None echoes the requested model.
    """

    content: str | dict[str, Any] | list[Any] | None = None
    tool_calls: list[ToolCall] | tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.content, str | dict | list | None):
            raise ScriptError(f"Reply(content=...) takes a str, dict, list or None, got {self.content!r}")
        for call in self.tool_calls:
            if not isinstance(call, ToolCall):
                raise ScriptError(f"Reply(tool_calls=...) takes ToolCall items, got {call!r}")

    @property
    def text(self) -> str | None:
        """The content as it goes on the wire (dicts and lists JSON-encoded)."""
        if self.content is None or isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, ensure_ascii=False)

    @property
    def resolved_finish_reason(self) -> str:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    def usage_for(self, prompt: str) -> Usage:
        """The scripted usage, or an estimate from the prompt and this reply's text."""
        if self.usage is not None:
            return self.usage
        completion = (self.text or "") + "".join(c.name + c.arguments_json for c in self.tool_calls)
        return Usage(
            prompt_tokens=max(1, estimate_tokens(prompt)),
            completion_tokens=estimate_tokens(completion),
        )


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def to_reply(value: object) -> Reply:
    """Turn reply shorthand into a `Reply`; anything else is a `ScriptError` at setup."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str | dict | list):
        return Reply(content=value)
    if isinstance(value, ToolCall):
        return Reply(tool_calls=[value])
    dump = getattr(value, "model_dump_json", None)
    if callable(dump) and not isinstance(value, type):
        # A pydantic model instance: the structured output a system would parse back.
        return Reply(content=str(dump()))
    raise ScriptError(
        f"cannot script a reply from {value!r} ({type(value).__name__}). Use a str (the "
        "content), a dict/list or pydantic model (JSON content), a Reply, a ToolCall, "
        "a fault from harness.llm.faults, an exception, or a raw httpx.Response."
    )
