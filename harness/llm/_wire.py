"""The OpenAI wire format: `chat.completion` bodies, error bodies and the model list.

Bodies follow the real API closely enough for the `openai` SDK to parse them into its
own types; fields the real API omits when empty (`tool_calls`) are omitted here too, so
systems that work against the mock also work against the real thing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ._call import Call
from ._reply import Reply

__all__ = ["completion_body", "completion_response", "error_response", "models_response"]

# OpenAI's error `type` for a status; clients branch on the status, logs show the type.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def completion_body(reply: Reply, call: Call) -> dict[str, Any]:
    """A `chat.completion` object answering `call` with `reply`."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": tool.id or f"call_mock_{call.index}_{n}",
                "type": "function",
                "function": {"name": tool.name, "arguments": tool.arguments_json},
            }
            for n, tool in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-mock-{call.index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or call.model or "mock-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": reply.resolved_finish_reason,
                "logprobs": None,
            }
        ],
        "usage": reply.usage_for(call.prompt).as_dict(),
    }


def completion_response(reply: Reply, call: Call) -> httpx.Response:
    return httpx.Response(200, json=completion_body(reply, call), request=call.request)


def error_response(
    status_code: int,
    message: str,
    *,
    request: httpx.Request,
    code: str | None = None,
    error_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""
    default_type = "server_error" if status_code >= 500 else "invalid_request_error"
    error = {
        "message": message,
        "type": error_type or _ERROR_TYPES.get(status_code, default_type),
        "param": None,
        "code": code,
    }
    return httpx.Response(status_code, json={"error": error}, headers=dict(headers or {}), request=request)


def models_response(models: Iterable[str], *, request: httpx.Request) -> httpx.Response:
    """`GET /models`: every model the mock knows of, so SDK health checks pass."""
    data = [
        {"id": model, "object": "model", "created": 0, "owned_by": "harness-mock-llm"}
        for model in sorted(set(models))
    ]
    return httpx.Response(200, json={"object": "list", "data": data}, request=request)
