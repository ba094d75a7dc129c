"""What the HTTP layer hands a handler and what a handler may answer.

A handler returns a `Response` (a whole body), a `StreamResponse` (server-sent events,
all ready at once or from an async iterator, which paces them), or `CLOSE` (nothing:
the connection drops), or an awaitable of one of these when it must wait first.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["CLOSE", "Close", "Handler", "Reply", "Request", "Response", "StreamResponse"]


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    local: str = ""  # the address the client connected to (which interface: see `App`)


@dataclass(slots=True)
class Response:
    """A whole answer. `declared_length` > len(body) sends a cut body, then closes."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    declared_length: int | None = None


@dataclass(slots=True)
class StreamResponse:
    """Server-sent events; `truncate` closes the connection after them, mid-stream."""

    events: Iterable[bytes] | AsyncIterable[bytes]
    status: int = 200
    content_type: str = "text/event-stream"
    headers: tuple[tuple[str, str], ...] = field(default=())
    truncate: bool = False


class Close:
    """Answer nothing: close the connection (the end of a hang)."""


CLOSE = Close()

Reply = Response | StreamResponse | Close
Handler = Callable[[Request], Reply | Awaitable[Reply]]
