"""Root conftest: offline, quiet defaults for every tier, and tier markers by directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Per-commit runs stay fast; `HYPOTHESIS_PROFILE=thorough` (nightly) searches much harder.
settings.register_profile("default", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# deepeval phones home and writes ./.deepeval/ unless told not to; set before anything imports it.
os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
os.environ.setdefault("DEEPEVAL_FILE_SYSTEM", "READ_ONLY")
os.environ.setdefault("DEEPEVAL_UPDATE_WARNING_OPT_OUT", "YES")

_TIERS = ("unit", "integration", "system", "chaos")
_ROOT = Path(__file__).parent / "suites"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, from the folder it lives in (`-m unit`, `-m chaos`...)."""
    for item in items:
        try:
            tier = Path(item.path).relative_to(_ROOT).parts[0]
        except ValueError:
            continue
        if tier in _TIERS:
            item.add_marker(getattr(pytest.mark, tier))
