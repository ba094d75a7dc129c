"""Helpers for the server tests: a tiny stand-in brain, and `ask`.

The stand-in keeps these tests independent of `support_desk.brain`'s keyword tables; it is
importable by name (`--brain llm_server_helpers:stand_in_brain`) for the CLI subprocess.
"""

from __future__ import annotations

import json
from typing import Any

import openai

CALLS: list[tuple[str | None, str]] = []  # (agent, model) of every call, for memo tests


def _last_user(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def stand_in_brain(agent: str | None, messages: list[dict[str, Any]], model: str) -> str:
    CALLS.append((agent, model))
    query = _last_user(messages).lower()
    if agent == "supervisor":
        if "invoice" in query or "charge" in query:
            return "billing_support"
        if "crash" in query or "login" in query:
            return "technical_support"
        return "general_support"
    if agent in ("technical_support", "billing_support", "general_support"):
        answer = f"{agent} here: we looked into '{query[:40]}' and fixed it for you today."
        return json.dumps({"answer": answer, "confidence": 0.9, "offer": None})
    if "explode" in query:
        raise RuntimeError("stand-in brain exploded")
    return f"Plain answer to: {query}"


async def ask(
    client: openai.AsyncOpenAI, agent: str | None, text: str, *, model: str = "gpt-4o", **kw: Any
) -> Any:
    """One chat completion as `agent` (None: no X-Harness-Agent header)."""
    headers = {"X-Harness-Agent": agent} if agent else {}
    return await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], extra_headers=headers, **kw
    )
