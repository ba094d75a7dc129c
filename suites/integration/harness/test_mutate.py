"""`harness mutate` as a team runs it, on a throwaway system in tmp_path: a package of three
functions and a two-tier suite that catches one mutant in the unit tier, one more in the
integration tier, and misses the last, so the score must say no (3 of 5). Also its two refusals: a tier
failing un-mutated, and a test run that would import the original instead of the mutated copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.harness_self

PYPROJECT = """
[tool.harness.system]
name = "tiny"
coverage = ["tinypkg"]
suites = "tests"

[tool.pytest.ini_options]
addopts = "--disable-plugin-autoload -p no:cacheprovider"
{extra}
"""
PACKAGE = """
def total(a, b):
    return a + b


def is_adult(age):
    return age >= 18


def greeting():
    return "hello"
"""
UNIT = "from tinypkg import total\n\ndef test_total():\n    assert total(2, 3) == 5\n"
INTEGRATION = (
    "from tinypkg import is_adult\n\ndef test_adult():\n    assert is_adult(18) and not is_adult(17)\n"
)


def _project(tmp_path: Path, *, extra: str = "", unit: str = UNIT) -> Path:
    (tmp_path / "src" / "tinypkg").mkdir(parents=True)
    (tmp_path / "src" / "tinypkg" / "__init__.py").write_text(PACKAGE)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(extra=extra))
    for tier, text in (("unit", unit), ("integration", INTEGRATION)):
        (tmp_path / "tests" / tier).mkdir(parents=True)
        (tmp_path / "tests" / tier / f"test_{tier}.py").write_text(text)
    return tmp_path


def _mutate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "PYTEST_"))}
    env["PYTHONPATH"] = str(folder / "src")  # the team's package, installed
    return subprocess.run(
        [sys.executable, "-m", "harness", "mutate", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def test_scores_per_tier_and_survivors_with_file_and_line(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    done = _mutate(folder, "--tiers", "unit,integration", "--workers", "2")
    assert done.returncode == 0, done.stderr + done.stdout
    record = json.loads((folder / "reports" / "mutation.json").read_text())
    status = {(m["original"], m["mutated"]): (m["status"], m["tier"]) for m in record["mutants"]}
    assert status[("return a + b", "return a - b")] == ("killed", "unit")
    assert status[("return age >= 18", "return age > 18")] == ("killed", "integration")
    assert status[("return age >= 18", "return age >= 19")] == ("killed", "integration")
    survivors = [m for m in record["mutants"] if m["status"] == "survived"]
    assert [(m["file"], m["line"], m["operator"], m["mutated"]) for m in survivors] == [
        ("tinypkg/__init__.py", 11, "string", 'return "XXhelloXX"'),
        ("tinypkg/__init__.py", 11, "string", 'return "HELLO"'),
    ]
    unit, integration = record["tiers"]
    assert (unit["tier"], unit["killed"], unit["score"]) == ("unit", 1, 0.2)
    assert (integration["tier"], integration["killed"], integration["score"]) == ("integration", 2, 0.6)
    assert record["score"] == 0.6 and record["run"] == 5 and record["stopped"] == "done"
    assert "survived tinypkg/__init__.py:11" in done.stdout  # the survivors, printed
    assert (folder / "src" / "tinypkg" / "__init__.py").read_text() == PACKAGE  # never written


def test_a_tier_failing_unmutated_is_refused(tmp_path: Path) -> None:
    folder = _project(tmp_path, unit=UNIT + "\ndef test_broken():\n    assert False\n")
    done = _mutate(folder, "--tiers", "unit")
    assert done.returncode == 2
    assert "the unit tier fails without any mutant (tests/unit/test_unit.py::test_broken)" in done.stderr
    assert not (folder / "reports" / "mutation.json").exists()


def test_a_run_that_would_test_the_original_is_refused(tmp_path: Path) -> None:
    folder = _project(tmp_path, extra='pythonpath = ["src"]')  # puts the original before the copy
    done = _mutate(folder, "--tiers", "unit")
    assert done.returncode == 2
    assert "tinypkg is imported from" in done.stderr and "not from its mutated copy" in done.stderr
