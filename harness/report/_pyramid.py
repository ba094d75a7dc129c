"""The pyramid from JUnit XML: tests, outcomes and time per tier, and its shape against 70/20/8/2.

`harness run` writes `junit/<tier>.xml` and `pyramid.json` (`PyramidRecord`: each tier's exit code
and wall time); the counts come from the XML, which pytest writes even when a tier fails, so a
crashed tier still shows what ran.
The harness's pytest plugin marks each testcase with its subject (property `harness_subject`):
tests of the harness's own parts (`harness_self`) are counted apart, and the shape is the shape
of the tests of the system under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict

from .._exceptions import HarnessError, ReportError
from .._files import TypedFile
from ._summary import FailedTest, PyramidSection, TierResult

__all__ = ["IDEAL_SHARES", "TIERS", "CoverageFigures", "PyramidRecord", "TierRun", "read_pyramid"]

TIERS = ("unit", "integration", "system", "chaos")
#: The classic test pyramid, as shares of all tests: many fast tests, few slow ones.
IDEAL_SHARES = {"unit": 0.70, "integration": 0.20, "system": 0.08, "chaos": 0.02}
# The report lists this many failed tests in full; the count is always exact.
_MAX_FAILED_LISTED = 60
_MAX_MESSAGE = 240


class TierRun(BaseModel):
    """One tier's pytest process, as `harness run` saw it (counts from its JUnit XML)."""

    model_config = ConfigDict(extra="forbid")
    tier: str
    exit_code: int
    seconds: float
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0


class CoverageFigures(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_pct: float | None = None  # null: no covered tier ran
    branch_pct: float | None = None


class PyramidCoverage(CoverageFigures):
    """The combined figure (the last covered tier's), the unit tier's alone, the HTML report."""

    unit_only: CoverageFigures
    html: str


class PyramidRecord(TypedFile):
    """`pyramid.json`: what `harness run` ran, for the report (its tiers' exit codes and times)."""

    SCHEMA: ClassVar[str] = "harness.pyramid/1"
    ERROR: ClassVar[type[HarnessError]] = ReportError
    FIX: ClassVar[str] = "run the tiers again: harness run"

    tiers: list[TierRun]
    coverage: PyramidCoverage


def _suites(path: Path) -> list[ElementTree.Element]:
    root = ElementTree.parse(path).getroot()
    return [root] if root.tag == "testsuite" else root.findall("testsuite")


def _first_line(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:_MAX_MESSAGE]


def _subject(case: ElementTree.Element) -> str:
    """`harness` for a test of the harness's own parts, else `system` (also without the plugin)."""
    for prop in case.iter("property"):
        if prop.get("name") == "harness_subject" and prop.get("value") == "harness":
            return "harness"
    return "system"


def _failed(tier: str, case: ElementTree.Element) -> FailedTest | None:
    for kind in ("failure", "error"):
        node = case.find(kind)
        if node is not None:
            return FailedTest(
                tier=tier,
                classname=case.get("classname", ""),
                name=case.get("name", ""),
                kind=kind,
                message=_first_line(node.get("message") or node.text),
                subject="harness" if _subject(case) == "harness" else "system",
            )
    return None


def _tier(
    tier: str, reports: Path, recorded: TierRun | None, notes: list[str]
) -> tuple[TierResult, list[FailedTest]]:
    path = reports / "junit" / f"{tier}.xml"
    log = reports / "logs" / f"{tier}.log"
    result = TierResult(
        tier=tier,
        ran=False,
        ideal_share=IDEAL_SHARES[tier],
        exit_code=recorded.exit_code if recorded else None,
        log=f"logs/{tier}.log" if log.exists() else None,
    )
    if not path.exists():
        return result, []
    failed: list[FailedTest] = []
    tests = failures = errors = skipped = harness = 0
    seconds = 0.0
    try:
        suites = _suites(path)
    except ElementTree.ParseError as exc:
        notes.append(f"junit/{tier}.xml is not valid XML ({exc}); the tier counts as not run")
        return result, []
    for suite in suites:
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        errors += int(suite.get("errors", "0"))
        skipped += int(suite.get("skipped", "0"))
        seconds += float(suite.get("time", "0") or 0)
        cases = list(suite.iter("testcase"))
        harness += sum(_subject(case) == "harness" for case in cases)
        failed += [f for case in cases if (f := _failed(tier, case)) is not None]
    passed = tests - failures - errors - skipped
    judged = tests - skipped
    result = result.model_copy(
        update={
            "ran": True,
            "tests": tests,
            "passed": passed,
            "failed": failures,
            "errors": errors,
            "skipped": skipped,
            "harness_tests": harness,
            # The tier's own process time when `harness run` recorded it (imports, fixtures).
            "seconds": round(recorded.seconds if recorded else seconds, 2),
            "pass_rate": round(passed / judged, 6) if judged else None,
            "junit": f"junit/{tier}.xml",
        }
    )
    return result, failed


def _recorded(reports: Path, notes: list[str]) -> dict[str, TierRun]:
    path = reports / "pyramid.json"
    if not path.exists():
        return {}
    try:
        record = PyramidRecord.read(path)
    except ReportError as exc:  # only the exit codes and times are lost; the XML has the counts
        notes.append(f"{exc}; the tiers' exit codes are unknown")
        return {}
    return {t.tier: t for t in record.tiers}


def read_pyramid(reports: Path, notes: list[str]) -> PyramidSection:
    """Every tier, run or not; a problem with an input is appended to `notes`."""
    recorded = _recorded(reports, notes)
    tiers: list[TierResult] = []
    failed: list[FailedTest] = []
    for tier in TIERS:
        result, tier_failed = _tier(tier, reports, recorded.get(tier), notes)
        tiers.append(result)
        failed += tier_failed
    # The shape is the system's: tests of the harness's own parts say nothing about it.
    total = sum(t.tests - t.harness_tests for t in tiers)
    for t in tiers:
        t.share = round((t.tests - t.harness_tests) / total, 6) if total else 0.0
    distance = 0.5 * sum(abs(t.share - t.ideal_share) for t in tiers) if total else 1.0
    return PyramidSection(
        tiers=tiers,
        total_tests=sum(t.tests for t in tiers),
        system_tests=total,
        seconds=round(sum(t.seconds for t in tiers), 2),
        shape_distance=round(distance, 4),
        failed_tests=failed[:_MAX_FAILED_LISTED],
        failed_tests_total=len(failed),
    )
