"""Cassettes in process: the matcher and its diff, redaction at write time, replay through
`MockLLM` (plain and streamed, any client) and the `@pytest.mark.cassette` marker."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from harness._exceptions import CassetteError, CassetteMissError
from harness.llm import MockLLM
from harness.llm.cassette import (
    Cassette,
    Chunk,
    Exchange,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    Recorder,
    parse_match,
    parse_timing,
)
from harness.llm.cassette._recorder import SseSplitter, upstream_headers
from harness.llm.server._run import main as llm_main

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

SYSTEM = {"role": "system", "content": "You are the billing desk."}
USER = {"role": "user", "content": "Was I charged twice?"}
CARD, EMAIL, KEY = "4111 1111 1111 1111", "ann.lee@example.com", "sk-live0123456789abcdefABCDEF"
PLANTED = (CARD, "4111111111111111", EMAIL, KEY, "0123456789abcdef")


def completion(text: str, *, model: str = "gpt-4o") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }


def chunk_event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def exchange(messages: list[dict[str, Any]], answer: str, **body: Any) -> Exchange:
    return Exchange(
        request=RecordedRequest(body={"model": "gpt-4o", "messages": messages, **body}),
        response=RecordedResponse(status=200, body=completion(answer), elapsed_ms=40),
    )


def write(tmp_path: Path, *exchanges: Exchange) -> Path:
    return Cassette(upstream="http://real.test/v1", exchanges=list(exchanges)).write(tmp_path / "c.json")


# -- the matcher ------------------------------------------------------------------------------


def test_a_request_equal_but_for_key_order_and_null_fields_is_matched() -> None:
    matcher = Matcher(Cassette(exchanges=[exchange([SYSTEM, USER], "Yes, refunded.")]))
    reordered = {"messages": [{"content": SYSTEM["content"], "role": "system", "name": None}, USER]}
    assert matcher.answer({**reordered, "model": "gpt-4o"}).response.body["choices"][0]["message"][
        "content"
    ] == ("Yes, refunded.")


def test_a_drifted_prompt_misses_with_a_diff_naming_the_field() -> None:
    matcher = Matcher(Cassette(exchanges=[exchange([SYSTEM, USER], "a")]), where="desk.json")
    drifted = {"role": "system", "content": "You are the refunds desk."}

    with pytest.raises(CassetteMissError) as caught:
        matcher.answer({"model": "gpt-4o", "messages": [drifted, USER]})

    text = str(caught.value)
    assert "cassette desk.json: no recording matches" in text
    assert "differs in messages:" in text
    assert '-      "content": "You are the billing desk.",' in text
    assert '+      "content": "You are the refunds desk.",' in text
    assert "re-record" in text


def test_only_the_match_fields_count_and_stream_always_does() -> None:
    recorded = exchange([USER], "a", temperature=0.0)
    assert Matcher(Cassette(exchanges=[recorded])).answer(
        {"model": "gpt-4o", "messages": [USER], "temperature": 1}
    )
    strict = Matcher(Cassette(exchanges=[recorded]), parse_match("model,messages,temperature"))
    with pytest.raises(CassetteMissError, match="differs in temperature"):
        strict.answer({"model": "gpt-4o", "messages": [USER], "temperature": 1})
    loose = Matcher(Cassette(exchanges=[recorded]), parse_match(["model"]))
    assert loose.answer({"model": "gpt-4o", "messages": [{"role": "user", "content": "other"}]})
    with pytest.raises(CassetteMissError, match="differs in stream"):
        loose.answer({"model": "gpt-4o", "messages": [USER], "stream": True})


def test_repeated_requests_replay_in_order_then_the_last_repeats() -> None:
    matcher = Matcher(Cassette(exchanges=[exchange([USER], "first"), exchange([USER], "second")]))
    answers = [matcher.answer({"model": "gpt-4o", "messages": [USER]}).response.body for _ in range(3)]
    assert [a["choices"][0]["message"]["content"] for a in answers] == ["first", "second", "second"]


def test_an_empty_cassette_says_so() -> None:
    with pytest.raises(CassetteMissError, match="holds no recordings"):
        Matcher(Cassette()).answer({"model": "gpt-4o", "messages": [USER]})


def test_bad_match_and_timing_options_name_the_fix() -> None:
    assert parse_timing("scaled:0.5").seconds(1000) == 0.5
    assert parse_timing("none").is_none and parse_timing(None).factor == 1
    with pytest.raises(CassetteError, match="give recorded, none or scaled:F"):
        parse_timing("scaled:fast")
    with pytest.raises(CassetteError, match="give request body keys"):
        parse_match("model,mess ages")


# -- redaction at write time ------------------------------------------------------------------


def leaks(text: str) -> list[str]:
    return [value for value in PLANTED if value in text]


def test_planted_pii_and_keys_never_reach_the_file(tmp_path: Path) -> None:
    prompt = f"My card is {CARD}, mail me at {EMAIL}; my key is {KEY}"
    request = {"body": {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}, "agent": None}
    answer = json.dumps(completion(f"Card {CARD} noted, we will write to {EMAIL}")).encode()
    assert leaks(json.dumps(request) + answer.decode()), "the probe must see the planted values unredacted"

    recorder = Recorder(tmp_path / "c.json", "https://user:pw@real.test/v1?api-key=zzz")
    recorder.add(request, status=200, headers=[("Set-Cookie", "s=1")], body=answer, elapsed_ms=5)

    text = (tmp_path / "c.json").read_text()
    assert leaks(text) == []
    assert "[CARD]" in text and "[EMAIL]" in text and "[SECRET]" in text
    assert "pw" not in json.loads(text)["upstream"] and "zzz" not in text and "Set-Cookie" not in text


def test_a_card_split_across_stream_chunks_is_masked_in_every_piece(tmp_path: Path) -> None:
    pieces = ["Your card ", "4111 1111", " 1111 11", "11 is on file; key sk-live0123", "456789abcdefABCDEF."]
    events = [chunk_event({"content": p}) for p in pieces] + [chunk_event({}, "stop"), b"data: [DONE]\n\n"]
    joined = b"".join(events).decode()
    assert not leaks(joined), "no planted value is whole in any single chunk: the split is the point"

    recorder = Recorder(tmp_path / "c.json", "http://real.test/v1")
    recorder.add(
        {"body": {"model": "m"}}, status=200, headers=[], events=[(1.0, e) for e in events], elapsed_ms=9
    )

    chunks = Cassette.read(tmp_path / "c.json").exchanges[0].response.chunks or []
    text = "".join(
        c.data["choices"][0]["delta"].get("content", "") for c in chunks if isinstance(c.data, dict)
    )
    assert text == "Your card [CARD] is on file; key [SECRET]."
    assert not any(d in json.dumps([c.data for c in chunks]) for d in ("4111", " 1111", "11 is", "456789"))


def test_the_upstream_gets_the_recorders_key_and_the_file_no_header(tmp_path: Path) -> None:
    sent = upstream_headers({"authorization": "Bearer client", "host": "x", "api-key": "k"}, "sk-real")
    assert sent == {"Authorization": "Bearer sk-real"}
    assert upstream_headers({"authorization": "Bearer client"}, None) == {"authorization": "Bearer client"}
    assert "headers" not in RecordedRequest.model_fields  # a request's headers have nowhere to go


def test_events_are_split_whatever_the_byte_boundaries() -> None:
    splitter = SseSplitter()
    stream = chunk_event({"content": "a"}) + b"data: [DONE]\r\n\r\n"
    out = [e for i in range(0, len(stream), 7) for e in splitter.feed(stream[i : i + 7])] + splitter.rest()
    assert out == [chunk_event({"content": "a"}), b"data: [DONE]\n\n"]


# -- replay in process ------------------------------------------------------------------------


async def test_mock_llm_replays_plain_and_streamed_answers_to_the_openai_sdk(tmp_path: Path) -> None:
    events = [chunk_event({"role": "assistant", "content": ""}), chunk_event({"content": "Hel"}),
              chunk_event({"content": "lo"}), chunk_event({}, "stop")]  # fmt: skip
    chunks = [Chunk(t_ms=n, data=json.loads(e[6:])) for n, e in enumerate(events)]
    streamed = Exchange(
        request=RecordedRequest(body={"model": "gpt-4o", "messages": [SYSTEM], "stream": True}),
        response=RecordedResponse(status=200, chunks=[*chunks, Chunk(t_ms=9, data="[DONE]")], elapsed_ms=9),
    )
    path = write(tmp_path, exchange([SYSTEM, USER], "Refunded."), streamed)

    async with MockLLM() as llm:
        llm.replay(path)
        client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
        plain = await client.chat.completions.create(model="gpt-4o", messages=[SYSTEM, USER])  # type: ignore[list-item]
        stream = await client.chat.completions.create(model="gpt-4o", messages=[SYSTEM], stream=True)  # type: ignore[list-item]
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert plain.choices[0].message.content == "Refunded." and plain.usage and plain.usage.total_tokens == 11
    assert text == "Hello"


def test_a_drift_in_process_answers_421_and_fails_with_the_diff(tmp_path: Path) -> None:
    path = write(tmp_path, exchange([SYSTEM, USER], "Refunded."))
    body = {"model": "gpt-4o", "messages": [SYSTEM, {"role": "user", "content": "Was I charged thrice?"}]}

    with pytest.raises(CassetteMissError) as caught, MockLLM() as llm:
        llm.replay(path)
        with httpx.Client() as http:
            response = http.post(f"{llm.base_url}/chat/completions", json=body)
        assert response.status_code == 421
        assert response.headers["x-should-retry"] == "false"
    assert '+      "content": "Was I charged thrice?",' in str(caught.value)


def test_a_scripted_route_still_wins_over_the_cassette(tmp_path: Path) -> None:
    with MockLLM() as llm:
        llm.replay(write(tmp_path, exchange([USER], "recorded")))
        llm.prompt("thrice").return_value = "scripted"
        with httpx.Client() as http:
            url, user = f"{llm.base_url}/chat/completions", {"role": "user", "content": "thrice?"}
            first = http.post(url, json={"model": "gpt-4o", "messages": [user]}).json()
            second = http.post(url, json={"model": "gpt-4o", "messages": [USER]}).json()
    assert [first["choices"][0]["message"]["content"], second["choices"][0]["message"]["content"]] == [
        "scripted",
        "recorded",
    ]


def test_a_missing_or_foreign_cassette_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"c\.json: cannot read it .*record it again"):
        MockLLM().replay(tmp_path / "c.json")
    (tmp_path / "c.json").write_text('{"schema": "harness.sla/1"}')
    with pytest.raises(CassetteError, match=re.escape("schema is 'harness.sla/1', not harness.cassette/1")):
        MockLLM().replay(tmp_path / "c.json")


# -- the marker, as a user's suite runs it ----------------------------------------------------

# Keep the inner pytest run fast and free of third-party plugins (as test_mock_llm_fixture does).
FAST = (
    *("-p", "no:deepeval", "-p", "no:langsmith_plugin", "-p", "no:locust"),
    *("-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:hypothesispytest", "-p", "no:randomly"),
)

MARKED = """
import httpx, pytest

def ask(text):
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    with httpx.Client() as http:
        reply = http.post("http://llm.test/v1/chat/completions", json=body)
    return reply.json()["choices"][0]["message"]["content"] if reply.is_success else "fallback"

@pytest.mark.cassette("c.json")
def test_replayed(mock_llm):
    assert ask("Was I charged twice?") == "Refunded."

@pytest.mark.cassette("c.json")
def test_drifted(mock_llm):
    assert ask("Was I charged three times?") == "fallback"   # swallowed, still failed at teardown
"""


def test_the_cassette_marker_replays_and_fails_a_drift(pytester: pytest.Pytester) -> None:
    write(pytester.path, exchange([USER], "Refunded."))
    pytester.makeconftest("from harness.plugin import mock_llm  # noqa: F401\n")
    pytester.makepyfile(test_user=MARKED)

    result = pytester.runpytest(*FAST)

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_drifted*", "*CassetteMissError*", "*three times*"]
    )


# -- the server's options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--record", "c.json"], "--record c.json: give the real endpoint, --upstream URL"),
        (["--replay", "a.json", "--record", "b.json"], "--record and --replay: give one"),
        (["--timing", "none"], "--match / --timing go with --replay CASSETTE"),
        (["--replay", "c.json", "--timing", "slow"], "timing 'slow': give recorded, none or scaled:F"),
    ],
)
def test_bad_cassette_options_are_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert llm_main(["--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.startswith("harness llm: ")


def test_a_missing_cassette_stops_the_server_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert llm_main(["--port", "0", "--replay", str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot read it" in capsys.readouterr().err
