"""Unit-tier fixtures: the reference system wired to the scripted mock LLM and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from harness.llm import DEFAULT_BASE_URL
from support_desk import FakeClock, SupportSystem, load_settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_system(clock: FakeClock) -> AsyncIterator[Callable[..., SupportSystem]]:
    """Build systems with setting overrides; jitter off so backoff is exact."""
    made: list[SupportSystem] = []

    def make(**overrides: Any) -> SupportSystem:
        overrides.setdefault("retry", {"jitter": False})
        system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL, **overrides), clock=clock)
        made.append(system)
        return system

    yield make
    for system in made:
        await system.aclose()


@pytest.fixture
def system(make_system: Callable[..., SupportSystem]) -> SupportSystem:
    return make_system()
