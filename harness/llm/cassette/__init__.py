"""Cassettes: record an OpenAI-compatible endpoint once, replay it offline, fail loudly on drift.

    harness llm --record cassettes/desk.json --upstream https://api.openai.com/v1 --port 8400
    harness llm --replay cassettes/desk.json [--match model,messages,tools] [--timing recorded|scaled:F|none]

    with MockLLM() as llm:                      # in process (any httpx / openai / langchain client)
        llm.replay("cassettes/desk.json")       # or @pytest.mark.cassette("desk.json") with mock_llm

    server = replay_server("cassettes/desk.json")    # the server in a thread, recorded timing
    ...  # clients use server.base_url
    server.stop()

A cassette (`Cassette`, schema "harness.cassette/1") holds each exchange redacted at write time:
no request header but the agent's, API keys masked, PII redacted (`_redact`). A replayed request
is matched on model, messages and tools (`Matcher`); one that matches nothing gets HTTP 421 and a
unified diff against the nearest recording, in process a `CassetteMissError` at the end of the
test. The workflow: docs/cassettes.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._inprocess import CassettePlayer, CassetteRecorder
from ._match import DEFAULT_MATCH, Matcher, parse_match
from ._model import SCHEMA, Cassette, Chunk, Exchange, RecordedRequest, RecordedResponse
from ._recorder import Recorder
from ._replay import MISS_CODE, MISS_STATUS
from ._settings import CassetteConfig, CassetteSettings, load_cassette_settings
from ._timing import Timing, parse_timing

if TYPE_CHECKING:
    from ..server import MockLLMServer

__all__ = [
    "DEFAULT_MATCH",
    "MISS_CODE",
    "MISS_STATUS",
    "SCHEMA",
    "Cassette",
    "CassetteConfig",
    "CassettePlayer",
    "CassetteRecorder",
    "CassetteSettings",
    "Chunk",
    "Exchange",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "Timing",
    "load_cassette_settings",
    "parse_match",
    "parse_timing",
    "replay_server",
]


def replay_server(
    path: str | Path, *, match: tuple[str, ...] = DEFAULT_MATCH, timing: str = "recorded"
) -> MockLLMServer:
    """A mock LLM server replaying `path`, started in a thread on a free port (`.stop()` it)."""
    from ..server import ServerConfig, start_in_thread  # the server imports this package

    config = CassetteConfig(mode="replay", path=str(path), match=match, timing=timing)
    return start_in_thread(ServerConfig(cassette=config))
