"""A response cache for repeated queries, with a stale-if-error mode for fallbacks.

Keys are the folded query text (case, accents and punctuation removed); queries are PII-redacted
before they get here, so nothing personal is ever stored. With `semantic=True`, a miss on the exact
key falls back to the most similar cached query by cosine similarity of word counts, if it reaches
`similarity_threshold` (cheap, deterministic, no embedding model needed).

A turn that asks not to be served from a cache (the harness's repeated trials: `Turn.no_cache` in
process, `Cache-Control: no-cache` over HTTP; `harness.sut.cache_bypassed()`) reads nothing from
it, fresh or stale, so a repeat is answered afresh; its answer is still stored.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from harness.sut import cache_bypassed
from harness.text import fold

from ._clock import Clock, SystemClock

__all__ = ["CacheEntry", "ResponseCache"]


@dataclass(frozen=True)
class CacheEntry:
    route: str
    answer: str
    confidence: float
    offer: dict[str, Any] | None
    stored_at: float


@dataclass
class _Stats:
    hits: int = 0
    misses: int = 0
    stale_hits: int = 0
    semantic_hits: int = 0
    bypassed: int = 0


@dataclass
class ResponseCache:
    max_entries: int = 1024
    ttl_s: float = 3600.0
    stale_ttl_s: float = 86400.0
    semantic: bool = False
    similarity_threshold: float = 0.85
    clock: Clock = field(default_factory=SystemClock)
    stats: _Stats = field(default_factory=_Stats)

    def __post_init__(self) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._vectors: dict[str, Counter[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> CacheEntry | None:
        """A fresh answer for this query, counting a hit or a miss."""
        if cache_bypassed():
            self.stats.bypassed += 1
            return None
        found = self._lookup(query, max_age=self.ttl_s)
        if found is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return found

    def get_stale(self, query: str) -> CacheEntry | None:
        """An answer up to `ttl_s + stale_ttl_s` old: for a fallback when the agents are down."""
        if cache_bypassed():
            return None
        found = self._lookup(query, max_age=self.ttl_s + self.stale_ttl_s)
        if found is not None:
            self.stats.stale_hits += 1
        return found

    def put(self, query: str, entry_fields: dict[str, Any]) -> None:
        key = fold(query)
        if not key:
            return
        self._entries[key] = CacheEntry(stored_at=self.clock.monotonic(), **entry_fields)
        self._entries.move_to_end(key)
        self._vectors[key] = Counter(key.split())
        while len(self._entries) > self.max_entries:
            old, _ = self._entries.popitem(last=False)
            self._vectors.pop(old, None)

    def clear(self) -> None:
        self._entries.clear()
        self._vectors.clear()

    def _lookup(self, query: str, *, max_age: float) -> CacheEntry | None:
        key = fold(query)
        entry = self._entries.get(key)
        if entry is None and self.semantic:
            key, entry = self._nearest(key)
        if entry is None or self.clock.monotonic() - entry.stored_at > max_age:
            return None
        self._entries.move_to_end(key)
        return entry

    def _nearest(self, key: str) -> tuple[str, CacheEntry | None]:
        want = Counter(key.split())
        best_key, best = "", 0.0
        for other, vector in self._vectors.items():
            score = _cosine(want, vector)
            if score > best:
                best_key, best = other, score
        if best >= self.similarity_threshold:
            self.stats.semantic_hits += 1
            return best_key, self._entries[best_key]
        return key, None


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[word] for word, count in a.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm
