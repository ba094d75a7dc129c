"""Locust stays in its own processes (it monkey-patches gevent), and the command line fails in one
clear line. Subprocesses only: this process must never import Locust either."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.system, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[3]
HARNESS = ROOT / "harness"
LOCUSTFILE = HARNESS / "load" / "locustfile.py"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_locustfile_imports_locust_or_gevent() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in HARNESS.rglob("*.py")
        if path != LOCUSTFILE and _imports(path) & {"locust", "gevent", "geventhttpclient"}
    ]
    assert offenders == []
    assert {"locust", "gevent"} <= _imports(LOCUSTFILE)
    assert not (_imports(HARNESS / "load" / "_mix.py") & {"locust", "gevent"})


def test_the_whole_load_package_but_the_locustfile_runs_without_locust() -> None:
    modules = sorted(
        f"harness.load.{p.stem}" for p in (HARNESS / "load").glob("_*.py") if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import harness._cli, harness.stack\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.load", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_a_bad_profile_name_is_one_line_listing_the_available_ones() -> None:
    out = _cli("--profile", "smok")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "harness load: unknown load profile 'smok'; available: ramp, smoke, soak, spike, steady, stream "
        "(add one under [tool.harness.load.profiles.smok] in pyproject.toml)"
    ]


def test_a_remote_target_is_refused() -> None:
    out = _cli("--host", "http://10.0.0.1:8000")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "only targets loopback" in out.stderr


def test_the_profiles_are_listed() -> None:
    out = _cli("--list")
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()] == [
        "ramp",
        "smoke",
        "soak",
        "spike",
        "steady",
        "stream",
    ]
