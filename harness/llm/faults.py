"""Faults on demand: what a real LLM endpoint does on a bad day.

Each fault is a small value usable wherever a reply is, alone or in a sequence::

    llm.model("gpt-4o").side_effect = [faults.Status(503, retry_after=2), "ok"]
    llm.agent("planner").return_value = faults.Timeout()     # every call times out

Transport faults (`Timeout`, `ConnectError`) raise the httpx exception the client would
see; the others answer with an HTTP response. With the openai SDK they surface as
`APITimeoutError`, `APIConnectionError`, `APIStatusError` subclasses, a raw `str` (the
SDK's answer to a body that is not JSON), or a completion with empty or cut content.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import httpx

from .._exceptions import ScriptError
from ._call import Call
from ._reply import Reply
from ._wire import completion_response, error_response

__all__ = [
    "ConnectError",
    "Empty",
    "Fault",
    "Malformed",
    "RateLimited",
    "Status",
    "Timeout",
    "Truncated",
]


class Fault(ABC):
    """Base of all faults: turns a call into a faulty response, or raises."""

    @abstractmethod
    def respond(self, call: Call) -> httpx.Response:
        """The response for `call`; transport faults raise an httpx exception instead."""


@dataclass(frozen=True)
class Status(Fault):
    """An HTTP error with OpenAI's error body, e.g. `Status(503, retry_after=2)`.

    `retry_after` (seconds) becomes a `Retry-After` header, as real rate limits send.
    """

    status_code: int = 500
    retry_after: float | None = None
    message: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status_code <= 599:
            raise ScriptError(f"faults.Status needs a 4xx or 5xx status, got {self.status_code}")

    def respond(self, call: Call) -> httpx.Response:
        headers = {}
        if self.retry_after is not None:
            # Whole seconds print as "2", not "2.0", like real servers send.
            after = self.retry_after
            headers["Retry-After"] = str(int(after)) if float(after).is_integer() else str(after)
        message = self.message or f"MockLLM: scripted HTTP {self.status_code}"
        return error_response(
            self.status_code, message, request=call.request, code=self.code, headers=headers
        )


@dataclass(frozen=True)
class RateLimited(Status):
    """HTTP 429, the usual rate limit: `RateLimited(retry_after=1)`."""

    status_code: int = 429
    code: str | None = "rate_limit_exceeded"


@dataclass(frozen=True)
class Timeout(Fault):
    """The server never answers in time: raises `httpx.ReadTimeout`."""

    def respond(self, call: Call) -> httpx.Response:
        raise httpx.ReadTimeout("MockLLM: scripted read timeout", request=call.request)


@dataclass(frozen=True)
class ConnectError(Fault):
    """The server cannot be reached: raises `httpx.ConnectError`."""

    def respond(self, call: Call) -> httpx.Response:
        raise httpx.ConnectError("MockLLM: scripted connection error", request=call.request)


@dataclass(frozen=True)
class Malformed(Fault):
    """HTTP 200 whose body is not JSON, like a proxy's HTML page.

    The openai SDK returns such a body as a raw `str` instead of a completion. With
    `content_type="application/json"` (a cut or corrupt JSON body) it raises
    `json.JSONDecodeError` instead, outside its own error tree.
    """

    body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    content_type: str = "text/html; charset=utf-8"

    def respond(self, call: Call) -> httpx.Response:
        return httpx.Response(
            200,
            content=self.body.encode(),
            headers={"Content-Type": self.content_type},
            request=call.request,
        )


@dataclass(frozen=True)
class Empty(Fault):
    """HTTP 200, a valid completion whose content is empty ("" or, with `content=None`, null)."""

    content: str | None = ""

    def respond(self, call: Call) -> httpx.Response:
        return completion_response(Reply(content=self.content), call)


@dataclass(frozen=True)
class Truncated(Fault):
    """HTTP 200 cut at the token limit: `finish_reason="length"` and partial content.

    The default content is JSON cut mid-string, what structured output looks like when
    `max_tokens` runs out.
    """

    content: str = '{"answer": "Your refund was approved and will'

    def respond(self, call: Call) -> httpx.Response:
        return completion_response(Reply(content=self.content, finish_reason="length"), call)
