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
                    it names header-less agents by the declared `identify` rules; with
                    `@pytest.mark.cassette(path)` it replays (or records) that cassette.
    harness_stack   (session) the mock LLM server, the proxy and the declared system on free ports,
                    logs under reports/stack-<worker>/, always stopped at the end.
    harness_load    (session) `harness_load("smoke")`: a load run of the declared system against
                    its SLA (`harness load`); its SlaReport, also reports/sla.json.
    harness_chaos   (session) `harness_chaos()`: the declared chaos experiments, else the generic
                    catalogue (`harness chaos --suite short`); its ChaosReport, also reports/chaos.json.
    graph_coverage  (session) path coverage of the declared graph: `.record(outcome.path)`;
                    written to reports/integration/ for the release report at the end.
    harness_declaration  (session) the declared system (`harness.sut.SystemDeclaration`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness._pathcov import PathCoverage
    from harness.llm import MockLLM
    from harness.measure import ChaosReport, SlaReport
    from harness.stack import Stack
    from harness.sut import SystemDeclaration

__all__ = [
    "graph_coverage",
    "harness_chaos",
    "harness_declaration",
    "harness_load",
    "harness_stack",
    "mock_llm",
]

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
    config.addinivalue_line(
        "markers",
        "cassette(path, record=False, match=None): the mock_llm fixture replays the cassette at path "
        "(beside the test); record=True or HARNESS_CASSETTE_RECORD=1 records it (docs/cassettes.md)",
    )


def _suites(config: pytest.Config) -> Path:
    return _declared(config.rootpath).suites_path.resolve()


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


@functools.cache
def _declared(rootpath: Path) -> SystemDeclaration:
    from harness._config import find_pyproject
    from harness.sut import load_declaration

    return load_declaration(find_pyproject(rootpath))


@pytest.fixture(scope="session")
def harness_declaration(pytestconfig: pytest.Config) -> SystemDeclaration:
    """(session) The system under test as declared in the nearest pyproject.toml."""
    return _declared(pytestconfig.rootpath)


@pytest.fixture
def mock_llm(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[MockLLM]:
    """A scripted OpenAI-compatible LLM (`harness.llm.MockLLM`), which already knows the declared
    system's agents by their prompts or tools (`[tool.harness.system.identify]`). For the test,
    `OPENAI_BASE_URL` (and the declared `llm_base_url_env`) point at it and `OPENAI_API_KEY` has a
    placeholder if unset, so a client built the default way (`ChatOpenAI()`, `AsyncOpenAI()`)
    talks to the mock, never to the network. `@pytest.mark.cassette(path)` makes it replay (or
    record) a cassette (docs/cassettes.md)."""
    from harness.llm._fixture import mock_llm as body
    from harness.llm._fixture import use_cassette

    declaration = _declared(pytestconfig.rootpath)
    served = body(declaration.identify)
    llm = next(served)
    marker = request.node.get_closest_marker("cassette")
    if marker is not None:
        try:
            use_cassette(llm, marker.args, marker.kwargs, Path(request.node.path).parent)
        except BaseException:
            served.close()  # stopped, so a bad marker does not leave the mock intercepting
            raise
    serve = declaration.serve
    for name in {"OPENAI_BASE_URL", (serve and serve.llm_base_url_env) or "OPENAI_BASE_URL"}:
        monkeypatch.setenv(name, llm.base_url)
    if not os.environ.get("OPENAI_API_KEY"):
        monkeypatch.setenv("OPENAI_API_KEY", "harness-mock-llm")
    yield llm
    next(served, None)  # stop it and fail on unscripted calls


@pytest.fixture(scope="session")
def harness_load(harness_declaration: SystemDeclaration) -> Callable[..., SlaReport]:
    """(session) `harness_load(profile="smoke", *options)`: a load run of the declared system on a
    stack of its own (`harness load`), judged against its SLA; returns its `SlaReport`, which is
    also `reports/sla.json`, the one the release report reads."""
    from harness._tier_runs import load_run

    return functools.partial(load_run, harness_declaration.root)


@pytest.fixture(scope="session")
def harness_chaos(harness_declaration: SystemDeclaration) -> Callable[..., ChaosReport]:
    """(session) `harness_chaos(*options, suite="short")`: the declared chaos experiments (else the
    generic catalogue) against chaos-tuned stacks of the declared system (`harness chaos`);
    returns its `ChaosReport`, also `reports/chaos.json` for the release report."""
    from harness._tier_runs import chaos_run

    return functools.partial(chaos_run, harness_declaration.root)


@pytest.fixture(scope="session")
def graph_coverage(harness_declaration: SystemDeclaration) -> Iterator[PathCoverage]:
    """(session) Path coverage of the declared in-process graph (`python = ...`): record each
    outcome's path (`graph_coverage.record(outcome.path)`); at the end it is written where the
    release report reads it (reports/integration/graph_coverage_in_process.json)."""
    from harness._tier_runs import graph_coverage_of, reports_dir

    coverage = graph_coverage_of(harness_declaration)
    yield coverage
    if coverage.requests:
        folder = reports_dir(harness_declaration.root) / "integration"
        coverage.write(folder / "graph_coverage_in_process.json")


@pytest.fixture(scope="session")
def graph_coverage_http(harness_declaration: SystemDeclaration) -> Iterator[PathCoverage]:
    """(session) Path coverage of the declared graph over HTTP: record each request's path (its
    reply's `path`, or `trace.path()` from the spans it exported when it reports none); written
    where the release report reads it (reports/integration/graph_coverage_http.json)."""
    from harness._tier_runs import graph_coverage_of, reports_dir

    coverage = graph_coverage_of(harness_declaration)
    yield coverage
    if coverage.requests:
        folder = reports_dir(harness_declaration.root) / "integration"
        coverage.write(folder / "graph_coverage_http.json")


@pytest.fixture(scope="session")
def harness_stack(worker_id: str) -> Iterator[Stack]:
    """The running stack; `.service_url`, `.llm_url` (worker_id is pytest-xdist's fixture)."""
    from harness.stack import Stack

    with Stack(f"reports/stack-{worker_id}") as stack:
        yield stack
