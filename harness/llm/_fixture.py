"""The body of the `mock_llm` pytest fixture (registered by `harness.plugin`).

Kept apart from the plugin so that merely loading the plugin imports neither respx nor
httpx; the import happens when a test asks for `mock_llm`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._mock import MockLLM

__all__ = ["mock_llm"]


def mock_llm(identify: Mapping[str, Any] | None = None) -> Iterator[MockLLM]:
    """Yield a started `MockLLM` on the default base_url ("http://llm.test/v1").

    At teardown it stops intercepting and raises `UnscriptedCallError` if any call got no
    scripted answer, so the test is reported as an error even when the system under test
    swallowed the failed call. Tests needing another base_url use `MockLLM(...)` directly.
    `identify` (agent -> an object with `system` and `tool`: the declaration's) names the
    calls of agents that send no header, as `MockLLM.identify` does.
    """
    llm = MockLLM()
    for agent, rule in (identify or {}).items():
        llm.identify(agent, system=rule.system, tool=rule.tool)
    llm.start()
    try:
        yield llm
    finally:
        llm.stop()
    llm.assert_no_unscripted_calls()
