"""What a replay sends: the recorded answer's bytes, and the error a miss gets.

Both mocks answer a request no recording matches with HTTP 421 (`MISS_STATUS`, the in-process
mock's `UNSCRIPTED_STATUS` too), error code `cassette_miss`, the diff as the message and
`x-should-retry: false`: a 4xx that neither the openai SDK nor a system's retry policy retries, so
the system under test fails at once and loudly rather than being served a stale answer.
"""

from __future__ import annotations

import json
from typing import Any

from ._model import Chunk, RecordedResponse

__all__ = ["MISS_CODE", "MISS_STATUS", "body_bytes", "event_bytes", "miss_body", "response_headers"]

MISS_STATUS = 421
MISS_CODE = "cassette_miss"


def event_bytes(chunk: Chunk) -> bytes:
    """One recorded event as it goes on the wire."""
    data = chunk.data if isinstance(chunk.data, str) else json.dumps(chunk.data, ensure_ascii=False)
    return b"data: " + data.encode() + b"\n\n"


def body_bytes(response: RecordedResponse) -> bytes:
    body = response.body
    return body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()


def response_headers(response: RecordedResponse) -> tuple[tuple[str, str], ...]:
    """The recorded headers worth sending again (the content type goes separately)."""
    return tuple((k, v) for k, v in response.headers.items() if k != "content-type")


def content_type(response: RecordedResponse) -> str:
    default = "text/event-stream" if response.streamed else "application/json"
    return response.headers.get("content-type", default)


def miss_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "mock_llm_error", "param": None, "code": MISS_CODE}}
