"""HTTP responses in OpenAI's shapes, from the in-process mock's builders (`_wire`, `faults`).

The respx mock builds `httpx.Response` objects; `from_httpx` turns one into the server's
`Response`, so both mocks send byte-for-byte the same error bodies and headers. The hot
path (a plain completion) skips httpx and serialises the body dict directly.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..._exceptions import MockServerError
from .._call import Call
from .._wire import error_response
from ._messages import Response

__all__ = ["DUMMY_REQUEST", "ApiError", "call_for", "dumps", "error_reply", "from_httpx", "json_response"]

# `_wire` and `faults` want the httpx request they answer; they only read its body through
# the `Call`, so one placeholder serves every request.
DUMMY_REQUEST = httpx.Request("POST", "http://mock-llm.invalid/v1/chat/completions")

_KEPT_HEADERS = ("retry-after",)


class ApiError(MockServerError):
    """A request the server refuses, answered as `{"error": {...}}` with `status`."""

    code = "mock_server_api_error"

    def __init__(
        self, status: int, message: str, *, param: str | None = None, error_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.error_code = error_code


def call_for(body: dict[str, Any], index: int) -> Call:
    return Call(request=DUMMY_REQUEST, body=body, index=index)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once, not per call


def dumps(obj: Any) -> bytes:
    return _ENCODER.encode(obj).encode()


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(status, dumps(obj))


def from_httpx(response: httpx.Response) -> Response:
    headers = tuple((name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers)
    content_type = response.headers.get("content-type", "application/json")
    return Response(response.status_code, response.content, content_type, headers)


def error_reply(exc: ApiError) -> Response:
    response = error_response(exc.status, exc.message, request=DUMMY_REQUEST, code=exc.error_code)
    if exc.param is not None:  # `_wire` has no `param`; OpenAI fills it for bad fields
        body = response.json()
        body["error"]["param"] = exc.param
        return Response(exc.status, dumps(body))
    return from_httpx(response)
