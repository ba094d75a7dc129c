"""Unit-tier fixtures: the reference system wired to the scripted mock LLM and a fake clock."""

from __future__ import annotations

import asyncio
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


HangCalls = Callable[[SupportSystem, str], None]


@pytest.fixture
def hang_calls_of() -> HangCalls:
    """Make `agent`'s LLM calls never answer; the other agents' go to the mock as usual."""

    def hang(system: SupportSystem, agent: str) -> None:
        complete = system.llm.complete

        async def maybe_hang(**kwargs: Any) -> Any:
            if kwargs["agent"] == agent:
                await asyncio.sleep(30)
            return await complete(**kwargs)

        system.llm.complete = maybe_hang  # type: ignore[method-assign, unused-ignore]

    return hang
