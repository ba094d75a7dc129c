"""The in-process mock's cassette modes: `MockLLM.replay(path)` and `MockLLM.record(path, ...)`.

A replay answers at once (the in-process mock keeps no clock; for TTFT tests replay through the
server, `harness.llm.cassette.serve`); a streamed recording is sent whole as its events. A
recording goes to the real endpoint with the standard library's `urllib`, which neither respx nor
the httpx2 patch intercepts, so a test recording through the `mock_llm` fixture reaches the
network only through the recorder.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from http.client import HTTPResponse
from pathlib import Path

import httpx

from ..._exceptions import CassetteError
from .._call import AGENT_HEADER, Call
from ._match import DEFAULT_MATCH, Matcher
from ._model import Cassette
from ._recorder import Recorder, SseSplitter, secrets_of, upstream_headers, upstream_key
from ._replay import body_bytes, content_type, event_bytes

__all__ = ["CassettePlayer", "CassetteRecorder"]


class CassettePlayer:
    """Answers a `Call` from a cassette; `CassetteMissError` (with a diff) when nothing matches."""

    def __init__(self, path: str | Path, match: tuple[str, ...] = DEFAULT_MATCH) -> None:
        self.path = Path(path)
        self.matcher = Matcher(Cassette.read(self.path), match, where=str(self.path))

    def answer(self, call: Call) -> httpx.Response:
        response = self.matcher.answer(call.body, call.request.headers.get(AGENT_HEADER)).response
        if response.chunks is not None:
            content = b"".join(event_bytes(c) for c in response.chunks)
        else:
            content = body_bytes(response)
        headers = {**response.headers, "content-type": content_type(response)}
        return httpx.Response(response.status, headers=headers, content=content, request=call.request)


class CassetteRecorder:
    """Sends each `Call` to the real endpoint `upstream` and records the exchange."""

    def __init__(self, path: str | Path, upstream: str, key_env: str | None = "OPENAI_API_KEY") -> None:
        self.key = upstream_key(key_env)
        self.recorder = Recorder(path, upstream)

    def answer(self, call: Call) -> httpx.Response:
        headers = dict(call.request.headers)
        sent = urllib.request.Request(
            f"{self.recorder.upstream}/chat/completions",
            data=call.request.content,
            headers=upstream_headers(headers, self.key),
            method="POST",
        )
        start = time.perf_counter()
        with _open(sent, self.recorder.upstream) as upstream:
            kind = upstream.headers.get("content-type", "application/json")
            answer = _read_events(upstream, start) if kind.startswith("text/event-stream") else None
            content = b"".join(e for _, e in answer) if answer is not None else upstream.read()
            status, upstream_headers_ = upstream.status, list(upstream.headers.items())
        if status in (401, 403):
            raise CassetteError(
                f"recording: {self.recorder.upstream} refused the key ({status}); set OPENAI_API_KEY"
            )
        what = {"body": call.body, "agent": call.request.headers.get(AGENT_HEADER)}
        body = {"events": answer} if answer is not None else {"body": content}
        self.recorder.add(
            what,
            status=status,
            headers=upstream_headers_,
            elapsed_ms=(time.perf_counter() - start) * 1000,
            secrets=secrets_of(headers, self.key),
            **body,
        )
        return httpx.Response(status, headers={"content-type": kind}, content=content, request=call.request)


def _open(request: urllib.request.Request, upstream: str) -> HTTPResponse:
    try:
        response: HTTPResponse = urllib.request.urlopen(request, timeout=600)
    except urllib.error.HTTPError as exc:  # a status the endpoint answered: recorded like any other
        return exc  # type: ignore[return-value]  # an HTTPError is a readable response
    except (urllib.error.URLError, OSError) as exc:
        raise CassetteError(f"recording: cannot reach {upstream} ({exc}); check the upstream URL") from None
    return response


def _read_events(upstream: HTTPResponse, start: float) -> list[tuple[float, bytes]]:
    splitter, events = SseSplitter(), list[tuple[float, bytes]]()
    for line in upstream:  # line by line: each event's time is when its last line came
        events += [((time.perf_counter() - start) * 1000, e) for e in splitter.feed(line)]
    events += [((time.perf_counter() - start) * 1000, e) for e in splitter.rest()]
    return events
