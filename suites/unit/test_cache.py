"""The response cache: normalised keys, TTL, stale fallback, LRU bound, semantic option, counters."""

from __future__ import annotations

from support_desk import FakeClock
from support_desk._cache import ResponseCache

ENTRY = {"route": "general_support", "answer": "We open at 9.", "confidence": 0.9, "offer": None}


def make(**kw: object) -> tuple[ResponseCache, FakeClock]:
    clock = FakeClock()
    return ResponseCache(clock=clock, **kw), clock  # type: ignore[arg-type]


def test_hit_on_normalised_text_and_counters() -> None:
    cache, _ = make()
    cache.put("What are your opening hours?", ENTRY)
    assert cache.get("what are your OPENING hours") is not None
    assert cache.get("¿What   are your opening hours?!") is not None
    assert cache.get("something else") is None
    assert (cache.stats.hits, cache.stats.misses) == (2, 1)


def test_expired_entry_is_a_miss_but_serves_as_stale_fallback() -> None:
    cache, clock = make(ttl_s=10, stale_ttl_s=100)
    cache.put("q", ENTRY)
    clock.advance(11)
    assert cache.get("q") is None
    assert cache.get_stale("q") is not None
    clock.advance(100)
    assert cache.get_stale("q") is None
    assert cache.stats.stale_hits == 1


def test_lru_bound_evicts_the_least_recently_used() -> None:
    cache, _ = make(max_entries=2)
    cache.put("a", ENTRY)
    cache.put("b", ENTRY)
    assert cache.get("a")  # a is now the most recent
    cache.put("c", ENTRY)
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") and cache.get("c")


def test_semantic_option_matches_a_near_duplicate_only_above_threshold() -> None:
    cache, _ = make(semantic=True, similarity_threshold=0.8)
    cache.put("how do I reset my password", ENTRY)
    assert cache.get("how do I reset my password please") is not None
    assert cache.stats.semantic_hits == 1
    assert cache.get("what is the price of the pro plan") is None


def test_semantic_off_requires_the_same_text() -> None:
    cache, _ = make(semantic=False)
    cache.put("how do I reset my password", ENTRY)
    assert cache.get("how do I reset my password please") is None


def test_empty_key_is_never_stored_and_clear_empties() -> None:
    cache, _ = make()
    cache.put("?!", ENTRY)
    assert len(cache) == 0
    cache.put("x", ENTRY)
    cache.clear()
    assert len(cache) == 0 and cache.get("x") is None
