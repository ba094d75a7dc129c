"""`harness run`: drive the test tiers as subprocesses and collect their results under reports/.

Each tier runs in its own pytest process, so a crash or a gevent patch in one cannot touch the
others, and its JUnit XML and coverage land in a known place for the release report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ._exceptions import ConfigError

__all__ = ["run_unit_tier"]

_FAST = ["-p", "no:deepeval", "-p", "no:langsmith_plugin", "-p", "no:locust"]


def _suites_dir() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "suites" / "unit").is_dir():
            return folder / "suites"
    raise ConfigError("no suites/unit folder here or above; run `harness run` from a harness checkout")


def run_unit_tier(reports: Path, *, workers: str = "0", extra: list[str] | None = None) -> int:
    """Unit tier with branch coverage of the reference system; returns pytest's exit code."""
    suites = _suites_dir()
    cov_dir = reports / "coverage"
    cov_dir.mkdir(parents=True, exist_ok=True)
    (reports / "junit").mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(suites / "unit"),
        *_FAST,
        "-q",
        "--cov=harness.reference",
        "--cov-branch",
        "--cov-report=term",
        f"--cov-report=html:{cov_dir / 'html'}",
        f"--cov-report=json:{cov_dir / 'coverage.json'}",
        f"--junitxml={reports / 'junit' / 'unit.xml'}",
    ]
    if workers not in ("0", ""):
        cmd += ["-n", workers]
    started = time.perf_counter()
    code = subprocess.call([*cmd, *(extra or [])], cwd=suites.parent)
    _summarise(cov_dir, time.perf_counter() - started, code)
    return code


def _summarise(cov_dir: Path, seconds: float, code: int) -> None:
    data = json.loads((cov_dir / "coverage.json").read_text()) if (cov_dir / "coverage.json").exists() else {}
    totals = data.get("totals", {})
    branches = totals.get("num_branches", 0)
    summary = {
        "tier": "unit",
        "exit_code": code,
        "seconds": round(seconds, 2),
        "line_coverage_pct": round(
            100 * totals.get("covered_lines", 0) / max(1, totals.get("num_statements", 0)), 2
        ),
        "branch_coverage_pct": round(100 * totals.get("covered_branches", 0) / max(1, branches), 2),
        "coverage_html": str(cov_dir / "html" / "index.html"),
    }
    (cov_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"\nunit tier: {'passed' if code == 0 else 'FAILED'} in {seconds:.1f} s; "
        f"harness/reference coverage: {summary['line_coverage_pct']}% lines, "
        f"{summary['branch_coverage_pct']}% branches; report: {summary['coverage_html']}"
    )
