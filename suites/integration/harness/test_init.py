"""`harness init`: starter files that pass at once, never overwrite a team's own, and one-line
refusals. (The whole pyramid on a starter project: suites/system/harness/test_second_example.py
runs `harness run` on an init'ed project too.)"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.harness_self

STARTED = [
    "pyproject.toml",
    "starter_system.py",
    "scenarios.jsonl",
    "tests/unit/test_unit_starter.py",
    "tests/integration/test_integration_starter.py",
    "tests/system/test_system_starter.py",
    "tests/chaos/test_chaos_starter.py",
]


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def tiers(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    paths = [f"tests/{n}" for n in names]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "-W", "ignore"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_new_project_gets_files_that_pass_at_once(tmp_path: Path) -> None:
    done = harness("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert all((tmp_path / name).is_file() for name in STARTED), done.stdout
    system = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["harness"]["system"]
    assert system["python"] == "starter_system:answer" and system["serve"]["command"][2:4] == [
        "harness",
        "serve",
    ]
    ran = tiers(tmp_path, "unit", "integration")
    assert ran.returncode == 0 and "4 passed" in ran.stdout, ran.stdout[-2000:]


def test_a_teams_files_are_kept_and_its_pyproject_only_added_to(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "acme-desk"\n')
    (tmp_path / "scenarios.jsonl").write_text("mine\n")
    assert harness("init", cwd=tmp_path).returncode == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert (
        text.startswith('[project]\nname = "acme-desk"\n') and 'name = "acme-desk"' in text.split("[tool")[1]
    )
    assert (tmp_path / "scenarios.jsonl").read_text() == "mine\n"
    again = harness("init", cwd=tmp_path)
    assert "it already declares [tool.harness.system]" in again.stdout
    assert (tmp_path / "pyproject.toml").read_text() == text  # declared once, not twice


def test_a_graph_gets_its_own_routes_and_path_coverage(tmp_path: Path) -> None:
    done = harness("init", "--python", "handoff_desk:build_graph", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "starter_system.py").exists()
    vocabulary = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["harness"]["system"][
        "vocabulary"
    ]
    assert vocabulary["routes"] == ["billing", "tech"] and vocabulary["router"] == "supervisor"
    ran = tiers(tmp_path, "integration")
    assert ran.returncode == 0 and "2 passed" in ran.stdout, ran.stdout[-2000:]
    assert (tmp_path / "reports" / "integration" / "graph_coverage_in_process.json").is_file()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--python", "no colon"], "use 'package.module:attribute'"),
        (["--python", "nosuch_pkg_xyz:graph"], "cannot import it"),
        (["/no/such/folder"], "no such folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], said: str) -> None:
    done = harness("init", *args, cwd=tmp_path)
    assert done.returncode == 2 and said in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written
