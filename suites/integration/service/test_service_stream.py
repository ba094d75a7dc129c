"""`POST /v1/chat/stream` over real sockets: the served service (aiohttp to the mock LLM server,
which streams SSE) answers in events, and the mock's stream faults (cut mid-content, hang,
malformed) end in a fallback, never a hang, within the stack's 1.5 s deadline plus grace."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from harness.stack import Stack

BODY = {
    "query": "My invoice shows a charge I do not recognise",
    "user_id": "u-1",
    "customer_tier": "standard",
}


def read_stream(stack: Stack, body: dict[str, Any] = BODY) -> tuple[list[tuple[str, Any]], float]:
    """The events of one request, and the seconds from sending it to its last event."""
    started, got = time.monotonic(), []
    with httpx.stream("POST", f"{stack.service_url}/v1/chat/stream", json=body, timeout=10) as response:
        assert response.status_code == 200, response.read()
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                got.append((name, json.loads(line[6:])))
    return got, time.monotonic() - started


def text_of(got: list[tuple[str, Any]]) -> str:
    text = ""
    for name, data in got:
        text = "" if name == "reset" else text + data["text"] if name == "delta" else text
    return text


def test_a_served_stream_answers_in_deltas_like_chat(stack: Stack, llm_control: Any) -> None:
    got, _ = read_stream(stack)
    names = [name for name, _ in got]
    final = got[-1][1]
    assert names[0] == "route" and names[-1] == "final" and names.count("delta") > 3
    assert "reset" not in names and text_of(got) == final["answer"] and final["tokens"]["out"] > 0
    chat = httpx.post(f"{stack.service_url}/v1/chat", json=BODY, timeout=10).json()
    assert set(chat) == set(final) and chat["route"] == final["route"]
    assert llm_control.stats()["streams"] >= 1


@pytest.mark.parametrize("kind", ["truncated", "hang", "malformed"])
def test_a_broken_llm_stream_falls_back_within_the_deadline(
    stack: Stack, llm_control: Any, kind: str
) -> None:
    llm_control.faults({"kind": kind, "probability": 1.0, "target": {"agent": "billing_support"}})
    got, took = read_stream(stack, {**BODY, "query": f"{BODY['query']} (case {kind})"})  # not cached
    final = got[-1][1]
    assert not final["cache_hit"]
    assert got[-1][0] == "final" and final["degraded"] and final["fallback"] is not None
    assert text_of(got) == final["answer"]
    assert took < 1.5 + 2.0 + 1.0  # the deadline, the service's grace, and slack for the machine
