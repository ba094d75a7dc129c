"""A span as the harness keeps it: what OTLP carries that the tiers read, in one flat model.

`spans.jsonl` holds one `Span` per line, written by the receiver as spans arrive and read by the
report and the tiers (`read_spans`). Attribute values are kept as OTLP sent them (str, int, float,
bool, or a list of those).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._exceptions import HarnessError

__all__ = ["Span", "SpanEvent", "read_spans"]

Status = Literal["unset", "ok", "error"]


class SpanEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    time_ns: int = 0
    attributes: dict[str, Any] = Field(default_factory=dict)


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_span_id: str | None = None
    name: str
    kind: str = "internal"  # internal, server, client, producer, consumer
    start_ns: int
    end_ns: int
    status: Status = "unset"
    status_message: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[SpanEvent] = Field(default_factory=list)
    service: str | None = None  # the resource's service.name
    scope: str | None = None  # the instrumentation scope (library) that made it

    @property
    def duration_ms(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e6

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def why(self) -> str:
        """What went wrong, as the span says it: its status message, else its exception event."""
        for event in self.events:
            if event.name == "exception":
                kind = event.attributes.get("exception.type", "")
                text = event.attributes.get("exception.message", "")
                return f"{kind}: {text}".strip(": ") or self.status_message
        return self.status_message or str(self.attributes.get("error.type", ""))


def read_spans(paths: Iterable[str | Path]) -> Iterator[Span]:
    """Every span in these files: the receiver's `spans.jsonl` (a `Span` a line), or OTLP/JSON
    exports a line (`{"resourceSpans": ...}`, as the OpenTelemetry Collector's file exporter
    writes them). A torn last line (a writer killed mid-write) is skipped, any other bad line is a
    one-line error naming the file and line."""
    from ._otlp import decode

    for path in paths:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                if isinstance(doc, dict) and "resourceSpans" in doc:
                    yield from decode(line.encode(), "application/json")
                else:
                    yield Span.model_validate(doc)
            except (ValueError, ValidationError) as exc:
                if number == len(lines):
                    continue
                first = str(exc).splitlines()[0]
                raise HarnessError(
                    f"{path}:{number}: not a span ({first}); delete the file or receive the spans again"
                ) from None
