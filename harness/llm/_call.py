"""`Call`: one chat-completions request the mock received, in the words of the test.

Tests assert on calls (`route.calls[0].model`, `.prompt`, `.last_user_message`...), so a
`Call` exposes the request body's fields as attributes and keeps the raw `httpx.Request`
for anything else. It is also what a callable `side_effect` receives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._route import Route

__all__ = ["AGENT_HEADER", "Call", "message_text"]

#: The request header that names the calling agent. The reference system sets it on every
#: call; any system can set it (e.g. `extra_headers={AGENT_HEADER: "planner"}` with the
#: openai SDK) to script agents by name, or script by model or prompt instead.
AGENT_HEADER = "X-Harness-Agent"


@dataclass(eq=False, repr=False)
class Call:
    """One request to `POST {base_url}/chat/completions`, as the mock saw it.

    `route` is the route that answered (None when no route matched) and `response` the
    HTTP response sent back (None when the reply was a raised error such as a timeout).
    """

    request: httpx.Request
    body: dict[str, Any]
    index: int
    route: Route | None = field(default=None, repr=False)
    response: httpx.Response | None = field(default=None, repr=False)
    #: The agent the mock recognised by its system prompt or tools (`MockLLM.identify`).
    identified: str | None = field(default=None, repr=False)

    @classmethod
    def from_request(cls, request: httpx.Request, *, index: int) -> Call:
        return cls(request=request, body=_json_body(request), index=index)

    @property
    def agent(self) -> str | None:
        """The `X-Harness-Agent` header; without it, the agent recognised by its system prompt or
        tools (`MockLLM.identify`); else None."""
        agent: str | None = self.request.headers.get(AGENT_HEADER)
        return agent if agent is not None else self.identified

    @property
    def system_prompt(self) -> str:
        """The text of the `system` messages, joined by newlines."""
        return "\n".join(message_text(m) for m in self.messages if m.get("role") in ("system", "developer"))

    @property
    def tool_names(self) -> list[str]:
        """The names of the functions the call offers as tools."""
        names = []
        for tool in self.tools:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                names.append(function["name"])
        return names

    @property
    def model(self) -> str:
        return str(self.body.get("model") or "")

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    @property
    def temperature(self) -> float | None:
        value = self.body.get("temperature")
        return float(value) if isinstance(value, int | float) else None

    @property
    def tools(self) -> list[dict[str, Any]]:
        tools = self.body.get("tools")
        return list(tools) if isinstance(tools, list) else []

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def prompt(self) -> str:
        """The text of every message, joined by newlines: what `prompt=` regexes search."""
        return "\n".join(message_text(m) for m in self.messages)

    @property
    def last_user_message(self) -> str:
        """The text of the last `user` message ("" if there is none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message)
        return ""

    def __repr__(self) -> str:
        return (
            f"<Call #{self.index} agent={self.agent!r} model={self.model!r} "
            f"last_user_message={self.last_user_message[:60]!r}>"
        )

    def describe(self) -> str:
        """A few lines naming this call, for failure messages."""
        agent = (
            repr(self.agent)
            if self.agent is not None
            else (f"None (no {AGENT_HEADER} header, no llm.agent(name, system=..., tool=...) rule matched)")
        )
        prompt = self.prompt
        shown = prompt[:200] + (f"... ({len(prompt)} chars)" if len(prompt) > 200 else "")
        return (
            f"call #{self.index} to {self.request.method} {self.request.url}\n"
            f"  agent:  {agent}\n"
            f"  model:  {self.model!r}\n"
            f"  prompt: {shown!r}"
        )


def message_text(message: dict[str, Any]) -> str:
    """The text of one message; content may be a string or a list of typed parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Multimodal messages: only the text parts are searchable.
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _json_body(request: httpx.Request) -> dict[str, Any]:
    # A body that is not a JSON object still makes a Call (with no messages), so the test
    # fails with "unscripted call" rather than with a parsing error inside the transport.
    try:
        body = json.loads(request.content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
