"""`Recorder`: exchanges with a real endpoint, redacted, appended to a cassette file as they end.

The file is rewritten atomically after every exchange, so a recording cut short (Ctrl-C, a test
that fails) keeps every exchange finished so far and never half of one. A recording starts a new
cassette: re-recording replaces the old file.

Also the pieces both recorders share: which headers go upstream (every one but hop-by-hop ones,
the key replaced when the recorder was given one), and the server-sent-events splitter.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..._exceptions import CassetteError
from ._model import Cassette, Chunk, Exchange, RecordedRequest, RecordedResponse
from ._redact import kept_headers, scrub, scrub_stream

__all__ = ["Recorder", "SseSplitter", "bare_url", "upstream_headers", "upstream_key"]

# Not forwarded: hop-by-hop, or set by the client that sends upstream.
_NOT_FORWARDED = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "expect"}
)


def bare_url(url: str) -> str:
    """`url` without credentials, query or trailing slash: what a cassette may say it recorded."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def upstream_key(key_env: str | None) -> str | None:
    """The API key in env `key_env`; None when no variable is named (the client's own key is
    forwarded then). A named variable that is unset is an error, found before any request."""
    if not key_env:
        return None
    key = os.environ.get(key_env)
    if not key:
        raise CassetteError(f"upstream key: env {key_env} is not set; export it, or name another variable")
    return key


def upstream_headers(headers: Mapping[str, str], key: str | None) -> dict[str, str]:
    """The client's headers for the real endpoint, with `key` as the bearer token if given."""
    out = {k: v for k, v in headers.items() if k.lower() not in _NOT_FORWARDED}
    if key is not None:
        out = {k: v for k, v in out.items() if k.lower() not in ("authorization", "api-key")}
        out["Authorization"] = f"Bearer {key}"
    return out


def secrets_of(headers: Mapping[str, str], key: str | None) -> tuple[str, ...]:
    """The credentials in play, masked wherever they show up in a body."""
    found = [key or ""]
    for name, value in headers.items():
        if name.lower() in ("authorization", "api-key"):
            found.append(value.removeprefix("Bearer ").strip())
    return tuple(s for s in found if len(s) >= 8)  # shorter ones would mask ordinary words


class SseSplitter:
    """Bytes of a server-sent-events stream in, whole events out (each ending in a blank line)."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data.replace(b"\r\n", b"\n")
        *events, self._buf = self._buf.split(b"\n\n")
        return [e + b"\n\n" for e in events if e.strip()]

    def rest(self) -> list[bytes]:
        rest, self._buf = self._buf, b""
        return [rest + b"\n\n"] if rest.strip() else []


def event_data(event: bytes) -> Any:
    """The `data:` of one event, decoded JSON when it is JSON (`[DONE]` stays text)."""
    lines = event.decode("utf-8", "replace").split("\n")
    data = "\n".join(line[5:].removeprefix(" ") for line in lines if line.startswith("data:"))
    try:
        return json.loads(data)
    except ValueError:
        return data


class Recorder:
    """Appends redacted exchanges to the cassette at `path`, rewriting it after each."""

    def __init__(self, path: str | Path, upstream: str) -> None:
        self.path = Path(path)
        self.upstream = upstream.rstrip("/")
        self.cassette = Cassette(upstream=bare_url(upstream))
        self._lock = threading.Lock()
        self._check_writable()

    def _check_writable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.cassette.write(self.path)
        except OSError as exc:
            raise CassetteError(f"{self.path}: cannot write the cassette ({exc.strerror or exc})") from None

    def add(
        self,
        request: Mapping[str, Any],
        *,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes | None = None,
        events: list[tuple[float, bytes]] | None = None,
        elapsed_ms: float,
        secrets: tuple[str, ...] = (),
    ) -> Exchange:
        """Redact one finished exchange and write it: `body` for a whole answer, else `events`
        (each with its milliseconds since the request)."""
        request_body = request.get("body")
        agent = request.get("agent")
        recorded = RecordedRequest(
            path="/chat/completions",
            agent=scrub(agent, secrets) if isinstance(agent, str) else None,
            body=scrub(request_body if isinstance(request_body, dict) else {}, secrets),
        )
        response = _response(status, headers, body, events, elapsed_ms, secrets)
        exchange = Exchange(request=recorded, response=response, usage=_usage(response))
        with self._lock:
            self.cassette.exchanges.append(exchange)
            self.cassette.write(self.path)
        return exchange


def _response(
    status: int,
    headers: Iterable[tuple[str, str]],
    body: bytes | None,
    events: list[tuple[float, bytes]] | None,
    elapsed_ms: float,
    secrets: tuple[str, ...],
) -> RecordedResponse:
    kept = kept_headers(headers)
    if events is not None:
        datas = scrub_stream([event_data(raw) for _, raw in events], secrets)
        chunks = [Chunk(t_ms=round(t, 3), data=d) for (t, _), d in zip(events, datas, strict=True)]
        return RecordedResponse(status=status, headers=kept, chunks=chunks, elapsed_ms=round(elapsed_ms, 3))
    try:
        decoded: Any = json.loads(body or b"null")
    except ValueError:
        decoded = (body or b"").decode("utf-8", "replace")
    return RecordedResponse(
        status=status, headers=kept, body=scrub(decoded, secrets), elapsed_ms=round(elapsed_ms, 3)
    )


def _usage(response: RecordedResponse) -> dict[str, Any] | None:
    found = [c.data for c in response.chunks or ()] + [response.body]
    usages = [d.get("usage") for d in found if isinstance(d, dict) and isinstance(d.get("usage"), dict)]
    return usages[-1] if usages else None
