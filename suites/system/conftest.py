"""System-tier fixtures: the load runs of suites/system/profiles.toml, run side by side once a session.

Each run gets a fresh stack and breaches one threshold of the default SLA, or none (healthy). They
run together (`harness.load._runner.run_loads`): every stack up first, then every load at once,
then the analyses, so about 40 s in all. Under pytest-xdist one worker runs them and the others
read its reports (a file lock), instead of every worker loading the machine again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.load import load_profile, load_sla
from harness.load._runner import RunOptions, run_loads
from harness.measure import SlaReport

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
PROFILES = Path(__file__).resolve().with_name("profiles.toml")
REPORTS = ROOT / "reports" / "system"
RUNS = ("healthy", "slow_llm", "llm_errors", "broken_escalation")

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


def _options(name: str) -> RunOptions:
    profile = load_profile(name, pyproject=PYPROJECT, extra=PROFILES)
    sla = load_sla(PYPROJECT, profile.sla, profile=name)
    return RunOptions(profile=profile, sla=sla, reports=REPORTS / name, progress=False)


def _run_all(index: Path, session: str) -> dict[str, str]:
    for name in RUNS:
        shutil.rmtree(REPORTS / name, ignore_errors=True)  # only the latest session's runs are kept
        (REPORTS / name).mkdir(parents=True)
    analyses = run_loads([_options(name) for name in RUNS])
    paths = {a.report.run.profile: str(a.path) for a in analyses}
    index.write_text(json.dumps({"session": session, "runs": paths}))
    return paths


@pytest.fixture(scope="session")
def load_runs(testrun_uid: str) -> Iterator[dict[str, SlaReport]]:
    """{profile name: its sla.json, read back through its model} for every run in RUNS."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    index = REPORTS / "runs.json"
    with (REPORTS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker runs the loads, the others wait for it
        done = json.loads(index.read_text()) if index.exists() else {}
        paths = done["runs"] if done.get("session") == testrun_uid else _run_all(index, testrun_uid)
    yield {name: SlaReport.read(path) for name, path in paths.items()}
