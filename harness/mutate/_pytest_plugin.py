"""Loaded into every pytest process `harness mutate` starts (`-p harness.mutate._pytest_plugin`).

Two things a mutation run must be sure of, checked inside the test process itself, after its
conftest files and `pythonpath` setting have had their say: that the packages it imports are the
mutated copies (else every mutant would "survive" against the untouched code), and that
Hypothesis keeps its example database in the copy's folder, not the project's (a failing example
saved under one mutant would be replayed against every later run).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

__all__ = ["COPIES_ENV", "HYPOTHESIS_ENV", "WRONG_IMPORT", "wrong_import"]

COPIES_ENV = "HARNESS_MUTATE_COPIES"  # JSON {package: the folder its copy must come from}
HYPOTHESIS_ENV = "HARNESS_MUTATE_HYPOTHESIS_DIR"
WRONG_IMPORT = 86  # the exit code when a package is not imported from its copy


def pytest_configure(config: pytest.Config) -> None:
    home = os.environ.get(HYPOTHESIS_ENV)
    if not home:
        return
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # a project without Hypothesis
        return
    set_hypothesis_home_dir(home)


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = wrong_import(json.loads(os.environ.get(COPIES_ENV, "{}")))
    if problem:
        pytest.exit(problem, returncode=WRONG_IMPORT)


def wrong_import(copies: dict[str, str]) -> str | None:
    """Why a package would not be imported from its copy, or None when every one is."""
    for name, folder in copies.items():
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) if module else None
        if where is None:
            spec = importlib.util.find_spec(name)
            where = spec.origin if spec else None
        if where is None or not Path(where).resolve().is_relative_to(Path(folder).resolve()):
            return (
                f"{name} is imported from {where}, not from its mutated copy in {folder}: "
                "a `pythonpath` setting or a conftest puts another copy first on sys.path"
            )
    return None
