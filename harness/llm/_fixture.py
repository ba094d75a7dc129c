"""The body of the `mock_llm` pytest fixture (registered by `harness.plugin`).

Kept apart from the plugin so that merely loading the plugin imports neither respx nor
httpx; the import happens when a test asks for `mock_llm`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._mock import MockLLM

__all__ = ["mock_llm"]


def mock_llm() -> Iterator[MockLLM]:
    """Yield a started `MockLLM` on the default base_url ("http://llm.test/v1").

    At teardown it stops intercepting and raises `UnscriptedCallError` if any call got no
    scripted answer, so the test is reported as an error even when the system under test
    swallowed the failed call. Tests needing another base_url use `MockLLM(...)` directly.
    Give the openai SDK an explicit `httpx.AsyncClient`: its default httpx2 client is not
    intercepted.
    """
    llm = MockLLM().start()
    try:
        yield llm
    finally:
        llm.stop()
    llm.assert_no_unscripted_calls()
