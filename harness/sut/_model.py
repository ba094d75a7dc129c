"""What every tier sends to a system under test, and what it reads back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Kind", "Outcome", "SystemUnderTest", "Turn", "bypassing_cache", "cache_bypassed"]

# Set while an in-process adapter asks a system a turn with `no_cache`: a system reads it with
# `cache_bypassed()` wherever its cache is, without a parameter threaded down to it.
_NO_CACHE: ContextVar[bool] = ContextVar("harness_no_cache", default=False)


def cache_bypassed() -> bool:
    """Whether the turn being answered asked not to be served from a cache (`Turn.no_cache`, or
    a request with `Cache-Control: no-cache` inside `bypassing_cache`)."""
    return _NO_CACHE.get()


@contextmanager
def bypassing_cache(on: bool = True) -> Iterator[None]:
    """`cache_bypassed()` is `on` inside: for a service that read `Cache-Control: no-cache`."""
    token = _NO_CACHE.set(on)
    try:
        yield
    finally:
        _NO_CACHE.reset(token)


#: answered: the system's answer (an escalation and a fallback are answers too); rejected: it
#: refused the input; retriable: an error reply that says "try again" (429, 503); error: an error
#: reply that does not; no_response: nothing came back (a timeout, a broken connection).
Kind = Literal["answered", "rejected", "retriable", "error", "no_response", "invalid"]


class Turn(BaseModel):
    """One customer message."""

    model_config = ConfigDict(frozen=True)
    query: str
    user_id: str = "anonymous"
    customer_tier: str = "standard"
    session_id: str | None = None
    request_id: str | None = None  # set by load and chaos runs to reconcile sent vs answered
    # Repeated trials must be independent: the system should answer afresh, not from a response
    # cache. Over HTTP it is sent as `Cache-Control: no-cache`; in process, see `cache_bypassed`.
    no_cache: bool = False


class Outcome(BaseModel):
    """What the system did with a turn. `status` separates answers from rejections and errors."""

    model_config = ConfigDict(extra="allow")
    # invalid: a reply that does not keep the system's contract (an empty answer and no
    # escalation, a route off the declared vocabulary, a 2xx that is not the declared JSON)
    status: Literal["ok", "rejected", "error", "invalid"] = "ok"
    route: str | None = None
    answer: str = ""
    escalated: bool = False
    escalation_reason: str | None = None
    confidence: float | None = None
    fallback: str | None = None
    degraded: bool = False
    tokens_in: int | None = None  # None: the system did not say (not measured, never "0 tokens")
    tokens_out: int | None = None
    cost_usd: float | None = None
    latency_ms: float = 0.0  # as the harness measured it (the client's round trip over HTTP)
    server_ms: float | None = None  # as the system reported it, when it does
    cache_hit: bool | None = None
    trace_id: str | None = None
    path: list[str] = Field(default_factory=list)
    tool_calls: list[str] = Field(default_factory=list)  # the tools the system called, in order
    request_id: str | None = None  # as the system echoed it, when it does
    error: str | None = None
    retriable: bool = False
    http_status: int | None = None

    @property
    def kind(self) -> Kind:
        """The one classification every tier counts by (`harness.measure` defines what each adds to)."""
        if self.status == "ok":
            return "answered"
        if self.status == "rejected":
            return "rejected"
        if self.status == "invalid":
            return "invalid"
        if self.http_status is None:
            return "no_response"
        return "retriable" if self.retriable else "error"

    @classmethod
    def from_mapping(cls, data: dict[str, Any], **extra: Any) -> Outcome:
        """Read our own response shape, or a close one (`tokens: {in, out}`, `escalate`)."""
        doc = dict(data)
        tokens = doc.pop("tokens", None)
        if isinstance(tokens, dict):
            doc.setdefault("tokens_in", tokens.get("in", 0))
            doc.setdefault("tokens_out", tokens.get("out", 0))
        if "escalate" in doc and "escalated" not in doc:
            doc["escalated"] = bool(doc.pop("escalate"))
        if "fallback" in doc and doc["fallback"] is not None and not isinstance(doc["fallback"], str):
            doc["fallback"] = str(doc["fallback"])
        if isinstance(doc.get("tool_calls"), list):
            doc["tool_calls"] = [_tool_name(t) for t in doc["tool_calls"]]
        return cls.model_validate(doc | extra)


def _tool_name(call: Any) -> Any:
    """A tool call as its name: a str already, or an object with `name` (or `function.name`)."""
    if isinstance(call, dict):
        function = call.get("function")
        return call.get("name") or (function.get("name") if isinstance(function, dict) else None)
    return getattr(call, "name", call)


@runtime_checkable
class SystemUnderTest(Protocol):
    """The one interface through which every tier drives a system."""

    name: str

    async def ask(self, turn: Turn) -> Outcome:
        """Send one turn; never raise for the system's own failures: report them in the Outcome."""
        ...

    async def aclose(self) -> None: ...
