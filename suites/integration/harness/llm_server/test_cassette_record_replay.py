"""Record once against a real endpoint, replay offline: `harness llm --record` in front of a second
`harness llm` standing in for the real endpoint (its own fixed latency, so the timing is visible),
then `harness llm --replay` with both stopped. Any client: the openai SDK and langchain-openai's
ChatOpenAI, over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai
import pytest

from harness.llm.cassette import Cassette

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

TTFT_MS, PER_TOKEN_MS = 250, 8  # the stand-in endpoint's pace
KEY = "sk-recorderkey0123456789abcdef"
CLIENT_KEY = "sk-clientkey0123456789abcdef"
SYSTEM = "You are the billing desk of ACME."
QUESTIONS = ["Was I charged twice in May?", "Can I get an invoice copy?"]
UPSTREAM_CONFIG = f"""
[latency]
default = "steady"
[latency.profiles.steady]
kind = "fixed"
ttft_median_ms = {TTFT_MS}
per_token_ms = {PER_TOKEN_MS}
"""


@contextmanager
def harness_llm(
    *args: str, env: dict[str, str] | None = None, exit_code: int = 0, stderr: list[str] | None = None
) -> Iterator[str]:
    """`harness llm --port 0 ARGS` in a process of its own; yields its base URL. At exit it must
    end with `exit_code`; what it printed on stderr goes into `stderr` when given."""
    command = [sys.executable, "-m", "harness.llm.server", "--port", "0", *args]
    err = subprocess.PIPE if stderr is not None else None
    env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("mock LLM listening on "), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == exit_code
        if stderr is not None and proc.stderr is not None:
            stderr.append(proc.stderr.read())
            proc.stderr.close()
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def client(base_url: str, key: str = CLIENT_KEY) -> Iterator[openai.OpenAI]:
    with httpx.Client(timeout=10) as http:
        yield openai.OpenAI(base_url=base_url, api_key=key, http_client=http, max_retries=0)


def system_under_test(llm: openai.OpenAI, question: str, *, system: str = SYSTEM) -> str:
    """A tiny system of our own: one prompt, one plain answer."""
    messages: Any = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    reply = llm.chat.completions.create(model="gpt-4o-mini", messages=messages)
    return reply.choices[0].message.content or ""


def streamed(llm: openai.OpenAI, question: str) -> tuple[str, float]:
    """The streamed answer and its time to first content token, in ms (as a TTFT test measures)."""
    messages: Any = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    start, first, text = time.perf_counter(), None, ""
    stream = llm.chat.completions.create(
        model="gpt-4o-mini", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    for chunk in stream:
        piece = chunk.choices[0].delta.content if chunk.choices else None
        if piece and first is None:
            first = (time.perf_counter() - start) * 1000
        text += piece or ""
    assert first is not None
    return text, first


def first_content_ms(cassette: Cassette) -> float:
    """The recorded offset of the streamed exchange's first event with text."""
    chunks = cassette.exchanges[2].response.chunks or []
    return next(c.t_ms for c in chunks if isinstance(c.data, dict) and _text(c.data))


def _text(data: dict[str, Any]) -> str:
    choices = data.get("choices") or [{}]
    return str((choices[0].get("delta") or {}).get("content") or "")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Everything the system asked through the recorder, with the answers and TTFTs it saw."""
    folder = tmp_path_factory.mktemp("cassette")
    (folder / "up.toml").write_text(UPSTREAM_CONFIG)
    path = folder / "desk.json"
    with harness_llm("--config", str(folder / "up.toml")) as upstream:
        record = ("--record", str(path), "--upstream", upstream, "--upstream-key-env", "REAL_KEY")
        with harness_llm(*record, env={"REAL_KEY": KEY}) as recorder, client(recorder) as llm:
            answers = [system_under_test(llm, q) for q in QUESTIONS]
            text, ttft = streamed(llm, "Stream me the refund policy.")
    return {"path": path, "upstream": upstream, "answers": answers, "stream": text, "ttft_ms": ttft}


def test_the_cassette_holds_every_exchange_with_timing_and_usage_but_no_key(
    recording: dict[str, Any],
) -> None:
    text = recording["path"].read_text()
    cassette = Cassette.parse(text)
    assert [e.response.streamed for e in cassette.exchanges] == [False, False, True]
    assert all(e.usage and e.usage["total_tokens"] > 0 for e in cassette.exchanges)
    assert cassette.exchanges[2].response.ttft_ms >= TTFT_MS
    assert KEY not in text and CLIENT_KEY not in text and "uthorization" not in text


def test_replay_offline_gives_the_recorded_answers_and_ttft(recording: dict[str, Any]) -> None:
    with pytest.raises(httpx.ConnectError):  # the stand-in for the real endpoint is gone
        httpx.get(recording["upstream"].removesuffix("/v1") + "/health")

    with harness_llm("--replay", str(recording["path"])) as replay, client(replay, "not-a-real-key") as llm:
        answers = [system_under_test(llm, q) for q in QUESTIONS]
        text, ttft = streamed(llm, "Stream me the refund policy.")

    assert answers == recording["answers"] and text == recording["stream"]
    # The replayed first content token comes when the recorder saw it come from the endpoint (the
    # client's TTFT while recording also holds the relay's hop, noisy on a busy machine): within 10%.
    recorded = first_content_ms(Cassette.read(recording["path"]))
    assert abs(ttft - recorded) < 0.1 * recorded, (ttft, recorded)


def test_scaled_timing_moves_the_ttft_so_the_check_can_fail(recording: dict[str, Any]) -> None:
    with (
        harness_llm("--replay", str(recording["path"]), "--timing", "scaled:0.2") as replay,
        client(replay) as llm,
    ):
        _, fast = streamed(llm, "Stream me the refund policy.")
    with harness_llm("--replay", str(recording["path"]), "--timing", "none") as replay, client(replay) as llm:
        _, instant = streamed(llm, "Stream me the refund policy.")
    recorded = first_content_ms(Cassette.read(recording["path"]))
    assert abs(fast - recorded * 0.2) < 0.1 * recorded, (fast, recorded)
    assert abs(fast - recorded) >= 0.5 * recorded  # the tolerance above would catch a wrong pace
    assert instant < 40


def test_a_changed_prompt_fails_loudly_with_a_diff(recording: dict[str, Any]) -> None:
    printed: list[str] = []
    with (
        harness_llm("--replay", str(recording["path"]), exit_code=1, stderr=printed) as replay,
        client(replay) as llm,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        system_under_test(llm, QUESTIONS[0], system="You are the refunds desk of ACME.")

    assert caught.value.status_code == 421
    message = str(caught.value)
    assert "differs in messages" in message
    assert '-      "content": "You are the billing desk of ACME.",' in message
    assert '+      "content": "You are the refunds desk of ACME.",' in message
    # At exit (code 1 above) the server says it once more, so a CI step fails even if the 421 was
    # swallowed by the system under test.
    assert "1 request(s) drifted from the cassette" in printed[0]
    assert '+      "content": "You are the refunds desk of ACME.",' in printed[0]


def test_langchain_chatopenai_replays_over_http(recording: dict[str, Any]) -> None:
    from langchain_openai import ChatOpenAI

    with harness_llm("--replay", str(recording["path"]), "--timing", "none") as replay:
        chat = ChatOpenAI(model="gpt-4o-mini", base_url=replay, api_key="x", max_retries=0)  # type: ignore[arg-type]
        reply = chat.invoke([("system", SYSTEM), ("user", QUESTIONS[1])])
    assert reply.content == recording["answers"][1]


def test_a_replay_server_in_a_thread_serves_the_same(recording: dict[str, Any]) -> None:
    from harness.llm.cassette import replay_server

    server = replay_server(recording["path"], timing="none")
    try:
        with client(server.base_url) as llm:
            assert system_under_test(llm, QUESTIONS[0]) == recording["answers"][0]
    finally:
        server.stop()
