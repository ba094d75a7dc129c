"""The harness's pytest plugin (entry point `pytest11: harness`): the pyramid's markers, and fixtures.

Markers, for any project that installs the harness:

    unit, integration, system, chaos   the tier of a test. Given explicitly, or taken from the
                                       folder the test lives in under the declared suites
                                       (`[tool.harness.system] suites`: suites/unit/...)
    harness_self                       a test of the harness's own parts (mock LLM, proxy, stack,
                                       report, statistics), not of the system under test: the
                                       pyramid's shape and the MAST tags leave it out

Each test's tier and subject (`system` or `harness`) are written into the JUnit XML as testcase
properties `harness_tier` and `harness_subject`, which the release report reads.

Fixtures (their machinery imported lazily, so every pytest run stays fast):

    mock_llm        a started `harness.llm.MockLLM` (base_url "http://llm.test/v1") that fails
                    the test at teardown if the system made an LLM call no script answered;
                    it names header-less agents by the declared `identify` rules.
    harness_stack   (session) the mock LLM server, the proxy and the declared system on free ports,
                    logs under reports/stack-<worker>/, always stopped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.llm import MockLLM
    from harness.stack import Stack

__all__ = ["harness_stack", "mock_llm"]

TIERS = {
    "unit": "tier 1: each agent with a scripted, mocked LLM; fast, in process, no network",
    "integration": "tier 2: routing, escalation and handoff paths, in process and over real HTTP",
    "system": "tier 3: load runs against the SLA",
    "chaos": "tier 4: faults through the proxy, the mock LLM and the handoff hook",
}
SELF = "harness_self"


def pytest_configure(config: pytest.Config) -> None:
    for tier, what in TIERS.items():
        config.addinivalue_line("markers", f"{tier}: {what}")
    config.addinivalue_line("markers", f"{SELF}: a test of the harness's own parts, not of the system")


def _suites(config: pytest.Config) -> Path:
    from harness._config import find_pyproject
    from harness.sut import load_declaration

    return load_declaration(find_pyproject(config.rootpath)).suites_path.resolve()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test's tier (its marker, else its folder) and subject, as markers and JUnit properties."""
    suites: Path | None = None
    for item in items:
        marked = [t for t in TIERS if item.get_closest_marker(t) is not None]
        if marked:
            tier = marked[0]
        else:
            suites = suites or _suites(config)
            try:
                tier = Path(item.path).resolve().relative_to(suites).parts[0]
            except ValueError:
                continue
            if tier not in TIERS:
                continue
            item.add_marker(getattr(pytest.mark, tier))
        subject = "harness" if item.get_closest_marker(SELF) is not None else "system"
        item.user_properties += [("harness_tier", tier), ("harness_subject", subject)]


@pytest.fixture(scope="session")
def _harness_identify(pytestconfig: pytest.Config) -> dict[str, Any]:
    from harness._config import find_pyproject
    from harness.sut import load_declaration

    return dict(load_declaration(find_pyproject(pytestconfig.rootpath)).identify)


@pytest.fixture
def mock_llm(_harness_identify: dict[str, Any]) -> Iterator[MockLLM]:
    """A scripted OpenAI-compatible LLM (`harness.llm.MockLLM`), which already knows the declared
    system's agents by their prompts or tools (`[tool.harness.system.identify]`)."""
    from harness.llm._fixture import mock_llm as body

    yield from body(_harness_identify)


@pytest.fixture(scope="session")
def harness_stack(worker_id: str) -> Iterator[Stack]:
    """The running stack; `.service_url`, `.llm_url` (worker_id is pytest-xdist's fixture)."""
    from harness.stack import Stack

    with Stack(f"reports/stack-{worker_id}") as stack:
        yield stack
