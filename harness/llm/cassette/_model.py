"""The cassette file, schema "harness.cassette/1": what a real endpoint answered, redacted.

    {"schema": "harness.cassette/1", "upstream": "https://api.openai.com/v1",
     "exchanges": [{"request": {"agent": null, "body": {...}},
                    "response": {"status": 200, "headers": {...}, "body": {...}, "elapsed_ms": 812.4},
                    "usage": {"prompt_tokens": 21, ...}}, ...]}

A streamed answer keeps its server-sent events in `response.chunks` (`body` null), each with the
milliseconds since the request went out (`t_ms`) and its `data` (the decoded JSON, or the text
`[DONE]`), so a replay paces them as the endpoint did. Everything in it was redacted before it
was written (`_redact`); no request header but `X-Harness-Agent` is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..._exceptions import CassetteError, HarnessError
from ..._files import TypedFile

__all__ = ["SCHEMA", "Cassette", "Chunk", "Exchange", "RecordedRequest", "RecordedResponse"]

SCHEMA = "harness.cassette/1"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Chunk(_Part):
    """One server-sent event of a streamed answer."""

    t_ms: float = Field(ge=0, description="milliseconds from the request to this event")
    data: Any = Field(description="the event's data: decoded JSON, or the text (e.g. '[DONE]')")


class RecordedRequest(_Part):
    """The request as the endpoint got it, minus its headers (only the agent's name is kept)."""

    path: str = "/chat/completions"
    agent: str | None = Field(None, description="the X-Harness-Agent header, if sent")
    body: dict[str, Any]


class RecordedResponse(_Part):
    """The endpoint's answer: a JSON body, or the events of a stream."""

    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    chunks: list[Chunk] | None = None
    elapsed_ms: float = Field(0.0, ge=0, description="milliseconds from the request to the last byte")

    @property
    def streamed(self) -> bool:
        return self.chunks is not None

    @property
    def ttft_ms(self) -> float:
        """Milliseconds to the first event (to the whole body, unstreamed)."""
        return self.chunks[0].t_ms if self.chunks else self.elapsed_ms


class Exchange(_Part):
    request: RecordedRequest
    response: RecordedResponse
    usage: dict[str, Any] | None = Field(None, description="the answer's token usage, if it had one")
    recorded_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


class Cassette(TypedFile):
    """Every exchange recorded against one endpoint, in the order they happened."""

    SCHEMA: ClassVar[str] = SCHEMA
    ERROR: ClassVar[type[HarnessError]] = CassetteError
    FIX: ClassVar[str] = "record it again (docs/cassettes.md: harness llm --record FILE --upstream URL)"

    upstream: str = Field("", description="the endpoint recorded against, without credentials")
    redacted: list[str] = Field(
        default_factory=lambda: ["headers", "secrets", "pii"],
        description="what was removed before writing",
    )
    exchanges: list[Exchange] = Field(default_factory=list)
