"""Prometheus metrics of the reference service, on a registry of its own (one per app).

With several workers (`PROMETHEUS_MULTIPROC_DIR` set before import, see `_workers`), every
worker's values live in files there and `/metrics` reads them all: counters and histograms are
summed, the breaker gauge is the worst state among live workers.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from .. import SupportResult

__all__ = ["ServiceMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)
_BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "harness_requests", "Requests by route and outcome", ["route", "outcome"], registry=r
        )
        self.latency = Histogram(
            "harness_request_latency_seconds", "End-to-end latency", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.agent_latency = Histogram(
            "harness_agent_latency_seconds",
            "LLM call latency per agent",
            ["agent"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "harness_tokens", "Tokens by agent and direction", ["agent", "direction"], registry=r
        )
        self.cost = Counter("harness_cost_usd", "LLM cost in USD", ["agent"], registry=r)
        self.breaker = Gauge(
            "harness_breaker_state",
            "Breaker state (0 closed, 1 half-open, 2 open)",
            ["agent"],
            registry=r,
            multiprocess_mode="livemax",
        )
        self.fallbacks = Counter("harness_fallbacks", "Fallback answers by kind", ["kind"], registry=r)
        self.escalations = Counter("harness_escalations", "Escalations by reason", ["reason"], registry=r)
        self.cache = Counter("harness_cache_lookups", "Cache lookups by result", ["result"], registry=r)

    def exposition(self) -> bytes:
        """The text format of every metric: this process's, or all workers' in multiprocess mode."""
        shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not shared:
            return bytes(generate_latest(self.registry))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, shared)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))

    def observe(self, result: SupportResult) -> None:
        outcome = "escalated" if result.escalated else ("degraded" if result.degraded else "answered")
        self.requests.labels(result.route, outcome).inc()
        self.latency.observe(result.latency_ms / 1000)
        for agent, stats in result.agents.items():
            self.agent_latency.labels(agent).observe(float(stats.get("latency_ms", 0.0)) / 1000)
            self.tokens.labels(agent, "in").inc(int(stats.get("tokens_in", 0)))
            self.tokens.labels(agent, "out").inc(int(stats.get("tokens_out", 0)))
            self.cost.labels(agent).inc(float(stats.get("cost_usd", 0.0)))
        if result.fallback:
            self.fallbacks.labels(result.fallback).inc()
        if result.escalated and result.escalation_reason:
            self.escalations.labels(result.escalation_reason).inc()
        if result.cache_hit:
            self.cache.labels("hit").inc()

    def rejected(self, outcome: str) -> None:
        self.requests.labels("none", outcome).inc()

    def breakers(self, states: dict[str, str]) -> None:
        for agent, state in states.items():
            self.breaker.labels(agent).set(_BREAKER_STATES.get(state, -1))
