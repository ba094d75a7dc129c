"""Handoff faults: what one agent hands the next is dropped, delayed, duplicated or corrupted.

A `HandoffFaults` sits between every node's return value and the graph's state update. Rules
are seeded and reproducible; each has a kind, a probability and an optional source node:

    drop       the node's update is lost (only its visit is recorded)
    delay      the update arrives `delay_ms` later
    duplicate  the update is delivered twice (at-least-once delivery): its counters and lists
               would be added twice, unless the receiver applies an update id once
    corrupt    routing and answer fields are garbled (route, confidence, answer)

The graph must survive each one: an invalid handoff escalates with reason `invalid_handoff`, and
a duplicate is applied once (`receive`, resilience switch `idempotency`).

`apply` returns the *deliveries* of one update: one for most kinds, none changed for drop's
(its visit only), two for duplicate. Each carries the update's `UPDATE_ID`.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HANDOFF_KINDS", "UPDATE_ID", "HandoffFaults", "HandoffRule", "receive"]

HandoffKind = Literal["drop", "delay", "duplicate", "corrupt"]
HANDOFF_KINDS: tuple[str, ...] = ("drop", "delay", "duplicate", "corrupt")
#: The state keys with adding reducers: what a second delivery of an update changes.
_ADDITIVE = ("agent_stats", "cost_usd", "errors", "path")
#: The key every node update carries (set by the graph), so its deliveries can be told apart.
UPDATE_ID = "update_id"


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
        self.seen = 0  # handoffs a rule was drawn on: what `fired` is a share of

    def clear(self) -> None:
        self.set([], self.seed)

    def snapshot(self) -> dict[str, Any]:
        rules = [r.model_dump() for r in self.rules]
        return {"seed": self.seed, "rules": rules, "fired": dict(self.fired), "seen": self.seen}

    async def apply(self, source: str, update: dict[str, Any]) -> list[dict[str, Any]]:
        for rule, rng in zip(self.rules, self._rngs, strict=True):
            if rule.source not in (None, source):
                continue
            self.seen += 1
            if rng.random() >= rule.probability:
                continue
            self.fired[f"{rule.kind}:{source}"] += 1
            return await _KINDS[rule.kind](rule, source, update)
        return [update]


async def _drop(rule: HandoffRule, source: str, update: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"path": update.get("path", [source]), UPDATE_ID: update.get(UPDATE_ID)}]


async def _delay(rule: HandoffRule, source: str, update: dict[str, Any]) -> list[dict[str, Any]]:
    await asyncio.sleep(rule.delay_ms / 1000)
    return [update]


async def _duplicate(rule: HandoffRule, source: str, update: dict[str, Any]) -> list[dict[str, Any]]:
    return [update, dict(update)]


async def _corrupt(rule: HandoffRule, source: str, update: dict[str, Any]) -> list[dict[str, Any]]:
    garbled = dict(update)
    if "route" in update:
        garbled["route"] = "\x00garbled-route"
    if "confidence" in update:
        garbled["confidence"] = float("nan")
    if update.get("answer"):
        garbled["answer"] = "\ufffd" * 8
    return [garbled]


_KINDS = {"drop": _drop, "delay": _delay, "duplicate": _duplicate, "corrupt": _corrupt}


def receive(deliveries: list[dict[str, Any]], *, idempotent: bool) -> list[dict[str, Any]]:
    """What reaches the state of the deliveries of one update: each update id once when
    `idempotent` (the defence), else every one. A repeat carries only the adding keys: those are
    what a second application changes (a plain key written twice in a step is LangGraph's error,
    not the double-billing this fault is about)."""
    applied: set[Any] = set()
    out = []
    for delivery in deliveries:
        key = delivery.get(UPDATE_ID)
        if key in applied:
            if idempotent:
                continue
            delivery = {k: v for k, v in delivery.items() if k in _ADDITIVE}
        applied.add(key)
        out.append(delivery)
    return out
