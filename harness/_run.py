"""`harness run`: the test pyramid, tier by tier, each in its own pytest process.

A tier's own process means a crash or a gevent patch in one cannot touch the others. The tiers
are the declared suites folder's (`[tool.harness.system] suites`: `unit/`, `integration/`,
`system/`, `chaos/`). Each tier writes JUnit XML to `reports/junit/<tier>.xml` and its output to
`reports/logs/<tier>.log`; the unit and integration tiers measure branch coverage of the declared
packages (`coverage`, into `reports/coverage/`). `reports/pyramid.json` sums it up for the report
(`harness.report._pyramid.PyramidRecord`, the report's own model of it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ._exceptions import ConfigError
from ._tier_runs import REPORTS_ENV
from .report._pyramid import CoverageFigures, PyramidCoverage, PyramidRecord, TierRun
from .sut import SystemDeclaration, load_declaration

__all__ = ["TIERS", "TierRun", "run_pyramid", "tier_run", "write_pyramid"]

TIERS = ("unit", "integration", "system", "chaos")
_COVERED = ("unit", "integration")  # in-process tiers: coverage of the system under test
_PERCENT = re.compile(rb"\[\s*(\d+)%\]")


def _suites_dir(declaration: SystemDeclaration) -> Path:
    suites = declaration.suites_path
    if not any((suites / tier).is_dir() for tier in TIERS):
        raise ConfigError(
            f"{suites}: no tier folder ({', '.join(TIERS)}) in it; set [tool.harness.system] suites "
            "to the folder that holds them (or run `harness init`)"
        )
    return suites


def _command(
    tier: str, suites: Path, reports: Path, workers: str, extra: list[str], coverage: list[str]
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(suites / tier),
        "-q",
        f"--junitxml={reports / 'junit' / f'{tier}.xml'}",
    ]
    if tier in _COVERED and coverage:
        cov = reports / "coverage"
        cmd += [
            *(f"--cov={package}" for package in coverage),
            "--cov-branch",
            f"--cov-report=html:{cov / 'html'}",
            f"--cov-report=json:{cov / f'{tier}.json'}",
            "--cov-report=",
        ]
        if tier != _COVERED[0]:
            cmd.append("--cov-append")
    if workers not in ("0", "") and tier == "unit":
        cmd += ["-n", workers]
    return [*cmd, *extra]


def _junit_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    root = ElementTree.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return {}
    tests, failed, errors, skipped = (
        int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")
    )
    return {
        "tests": tests,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
        "passed": tests - failed - errors - skipped,
    }


def tier_run(tier: str, exit_code: int, seconds: float, reports: Path) -> TierRun:
    """A tier's record: how its pytest ended, and the counts of its JUnit XML."""
    return TierRun(
        tier=tier,
        exit_code=exit_code,
        seconds=round(seconds, 2),
        **_junit_counts(reports / "junit" / f"{tier}.xml"),
    )


def _run_tier(tier: str, cmd: list[str], reports: Path, progress: Progress, cwd: Path) -> tuple[int, float]:
    log = reports / "logs" / f"{tier}.log"
    task = progress.add_task(tier, total=100)
    started = time.monotonic()
    with log.open("wb") as out:
        env = os.environ | {REPORTS_ENV: str(reports.resolve())}  # where harness_load/_chaos write
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        while proc.poll() is None:
            time.sleep(0.5)
            found = _PERCENT.findall(log.read_bytes()[-4000:])
            progress.update(task, completed=int(found[-1]) if found else 0)
    progress.update(
        task, completed=100, description=f"{tier} {'ok' if proc.returncode in (0, 5) else 'FAILED'}"
    )
    return proc.returncode, time.monotonic() - started


def run_pyramid(
    reports: Path,
    *,
    tiers: tuple[str, ...] = TIERS,
    workers: str = "0",
    extra: list[str] | None = None,
    console: Console | None = None,
) -> int:
    """Run each tier, print a summary; 0 when every tier passed."""
    declaration = load_declaration()
    suites, console = _suites_dir(declaration), console or Console()
    for folder in ("junit", "logs", "coverage"):
        (reports / folder).mkdir(parents=True, exist_ok=True)
    results: list[TierRun] = []
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        for tier in tiers:
            if not (suites / tier).is_dir():
                continue
            cmd = _command(tier, suites, reports, workers, extra or [], declaration.coverage)
            code, seconds = _run_tier(tier, cmd, reports, progress, suites.parent)
            results.append(tier_run(tier, code, seconds, reports))
    record = write_pyramid(reports, results)
    _print(console, record, declaration, reports)
    return 0 if all(r.exit_code == 0 for r in results) else 1


def _coverage(path: Path) -> CoverageFigures:
    totals = json.loads(path.read_text())["totals"] if path.exists() else {}
    if not totals.get("num_statements"):
        return CoverageFigures()  # nothing measured
    branches = totals.get("num_branches", 0)
    return CoverageFigures(
        line_pct=round(totals.get("percent_statements_covered", 0.0), 2),
        # As coverage.py has it: code with no branch has none to miss.
        branch_pct=round(100 * totals.get("covered_branches", 0) / branches, 2) if branches else 100.0,
    )


def write_pyramid(reports: Path, results: list[TierRun]) -> PyramidRecord:
    """`<reports>/pyramid.json`: the tiers run, and the coverage figures of their reports."""
    # Each covered tier appends to the same data, so the last one's report is the combined figure.
    ran = [r.tier for r in results if r.tier in _COVERED]
    combined = _coverage(reports / "coverage" / f"{ran[-1]}.json") if ran else CoverageFigures()
    record = PyramidRecord(
        tiers=results,
        coverage=PyramidCoverage(
            **dict(combined),
            unit_only=_coverage(reports / "coverage" / "unit.json"),
            html=str(reports / "coverage" / "html" / "index.html"),
        ),
    )
    record.write(reports / "pyramid.json")
    return record


def _print(console: Console, record: PyramidRecord, declaration: SystemDeclaration, reports: Path) -> None:
    console.print(f"system under test: {declaration.name} (declared in {declaration.source})")
    for r in record.tiers:
        state = "[green]passed[/]" if r.exit_code == 0 else f"[red]FAILED (exit {r.exit_code})[/]"
        console.print(
            f"{r.tier:<12} {state}  {r.passed} passed, {r.failed} failed, {r.errors} errors, "
            f"{r.skipped} skipped in {r.seconds:.1f} s   log: {reports / 'logs' / f'{r.tier}.log'}"
        )
    cov, unit = record.coverage, record.coverage.unit_only
    console.print(
        f"coverage of {', '.join(declaration.coverage) or 'nothing declared'}: "
        f"{cov.line_pct}% lines, {cov.branch_pct}% branches "
        f"(unit tier alone: {unit.line_pct}% lines, {unit.branch_pct}% branches); {cov.html}"
    )
