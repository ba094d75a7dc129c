"""Handoff faults: what one agent hands the next is dropped, delayed, duplicated or corrupted.

A `HandoffFaults` sits between every node's return value and the graph's state update. Rules
are seeded and reproducible; each has a kind, a probability and an optional source node:

    drop       the node's update is lost (only its visit is recorded)
    delay      the update arrives `delay_ms` later
    duplicate  the update is applied twice (counters and lists get it twice)
    corrupt    routing and answer fields are garbled (route, confidence, answer)

The graph must survive each one: an invalid handoff escalates with reason `invalid_handoff`.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HANDOFF_KINDS", "HandoffFaults", "HandoffRule"]

HandoffKind = Literal["drop", "delay", "duplicate", "corrupt"]
HANDOFF_KINDS: tuple[str, ...] = ("drop", "delay", "duplicate", "corrupt")
_ADDITIVE = ("agent_stats", "cost_usd", "errors", "messages")


class HandoffRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: HandoffKind
    probability: float = Field(1.0, ge=0, le=1)
    source: str | None = Field(None, description="node whose output is hit; any node if unset")
    delay_ms: float = Field(0.0, ge=0, le=60_000)


class HandoffFaults:
    """The active rules; `apply` is awaited on every node's update."""

    def __init__(self, rules: list[HandoffRule] | None = None, seed: int = 0) -> None:
        self.set(rules or [], seed)

    def set(self, rules: list[HandoffRule], seed: int = 0) -> None:
        self.rules, self.seed = list(rules), seed
        self._rngs = [random.Random(f"{seed}:{i}") for i in range(len(self.rules))]
        self.fired: Counter[str] = Counter()

    def clear(self) -> None:
        self.set([], self.seed)

    def snapshot(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [r.model_dump() for r in self.rules], "fired": dict(self.fired)}

    async def apply(self, source: str, update: dict[str, Any]) -> dict[str, Any]:
        for rule, rng in zip(self.rules, self._rngs, strict=True):
            if rule.source not in (None, source) or rng.random() >= rule.probability:
                continue
            self.fired[f"{rule.kind}:{source}"] += 1
            return await _KINDS[rule.kind](rule, source, update)
        return update


async def _drop(rule: HandoffRule, source: str, update: dict[str, Any]) -> dict[str, Any]:
    return {"path": update.get("path", [source])}


async def _delay(rule: HandoffRule, source: str, update: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(rule.delay_ms / 1000)
    return update


async def _duplicate(rule: HandoffRule, source: str, update: dict[str, Any]) -> dict[str, Any]:
    doubled = dict(update)
    for key in _ADDITIVE:
        if key in update:
            value = update[key]
            doubled[key] = value * 2 if isinstance(value, (int, float, list)) else value
    if "agent_stats" in update:
        doubled["agent_stats"] = {
            a: {k: v * 2 if isinstance(v, (int, float)) else v for k, v in s.items()}
            for a, s in update["agent_stats"].items()
        }
    return doubled


async def _corrupt(rule: HandoffRule, source: str, update: dict[str, Any]) -> dict[str, Any]:
    garbled = dict(update)
    if "route" in update:
        garbled["route"] = "\x00garbled-route"
    if "confidence" in update:
        garbled["confidence"] = float("nan")
    if update.get("answer"):
        garbled["answer"] = "\ufffd" * 8
    return garbled


_KINDS = {"drop": _drop, "delay": _delay, "duplicate": _duplicate, "corrupt": _corrupt}
