"""Fixtures for the release report's tests: small made-up reports folders (suites/fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.report import GateSettings, Summary, build_summary
from suites.fixtures.example_reports import copy_reports, write_example_reports

MakeReports = Callable[..., Path]


@pytest.fixture(scope="session")
def _templates() -> dict[str, Path]:
    return {}


@pytest.fixture
def make_reports(tmp_path_factory: pytest.TempPathFactory, _templates: dict[str, Path]) -> MakeReports:
    """`make_reports(breach=..., seed=..., ...)` -> a fresh reports folder of its own (a copy of
    one built once a session per set of options, through the real writers)."""

    def make(**kw: Any) -> Path:
        key = repr(sorted(kw.items()))
        if key not in _templates:
            _templates[key] = write_example_reports(tmp_path_factory.mktemp("template"), **kw)
        return copy_reports(_templates[key], tmp_path_factory.mktemp("reports"))

    return make


@pytest.fixture
def gate() -> GateSettings:
    """The default thresholds, whatever the repository's pyproject or the environment say."""
    return GateSettings.model_construct(**{k: f.default for k, f in GateSettings.model_fields.items()})


@pytest.fixture
def summarize(gate: GateSettings) -> Callable[[Path], Summary]:
    return lambda folder: build_summary(folder, gate)
