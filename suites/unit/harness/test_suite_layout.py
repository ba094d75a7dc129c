"""The suites collect together: `make test` runs every tier in one pytest process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.harness_self

SUITES = Path(__file__).resolve().parents[2]


def test_no_two_test_modules_share_a_basename() -> None:
    # Without packages pytest imports a test module by its basename: a second one of the same name
    # in another tier stops the whole run at collection ("import file mismatch"), as it once did.
    names = Counter(p.name for p in SUITES.rglob("test_*.py") if ".venv" not in p.parts)
    assert len(names) > 50  # the walk found the suites
    twice = sorted(n for n, c in names.items() if c > 1)
    assert not twice, f"test modules sharing a name across suites: {twice}; rename one"
