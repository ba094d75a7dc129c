"""A streaming endpoint's contract (`[tool.harness.system.http.stream]`) and the reader that times
its server-sent events, the same for any system:

    [tool.harness.system.http.stream]          # the reference service's
    path = "/v1/chat/stream"
    delta = "text"                             # where an event's JSON holds its piece of text
    delta_event = "delta"                      # only events of this name carry text ("": any)
    final_event = "final"                      # its data is the reply, read by the `reply` paths
    error_event = "error"
    reset_event = "reset"                      # the text so far is withdrawn

    [tool.harness.system.http.stream]          # an OpenAI-compatible endpoint
    path = "/v1/chat/completions"
    body = { model = "gpt-4o-mini", stream = true, messages = [{ role = "user", content = "{query}" }] }
    delta = "choices.0.delta.content"
    delta_event = ""
    final_event = ""                           # none: the last event's JSON is the reply,
    done = "[DONE]"                            # ... the joined deltas its answer

What is timed, in milliseconds from sending the request: `ttft_ms`, the first event of the
answer (any data); `first_content_ms`, the first event with text; `gaps_ms`, the time between one
event with text and the next. Those are *chunks*, not tokens: a system's event may carry a word
or a sentence; only the reply's own token count (`tokens_out`) says how many tokens came.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._model import Outcome, Turn

if TYPE_CHECKING:
    from ._http import HTTPContract, HttpRequest

__all__ = ["StreamReader", "StreamSpec", "StreamTiming", "dig_any", "stream_request"]

_MAX_DETAIL = 300


class StreamSpec(BaseModel):
    """How a system streams its answer: server-sent events with JSON data."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(pattern=r"^/")
    body: dict[str, Any] | None = Field(None, description="the request template; unset: http.body")
    delta: str = Field("text", description="dotted path (list indexes as numbers) of an event's text")
    delta_event: str | None = "delta"
    final_event: str | None = "final"
    error_event: str | None = "error"
    reset_event: str | None = "reset"
    done: str | None = Field(None, description="a data line that ends the stream, e.g. [DONE]")

    @field_validator("delta_event", "final_event", "error_event", "reset_event", "done")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None  # TOML has no null: "" switches that part off


def dig_any(doc: Any, dotted: str) -> Any:
    """`dig` that also walks lists: "choices.0.delta.content"."""
    for key in dotted.split("."):
        if isinstance(doc, list) and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        elif isinstance(doc, dict) and key in doc:
            doc = doc[key]
        else:
            return None
    return doc


def stream_request(contract: HTTPContract, turn: Turn) -> HttpRequest:
    """The streaming request for a turn: the stream's path and body (else the plain body)."""
    from ._http import HttpRequest, _fill  # here: _http imports the declaration, which imports this

    spec = contract.spec.stream
    if spec is None:
        raise ValueError("the system declares no streaming endpoint ([tool.harness.system.http.stream])")
    plain = contract.request(turn)
    body = _fill(spec.body, turn.model_dump()) if spec.body is not None else plain.json
    headers = {**plain.headers, "Accept": "text/event-stream"}
    return HttpRequest(plain.method, spec.path, body, headers)


@dataclass
class StreamTiming:
    """One streamed request's times (ms from its start); None: that moment never came."""

    ttft_ms: float | None = None
    first_content_ms: float | None = None
    gaps_ms: list[float] = field(default_factory=list)
    chunks: int = 0


class StreamReader:
    """Feed it each line of an SSE body as it arrives; `outcome()` reads the stream's end."""

    def __init__(self, contract: HTTPContract, started: float | None = None) -> None:
        self.contract = contract
        self.spec: StreamSpec = contract.spec.stream  # type: ignore[assignment]
        self.started = time.perf_counter() if started is None else started
        self.timing = StreamTiming()
        self.text: list[str] = []
        self.last: dict[str, Any] | None = None  # the last event's JSON
        self.event: str | None = None  # the name of the event being read
        self.ended: Outcome | dict[str, Any] | None = None  # the final reply, or the error
        self._last_content: float | None = None

    def line(self, raw: bytes | str, now: float | None = None) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        if text.startswith("event:"):
            self.event = text[6:].strip()
        elif text.startswith("data:"):
            self._data(text[5:].strip(), (time.perf_counter() if now is None else now) - self.started)
        elif not text:
            self.event = None  # a blank line ends an event

    def _data(self, data: str, elapsed_s: float) -> None:
        ms = elapsed_s * 1000
        if self.ended is not None:
            return
        if self.timing.ttft_ms is None:
            self.timing.ttft_ms = round(ms, 3)
        if self.spec.done is not None and data == self.spec.done:
            self.ended = self.last or {}
            return
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            self.ended = self._error(f"an event is not a JSON object: {data[:120]!r}", retriable=False)
            return
        self._event(doc, ms)

    def _event(self, doc: dict[str, Any], ms: float) -> None:
        spec, name = self.spec, self.event
        if name is not None and name == spec.error_event:
            message = str(doc.get("error") or doc)[:_MAX_DETAIL]
            self.ended = self._error(f"error event: {message}", retriable=bool(doc.get("retriable")))
        elif name is not None and name == spec.final_event:
            self.ended = doc
        elif name is not None and name == spec.reset_event:
            self.text.clear()
        elif spec.delta_event is None or name == spec.delta_event:
            self.last = doc
            piece = dig_any(doc, spec.delta)
            if isinstance(piece, str) and piece:
                self._content(piece, ms)

    def _content(self, piece: str, ms: float) -> None:
        t = self.timing
        if t.first_content_ms is None:
            t.first_content_ms = round(ms, 3)
        elif self._last_content is not None:
            t.gaps_ms.append(round(ms - self._last_content, 3))
        self._last_content = ms
        t.chunks += 1
        self.text.append(piece)

    @property
    def completed(self) -> bool:
        """The stream reached its final event (or done line): not cut, no error event."""
        return isinstance(self.ended, dict)

    def _error(self, message: str, *, retriable: bool) -> Outcome:
        return Outcome(status="error", error=message, retriable=retriable, http_status=200)

    def outcome(self, status: int, latency_ms: float) -> Outcome:
        """What the stream came to: the final reply read by the contract, an error event, or
        (ended without its final event or done line) an error: the answer never came whole."""
        ended = self.ended
        if isinstance(ended, Outcome):
            return ended.model_copy(update={"http_status": status, "latency_ms": latency_ms})
        if ended is None:
            want = f"a {self.spec.final_event!r} event" if self.spec.final_event else repr(self.spec.done)
            return Outcome(
                status="error",
                error=f"the stream ended before {want}",
                http_status=status,
                latency_ms=latency_ms,
            )
        doc = ended
        answer_at = self.contract.spec.reply.answer
        if self.spec.final_event is None and answer_at and "." not in answer_at:
            doc = {**ended, answer_at: "".join(self.text)}  # the joined deltas are the answer
        return self.contract.outcome(doc, http_status=status, latency_ms=latency_ms)
