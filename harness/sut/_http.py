"""The HTTP seam: a turn becomes one request, and a reply becomes one `Outcome`, in one place.

Every tier that talks to a system over HTTP goes through `HTTPContract`: `HTTPSystem` (httpx, the
integration tier and chaos), the locustfile (Locust's own client) and the stack's probes. So a
reply is classified once, the same way everywhere:

    2xx with a JSON object     ok (its fields read by the declared `reply` paths)
    2xx with anything else     error: not the system's reply (an HTML page, a truncated body)
    rejected_status (400, 422) rejected: the system refused the input
    retriable_status (429, 503) error, retriable: the system said "try again"
    any other status           error, not retriable: the caller cannot tell what happened
    no response                error, no status: a timeout or a broken connection
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from ..traces import TRACEPARENT, parse_traceparent, trace_id_for, traceparent
from ._declaration import HttpSpec
from ._model import Outcome, Turn
from ._stream import StreamReader, stream_request

__all__ = ["HTTPContract", "HTTPSystem", "HttpRequest", "dig"]

_MAX_DETAIL = 300


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def trace_id(self) -> str | None:
        """The trace this request starts (its `traceparent`), for the spans a system exports."""
        value = next((v for k, v in self.headers.items() if k.lower() == TRACEPARENT), None)
        parsed = parse_traceparent(value)
        return parsed[0] if parsed else None


def _fill(template: Any, values: dict[str, Any]) -> Any:
    """A body template with the turn's values: "{query}" alone keeps the value's type (a None
    drops the key); inside a longer string it is formatted in."""
    if isinstance(template, dict):
        out = {k: _fill(v, values) for k, v in template.items()}
        return {k: v for k, v in out.items() if v is not _DROP}
    if isinstance(template, list):
        return [v for v in (_fill(v, values) for v in template) if v is not _DROP]
    if isinstance(template, str):
        key = template[1:-1] if template.startswith("{") and template.endswith("}") else None
        if key in values:
            return _DROP if values[key] is None else values[key]
        return template.format_map({k: "" if v is None else v for k, v in values.items()})
    return template


_DROP = object()


def dig(doc: Any, dotted: str) -> Any:
    """`doc["a"]["b"]` for `dotted = "a.b"`; None where the path leads nowhere."""
    for key in dotted.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


class HTTPContract:
    """How one system speaks HTTP (`HttpSpec`, from `[tool.harness.system.http]`), and what a
    valid answer is: a JSON object with a non-empty answer or an escalation, and (with `routes`,
    the declared vocabulary) a route from it. Anything else a 2xx brings is `invalid`, never
    "answered": a system that says 200 to everything has not answered anything."""

    def __init__(self, spec: HttpSpec | None = None, *, routes: Iterable[str] = ()) -> None:
        self.spec = spec or HttpSpec()
        self.routes = frozenset(routes)

    def request(self, turn: Turn) -> HttpRequest:
        values = turn.model_dump()
        headers = dict(self.spec.headers)
        if turn.request_id:
            headers[self.spec.request_id_header] = turn.request_id
        if turn.no_cache:  # the contract for repeated trials: answer afresh, not from a cache
            headers["Cache-Control"] = "no-cache"
        if TRACEPARENT not in {k.lower() for k in headers}:
            # W3C trace context: a system that propagates it puts its spans under this trace
            # id, derived from the request id, so every record of the request names its trace.
            headers[TRACEPARENT] = traceparent(trace_id_for(turn.request_id))
        return HttpRequest(self.spec.method, self.spec.path, _fill(self.spec.body, values), headers)

    def read(self, status: int, body: bytes | str, latency_ms: float = 0.0) -> Outcome:
        """The outcome of a reply with this status and body."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        base = {"http_status": status, "latency_ms": latency_ms}
        if status in self.spec.rejected_status:
            return Outcome(status="rejected", error=text[:_MAX_DETAIL], **base)
        if not 200 <= status < 300:
            retriable = status in self.spec.retriable_status
            return Outcome(
                status="error", error=f"HTTP {status}: {text[:_MAX_DETAIL]}", retriable=retriable, **base
            )
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return Outcome(
                status="invalid", error=f"HTTP {status} but not a JSON object: {text[:120]!r}", **base
            )
        return self.outcome(doc, **base)

    def outcome(self, doc: dict[str, Any], **extra: Any) -> Outcome:
        """A 2xx reply's JSON read into an Outcome by the declared paths."""
        fields = {
            name: value
            for name, dotted in self.spec.reply.model_dump().items()
            if dotted is not None and (value := dig(doc, dotted)) is not None
        }
        try:
            outcome = Outcome.from_mapping(fields, **extra)
        except ValidationError as exc:  # the reply's fields are not what the contract says
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            return Outcome(status="invalid", error=f"reply field {where}: {err['msg']}", **extra)
        broken = self.broken(outcome)
        return outcome.model_copy(update={"status": "invalid", "error": broken}) if broken else outcome

    def broken(self, outcome: Outcome) -> str | None:
        """Why an answer does not keep the contract, or None when it does."""
        if outcome.status != "ok":
            return None
        if not outcome.escalated and not outcome.answer.strip():
            field = self.spec.reply.answer or "answer"
            return f"an empty answer ({field!r}) and no escalation"
        if self.routes and not outcome.escalated and outcome.route not in self.routes:
            field = self.spec.reply.route or "route"
            got = "no route" if outcome.route is None else f"route {outcome.route!r}"
            return f"{got} ({field!r}) is not one of the declared routes ({', '.join(sorted(self.routes))})"
        return None

    @staticmethod
    def no_response(error: BaseException | str, latency_ms: float | None = None) -> Outcome:
        """No reply at all: a timeout, a refused or broken connection."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return Outcome(status="error", error=text[:_MAX_DETAIL], retriable=True, latency_ms=latency_ms or 0.0)


def _traced(outcome: Outcome, req: HttpRequest) -> Outcome:
    """The outcome with the trace the request started, unless the system named its own."""
    if outcome.trace_id or req.trace_id is None:
        return outcome
    return outcome.model_copy(update={"trace_id": req.trace_id})


class HTTPSystem:
    """A system behind HTTP. `HTTPSystem("http://127.0.0.1:8000/ask")` posts `{"query": ...}` there;
    `HTTPSystem(base_url, spec)` speaks a declared contract (`[tool.harness.system.http]`)."""

    def __init__(
        self,
        url: str,
        spec: HttpSpec | None = None,
        *,
        name: str | None = None,
        timeout_s: float | None = None,
        client: httpx.AsyncClient | None = None,
        headers: dict[str, str] | None = None,
        routes: Iterable[str] = (),
    ) -> None:
        parts = urlsplit(url)
        if spec is None:
            spec = HttpSpec(path=parts.path or "/")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.contract = HTTPContract(spec, routes=routes)
        self.name = name or url
        self._own = client is None
        self._client = client or httpx.AsyncClient(
            timeout=timeout_s or spec.timeout_s, headers=headers, trust_env=False
        )

    @property
    def url(self) -> str:
        return self.base_url + self.contract.spec.path

    async def ask(self, turn: Turn) -> Outcome:
        req = self.contract.request(turn)
        started = time.perf_counter()
        try:
            resp = await self._client.request(
                req.method, self.base_url + req.path, json=req.json, headers=req.headers
            )
        except httpx.HTTPError as exc:
            outcome = self.contract.no_response(exc, (time.perf_counter() - started) * 1000)
        else:
            outcome = self.contract.read(
                resp.status_code, resp.content, (time.perf_counter() - started) * 1000
            )
        return _traced(outcome, req)

    async def ask_stream(self, turn: Turn) -> tuple[Outcome, StreamReader]:
        """The turn to the declared streaming endpoint, each SSE line timed as it arrives by a
        `StreamReader` (as the load tier's locustfile does). The whole stream is bounded by the
        client's read timeout: a stall past it is cut, an outcome with no response."""
        req = stream_request(self.contract, turn)
        started = time.perf_counter()
        reader = StreamReader(self.contract, started)
        bound = self._client.timeout.read or self.contract.spec.timeout_s

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            async with (
                asyncio.timeout(bound),
                self._client.stream(
                    req.method, self.base_url + req.path, json=req.json, headers=req.headers
                ) as resp,
            ):
                if not 200 <= resp.status_code < 300:
                    return _traced(
                        self.contract.read(resp.status_code, await resp.aread(), elapsed()), req
                    ), reader
                async for line in resp.aiter_lines():
                    reader.line(line)
        except TimeoutError:
            return _traced(
                self.contract.no_response(f"the stream did not end within {bound:g} s", elapsed()), req
            ), reader
        except httpx.HTTPError as exc:  # refused, reset, cut mid-stream
            return _traced(self.contract.no_response(exc, elapsed()), req), reader
        return _traced(reader.outcome(resp.status_code, elapsed()), req), reader

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()
