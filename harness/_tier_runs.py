"""The bodies of the plugin's `harness_load` and `harness_chaos` fixtures: a team's system and
chaos tiers in a line each.

Each runs the harness's own command (`harness load`, `harness chaos`) in a child process, as a
user would: Locust's gevent patching stays out of the test process, a crash in the run cannot
take pytest with it, and the run writes where the release report reads (`<reports>/sla.json`,
`<reports>/chaos.json`). The report comes back through its model, so a test asserts on fields,
not on dict lookups. The reports folder is `HARNESS_REPORTS` (set by `harness run --reports`),
else `reports/` beside the declaring pyproject.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._exceptions import ConfigError, HarnessError
from .measure import ChaosReport, SlaReport

if TYPE_CHECKING:
    from ._pathcov import PathCoverage
    from .sut import SystemDeclaration

__all__ = ["REPORTS_ENV", "chaos_run", "graph_coverage_of", "load_run", "reports_dir"]

#: Where a tier's runs write their reports (`harness run` sets it for its tier processes).
REPORTS_ENV = "HARNESS_REPORTS"


def reports_dir(root: Path) -> Path:
    """`HARNESS_REPORTS`, else `<root>/reports`."""
    return Path(os.environ.get(REPORTS_ENV) or root / "reports").resolve()


def _run(command: Sequence[str], cwd: Path, report: Path) -> Path:
    """Run `harness COMMAND` from `cwd`; the report it wrote (never an earlier run's left in its
    place). Exit 1 is a verdict, not an error; exit 2 (a bad option or declaration) or no fresh
    report raises, quoting the command's last line."""
    env = os.environ | {"NO_PROXY": "127.0.0.1,localhost"}
    argv = [sys.executable, "-m", "harness", *command]
    since = time.time() - 1  # file times can trail the clock by a tick
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    fresh = report.exists() and report.stat().st_mtime >= since
    if done.returncode in (0, 1) and fresh:
        return report
    said = (done.stderr.strip() or done.stdout.strip()).splitlines()
    raise HarnessError(
        f"`harness {' '.join(command)}` (exit {done.returncode}) wrote no {report.name}: "
        + (said[-1] if said else "no output")
    )


def load_run(root: Path, profile: str = "smoke", *options: str) -> SlaReport:
    """`harness load --profile PROFILE [options]` from `root`: its SlaReport, pass or fail
    (exit 1 is a verdict, not an error; exit 2, a bad option or declaration, raises)."""
    reports = reports_dir(root)
    command = ["load", "--profile", profile, "--reports", str(reports), "--no-progress", *options]
    return SlaReport.read(_run(command, root, reports / "sla.json"))


def chaos_run(root: Path, *options: str, suite: str = "short") -> ChaosReport:
    """`harness chaos --suite SUITE [options]` from `root` (the declared experiments, else the
    generic catalogue): its ChaosReport, whatever the verdicts."""
    reports = reports_dir(root)
    command = ["chaos", "--suite", suite, "--reports", str(reports), "--quiet", *options]
    return ChaosReport.read(_run(command, root, reports / "chaos.json"))


def graph_coverage_of(declaration: SystemDeclaration) -> PathCoverage:
    """Empty path coverage of the declared in-process graph's edges."""
    from ._pathcov import PathCoverage, edges_of
    from .sut import load_graph

    graph = load_graph(declaration.python, declaration=declaration) if declaration.python else None
    if graph is None:
        raise ConfigError(
            f"{declaration.source}: graph_coverage needs [tool.harness.system] python naming a "
            "compiled LangGraph graph (or a factory of one)"
            + (f"; {declaration.python!r} is not one" if declaration.python else "")
        )
    return PathCoverage(edges_of(graph.graph))
