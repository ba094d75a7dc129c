"""The body of the `mock_llm` pytest fixture (registered by `harness.plugin`).

Kept apart from the plugin so that merely loading the plugin imports neither respx nor
httpx; the import happens when a test asks for `mock_llm`.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

from .._exceptions import CassetteError
from ._mock import MockLLM

__all__ = ["mock_llm", "use_cassette"]


def mock_llm(identify: Mapping[str, Any] | None = None) -> Generator[MockLLM, None, None]:
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


def use_cassette(llm: MockLLM, args: tuple[Any, ...], kwargs: Mapping[str, Any], folder: Path) -> None:
    """`@pytest.mark.cassette("name.json", record=False, match=[...])` on `llm`: replay the file
    (relative to the test's folder), or record it when `record=True` or HARNESS_CASSETTE_RECORD=1
    (upstream and key from `[tool.harness.cassette]` / HARNESS_CASSETTE_*)."""
    from .cassette import load_cassette_settings

    if len(args) != 1 or not isinstance(args[0], str | Path):
        raise CassetteError("@pytest.mark.cassette takes one path, e.g. @pytest.mark.cassette('desk.json')")
    unknown = set(kwargs) - {"record", "match"}
    if unknown:
        raise CassetteError(
            f"@pytest.mark.cassette: unknown option {sorted(unknown)[0]!r}; known: record, match"
        )
    settings = load_cassette_settings()
    path = folder / args[0]
    if kwargs.get("record") or settings.record:
        llm.record(path, upstream=settings.upstream, key_env=settings.key_env or None)
    else:
        llm.replay(path, match=kwargs.get("match") or settings.match)
