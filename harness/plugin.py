"""The harness's pytest plugin (entry point `pytest11: harness`).

It only declares fixtures, and imports their machinery lazily so that every pytest run in
an environment with the harness installed stays fast.

    mock_llm        a started `harness.llm.MockLLM` (base_url "http://llm.test/v1") that fails
                    the test at teardown if the system made an LLM call no script answered.
    harness_stack   (session) the mock LLM server, the proxy and the declared system on free ports,
                    logs under reports/stack-<worker>/, always stopped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.llm import MockLLM
    from harness.stack import Stack

__all__ = ["harness_stack", "mock_llm"]


@pytest.fixture
def mock_llm() -> Iterator[MockLLM]:
    """A scripted OpenAI-compatible LLM; see `harness.llm.MockLLM`."""
    from harness.llm._fixture import mock_llm as body

    yield from body()


@pytest.fixture(scope="session")
def harness_stack(worker_id: str) -> Iterator[Stack]:
    """The running stack; `.service_url`, `.llm_url` (worker_id is pytest-xdist's fixture)."""
    from harness.stack import Stack

    with Stack(f"reports/stack-{worker_id}") as stack:
        yield stack
