"""Integration-tier fixtures: one stack per session (mock LLM server + reference service)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.stack import Stack

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "integration"

# Settings that make every edge reachable quickly over HTTP: a short deadline (so a hang is cut
# by it), a 1 s cache TTL (so an answer goes stale), one attempt, and a breaker that does not
# trip between cases.
STACK_ENV = {
    "SUPPORT_DESK_TIMEOUTS__REQUEST_DEADLINE_S": "1.5",
    "SUPPORT_DESK_CACHE__TTL_S": "1",
    "SUPPORT_DESK_RETRY__ATTEMPTS": "1",
    "SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD": "1000",
    "SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE": "100000",
    "SUPPORT_DESK_SERVICE_REQUESTS_PER_SECOND": "100000",
    "SUPPORT_DESK_SERVICE_BURST": "100000",
}


class LLMControl:
    """The mock LLM server's control API, reset after every test."""

    def __init__(self, base_url: str) -> None:
        self.root = base_url.removesuffix("/v1")

    def faults(self, *rules: dict[str, Any], seed: int = 7) -> None:
        resp = httpx.put(
            f"{self.root}/_control/faults", json={"seed": seed, "faults": list(rules)}, timeout=5
        )
        resp.raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.root}/_control/faults", timeout=5).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.root}/_control/stats", timeout=5).json())


@pytest.fixture(scope="session")
def stack(worker_id: str) -> Iterator[Stack]:  # worker_id: pytest-xdist's ("master" without -n)
    folder = REPORTS / f"stack-{worker_id}"
    # The reference is declared `traces = true`: this stack receives its spans (test_paths_over_http).
    with Stack(folder, llm_args=["--latency", "zero"], system_env=STACK_ENV, health_timeout_s=60) as running:
        yield running


@pytest.fixture
def llm_control(stack: Stack) -> Iterator[LLMControl]:
    control = LLMControl(stack.llm_url)
    control.clear()
    yield control
    control.clear()


os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
