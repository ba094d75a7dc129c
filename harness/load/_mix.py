"""The scenario mix: which labelled queries a load run posts, in what proportion and in what order.

A mix is a weight per scenario category (`technical = 36`, `vip = 2`, ...). The order is
deterministic, not random: a smooth weighted round-robin over the categories, and within a
category its scenarios in turn, the escalated ones spread evenly among the others. So any run of
N requests holds each category within one request of its share, and its escalation rate is the
mix's expected rate (`expected_rates`) to within a few requests in N: an SLA on the escalation
rate then judges the system, not the luck of the draw.

The scenarios are the system's (`[tool.harness.system] scenarios`, or `--scenarios`); a mix that
names no weights weighs every category of the file the same. This module is imported by the
locustfile, so it reads the file with JSON and the standard library only (no pydantic).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .._exceptions import LoadError
from ..sut._model import Turn

__all__ = ["Deck", "Item", "default_mix", "expected_rates", "read_items"]


def default_mix(items: list[Item]) -> dict[str, float]:
    """Every category of the scenarios the same weight: the mix when none is given."""
    return dict.fromkeys(sorted({i.category for i in items}), 1.0)


@dataclass(frozen=True, slots=True)
class Item:
    """One scenario as the load test needs it."""

    id: str
    category: str
    query: str
    user_id: str
    customer_tier: str
    rejected: bool  # labelled to be refused before any agent runs
    escalated: bool
    route: str | None = None

    def turn(self, request_id: str) -> Turn:
        return Turn(
            query=self.query, user_id=self.user_id, customer_tier=self.customer_tier, request_id=request_id
        )

    @property
    def label(self) -> tuple[str | None, bool] | None:
        """(route, escalated) the scenario expects of an answer; None for one to be rejected."""
        return None if self.rejected else (self.route, self.escalated)


def _item(raw: dict[str, object], where: str) -> Item:
    try:
        expected = raw["expected"]
        assert isinstance(expected, dict)
        return Item(
            id=str(raw["id"]),
            category=str(raw["category"]),
            query=str(raw["query"]),
            user_id=str(raw.get("user_id", "anonymous")),
            customer_tier=str(raw.get("customer_tier", "standard")),
            rejected=bool(expected.get("rejected", False)),
            escalated=bool(expected["escalated"]),
            route=None if expected.get("route") is None else str(expected["route"]),
        )
    except (KeyError, AssertionError) as exc:
        raise LoadError(f"{where}: not a labelled scenario (missing {exc}); see harness.scenarios") from None


def read_items(path: str | Path | None) -> list[Item]:
    """The scenarios of a JSON Lines file."""
    if path is None:
        raise LoadError(
            "no scenarios to send: set [tool.harness.system] scenarios = 'path/to/scenarios.jsonl' "
            "or pass --scenarios"
        )
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").removeprefix("\ufeff").split("\n")
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the scenarios: {exc.strerror or exc}") from None
    items = []
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            try:
                raw = json.loads(line)
            except ValueError:
                raise LoadError(f"{path}:{lineno}: invalid JSON; check the scenarios file") from None
            items.append(_item(raw, f"{path}:{lineno}"))
    if not items:
        raise LoadError(f"{path}: no scenarios in the file")
    return items


def _spread(items: list[Item]) -> list[Item]:
    """Escalated and other scenarios interleaved evenly, so every prefix holds its fair share."""
    marked = [i for i in items if i.escalated]
    other = [i for i in items if not i.escalated]
    out: list[Item] = []
    taken, n = 0, len(items)
    for k in range(1, n + 1):
        # Bresenham: the first k hold round(k * M / n) escalated ones; it grows by at most 1 a step.
        due = (2 * k * len(marked) + n) // (2 * n)
        if taken < due:
            out.append(marked[taken])
            taken += 1
        else:
            out.append(other[k - 1 - taken])
    return out


def _check_weights(weights: Mapping[str, float], known: set[str]) -> dict[str, float]:
    unknown = sorted(set(weights) - known)
    if unknown:
        raise LoadError(f"mix: unknown category {unknown[0]!r}; known: {', '.join(sorted(known))}")
    bad = [k for k, w in weights.items() if not isinstance(w, int | float) or w < 0]
    if bad:
        raise LoadError(f"mix.{bad[0]}: a weight must be a number >= 0, got {weights[bad[0]]!r}")
    live = {k: float(w) for k, w in weights.items() if w > 0}
    if not live:
        raise LoadError("mix: every weight is 0; give at least one category a positive weight")
    return live


class Deck:
    """An endless, deterministic sequence of scenarios in the proportions of `weights`."""

    def __init__(self, items: list[Item], weights: Mapping[str, float]) -> None:
        by_category: dict[str, list[Item]] = {}
        for item in items:
            by_category.setdefault(item.category, []).append(item)
        self.weights = _check_weights(weights, set(by_category))
        self._orders = {c: _spread(by_category[c]) for c in self.weights}
        self._next = dict.fromkeys(self.weights, 0)
        self._credit = dict.fromkeys(self.weights, 0.0)
        self._total = sum(self.weights.values())

    def draw(self) -> Item:
        # Smooth weighted round-robin (nginx's): each category earns its weight, the richest
        # is served and pays the total; no category is ever more than one turn off its share.
        for category, weight in self.weights.items():
            self._credit[category] += weight
        pick = max(self._credit, key=lambda c: self._credit[c])
        self._credit[pick] -= self._total
        order = self._orders[pick]
        item = order[self._next[pick] % len(order)]
        self._next[pick] += 1
        return item

    def __iter__(self) -> Iterator[Item]:
        while True:
            yield self.draw()


def expected_rates(items: list[Item], weights: Mapping[str, float]) -> dict[str, float]:
    """What the labels predict for a long run of this mix: rejected share, escalation rate."""
    live = _check_weights(weights, {i.category for i in items})
    total = sum(live.values())
    rejected = escalated = 0.0
    for category, weight in live.items():
        members = [i for i in items if i.category == category]
        rejected += weight / total * sum(i.rejected for i in members) / len(members)
        escalated += weight / total * sum(i.escalated for i in members) / len(members)
    answered = 1.0 - rejected
    return {"rejected_share": rejected, "escalation_rate": escalated / answered if answered else 0.0}
