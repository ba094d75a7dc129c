"""A chat-completions request, checked, and the `Reply` the brain and the faults make of it.

Tool calls: with `tool_choice` naming a function, or `"required"` (the first tool offered),
the reply calls it with arguments that fit the function's JSON schema (required fields
get a placeholder of their type, enums their first value). With `"auto"` (the default)
the reply is the brain's: text, JSON or its own tool calls (a handoff, a worker's tool).

Which agent calls: the `X-Harness-Agent` header, else the first identification rule
(`AgentRule`: a system-prompt regex or a tool the call offers) that matches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .. import Reply, ToolCall
from .._call import message_text
from ._effects import broken_call, hallucinated_tool, invalid_label, schema_violation
from ._faults import Fired
from ._replies import ApiError

__all__ = ["ChatRequest", "build_reply", "identify", "parse_chat"]

_PLACEHOLDERS: dict[str, Any] = {
    "string": "mock",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    "object": {},
    "null": None,
}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    agent: str | None
    stream: bool
    include_usage: bool
    tools: list[Any]
    forced: dict[str, Any] | None  # the function `tool_choice` makes the reply call


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, error_code="invalid_request")


def parse_chat(raw: bytes, agent: str | None) -> ChatRequest:
    """Check the fields the server relies on; a bad request gets a 400 naming the field."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' is required: a non-empty string", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise _bad("'messages' is required: a non-empty array of message objects", "messages")
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise _bad("'tools' must be an array", "tools")
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    stream = body.get("stream") is True
    forced = _forced_function(tools, body.get("tool_choice"))
    return ChatRequest(body, model, messages, agent, stream, include_usage, tools, forced)


def _function(tool: Any) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    return function if isinstance(function, dict) else {}


def _forced_function(tools: list[Any], choice: Any) -> dict[str, Any] | None:
    if not tools or choice in (None, "auto", "none"):
        return None
    if choice == "required":
        return _function(tools[0])
    wanted = _function(choice).get("name") if isinstance(choice, dict) else None
    for tool in tools:
        if _function(tool).get("name") == wanted:
            return _function(tool)
    raise _bad(f"tool_choice names {wanted!r}, which is not in 'tools'", "tool_choice")


def placeholder_arguments(schema: Any) -> dict[str, Any]:
    """Arguments satisfying the required properties of a JSON schema `object`."""
    if not isinstance(schema, dict):
        return {}
    raw_properties = schema.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    args: dict[str, Any] = {}
    for name in schema.get("required") or ():
        raw_spec = properties.get(str(name))
        spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
        enum, kind = spec.get("enum"), spec.get("type")
        if isinstance(enum, list) and enum:
            args[name] = enum[0]
        elif kind == "object":
            args[name] = placeholder_arguments(spec)
        else:
            args[name] = _PLACEHOLDERS.get(str(kind[0] if isinstance(kind, list) else kind), "mock")
    return args


def build_reply(req: ChatRequest, thought: Reply, fired: Fired | None) -> Reply:
    """The reply for `req`: the brain's, a forced tool call, or a content fault."""
    kind = fired.rule.kind if fired else None
    content = thought.text or ""
    if fired is not None and kind == "hallucinated_tool":
        return Reply(tool_calls=[hallucinated_tool(req.tools, fired.rng)])
    if kind == "empty":
        return Reply(content="")
    if fired is not None and kind == "invalid_route":
        return Reply(content=invalid_label(fired.rng))
    if fired is not None and kind == "schema_violation" and thought.tool_calls:
        # Tool-calling traffic: the same calls, with arguments that break each tool's schema.
        calls = [broken_call(c, fired.rule.variant, fired.rng) for c in thought.tool_calls]
        return Reply(tool_calls=calls)
    if fired is not None and kind == "schema_violation":
        return Reply(content=schema_violation(content, fired.rule.variant, fired.rng))
    function = req.forced
    if function is not None:
        name = str(function.get("name") or "unnamed_function")
        return Reply(tool_calls=[ToolCall(name, placeholder_arguments(function.get("parameters")))])
    return thought


def identify(rules: dict[str, Any], messages: list[dict[str, Any]], tools: list[Any]) -> str | None:
    """The agent of a call that sent no agent header, by the first rule that matches it."""
    if not rules:
        return None
    system = "\n".join(message_text(m) for m in messages if m.get("role") in ("system", "developer"))
    offered = {str(_function(t).get("name")) for t in tools}
    for name, rule in rules.items():
        if rule.system is not None and re.search(rule.system, system):
            return str(name)
        if rule.tool is not None and rule.tool in offered:
            return str(name)
    return None
