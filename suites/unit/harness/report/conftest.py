"""Fixtures for the release report's tests: small made-up reports folders (harness.report._example)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.report import GateSettings, Summary, build_summary
from suites.fixtures.example_reports import write_example_reports

MakeReports = Callable[..., Path]


@pytest.fixture
def make_reports(tmp_path_factory: pytest.TempPathFactory) -> MakeReports:
    """`make_reports(breach=..., seed=..., ...)` -> a fresh reports folder."""

    def make(**kw: Any) -> Path:
        return write_example_reports(tmp_path_factory.mktemp("reports"), **kw)

    return make


@pytest.fixture
def gate() -> GateSettings:
    """The default thresholds, whatever the repository's pyproject or the environment say."""
    return GateSettings.model_construct(**{k: f.default for k, f in GateSettings.model_fields.items()})


@pytest.fixture
def summarize(gate: GateSettings) -> Callable[[Path], Summary]:
    return lambda folder: build_summary(folder, gate)
