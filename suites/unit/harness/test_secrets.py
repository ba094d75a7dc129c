"""One finder of secrets for every writer: what a report masks, a cassette masks too."""

from __future__ import annotations

import pytest

from harness._secrets import SECRET_TAG, scrub_secrets, secret_spans, secret_values
from harness.llm.cassette._redact import scrub_stream
from harness.report._scrub import scrub

SHAPES = [
    "sk-proj-Abc123def456ghi789",
    "sk-ant-api03-xyzXYZ0123456789",
    "AKIAABCDEFGHIJKLMNOP",
    "AIza" + "b" * 35,
    "ghp_" + "a1" * 18,
    "Bearer eyJhbGciOiJIUzI1NiJ9.abcdef",
]


@pytest.mark.parametrize("secret", SHAPES)
def test_a_report_and_a_cassette_mask_the_same_token_shapes(secret: str) -> None:
    text = f"the call failed with {secret} in it"
    assert secret not in scrub(text, values=[])
    event = {"choices": [{"delta": {"content": text}}]}
    (masked,) = scrub_stream([event])
    assert secret not in masked["choices"][0]["delta"]["content"]


def test_a_key_value_keeps_its_name_and_loses_its_value() -> None:
    assert scrub_secrets('{"api_key": "hunter2hunter2"}') == '{"api_key": "' + SECRET_TAG + '"}'
    ((begin, end),) = secret_spans("password=s3cr3t-value")
    assert "password=s3cr3t-value"[begin:end] == "s3cr3t-value"


def test_a_known_value_is_masked_wherever_it_lies_and_a_short_one_is_not_taken() -> None:
    env = {"MY_API_KEY": "plain-words-key", "AUTH_PIN": "1234", "HOME": "/home/user/long"}
    assert secret_values(env) == ["plain-words-key"]
    assert scrub_secrets("got plain-words-key back", secret_values(env)) == f"got {SECRET_TAG} back"


def test_a_stream_masks_a_key_split_across_chunks() -> None:
    key = "sk-live-" + "q" * 20
    events = [
        {"choices": [{"index": 0, "delta": {"content": part}}]}
        for part in ("key " + key[:9], key[9:] + " end")
    ]
    joined = "".join(e["choices"][0]["delta"]["content"] for e in scrub_stream(events))
    assert key[:9] not in joined and key[9:] not in joined and SECRET_TAG in joined
