"""Failures tagged by the MAST taxonomy, each with its evidence."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.measure import ChaosReport
from harness.report import Summary
from harness.report._mast import CATEGORIES, MODES, tag, tag_tests
from harness.report._summary import FailedTest

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

MakeReports = Callable[..., Path]


def test_the_taxonomy_has_14_modes_in_3_categories() -> None:
    assert len(MODES) == 14
    assert {m[:4] for m in MODES} == {"FM-1", "FM-2", "FM-3"}
    assert list(CATEGORIES.values()) == [
        "Specification and system design", "Inter-agent misalignment", "Task verification",
    ]  # fmt: skip


def _failed(classname: str, name: str, message: str = "", subject: str = "system") -> FailedTest:
    return FailedTest(
        tier="unit", classname=classname, name=name, kind="failure", message=message, subject=subject
    )


@pytest.mark.parametrize(
    ("classname", "name", "message", "modes"),
    [
        ("suites.unit.test_policy", "test_vip_customer_is_escalated", "", ["FM-1.1"]),
        (
            "suites.integration.test_scenarios",
            "test_routing[billing-en-003]",
            "wrong route",
            ["FM-2.3", "FM-1.2"],
        ),
        ("suites.unit.test_handoff", "test_dropped_handoff_escalates", "", ["FM-2.4", "FM-1.4"]),
        ("suites.unit.test_answer", "test_schema_violation_is_repaired", "", ["FM-3.2"]),
        ("suites.unit.test_decision", "test_unrecognised_label", "", ["FM-2.2"]),
        ("suites.integration.service", "test_a_hang_is_cut_by_the_deadline", "", ["FM-1.5"]),
        ("suites.unit.test_cache", "test_cache_hit_counts", "", []),  # nothing the harness can tell
    ],
)
def test_failed_tests_are_tagged_by_what_they_test(
    classname: str, name: str, message: str, modes: list[str]
) -> None:
    test = _failed(classname, name, message)
    observations = tag_tests([test])
    assert test.mast == modes
    assert [o.modes for o in observations] == ([tuple(modes)] if modes else [])


def test_a_test_of_the_harness_itself_is_never_tagged() -> None:
    # By its marker (harness_self, written into the JUnit XML by the plugin), not by its folder.
    part = _failed("tests.proxy.test_toxics", "test_timeout_toxic_hangs", subject="harness")
    assert tag_tests([part]) == [] and part.mast == []
    same_name = _failed("tests.proxy.test_toxics", "test_timeout_toxic_hangs")
    assert [o.modes for o in tag_tests([same_name])] == [("FM-1.5",)]


def test_tags_group_evidence_by_mode_escaped_first() -> None:
    tags = tag(tag_tests([_failed("suites.unit.test_policy", "test_refund_escalates", "AssertionError")]))
    assert [(t.mode, t.contained, t.count) for t in tags] == [("FM-1.1", False, 1)]
    assert tags[0].category == "Specification and system design"
    assert tags[0].evidence[0].source == "junit:unit"
    assert "test_refund_escalates failed: AssertionError" in tags[0].evidence[0].detail


def test_a_healthy_run_has_no_escaped_failure(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    tags = summarize(make_reports()).mast
    assert [t for t in tags if not t.contained] == []
    # Ambiguous scenarios are labelled to escalate as unrecognised routes: caught, so contained.
    assert [(t.mode, t.contained) for t in tags] == [("FM-2.2", True)]


def _rewrite_samples(folder: Path, change: Callable[[dict[str, str]], None]) -> None:
    path = next((folder / "load").glob("*/samples.csv"))
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        change(row)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_missed_escalations_wrong_routes_and_hangs_in_the_load_run(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports()

    def break_it(row: dict[str, str]) -> None:
        if row["category"] == "vip":
            row["escalated"], row["route"], row["escalation_reason"] = "False", "billing_support", ""
        elif row["category"] == "general":
            row["route"] = "technical_support"
        elif row["category"] == "long":
            row["status"], row["ms"], row["kind"] = "0", "40000", "no_response"

    _rewrite_samples(folder, break_it)
    tags = {(t.mode, t.contained): t for t in summarize(folder).mast}
    assert {mode for mode, contained in tags if not contained} == {"FM-1.1", "FM-2.3", "FM-1.2", "FM-1.5"}
    assert "answered by an agent" in tags[("FM-1.1", False)].evidence[0].detail
    assert "other than the labelled one" in tags[("FM-2.3", False)].evidence[0].detail
    assert "hung" in tags[("FM-1.5", False)].evidence[0].detail


def test_a_failed_chaos_experiment_is_tagged_by_its_fault(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports(breach="chaos")
    doc = ChaosReport.read(folder / "chaos.json")
    # A bite run of the same experiment: meant to fail, so never tagged.
    doc.experiments.append(doc.experiments[0].model_copy(update={"resilience": "off"}))
    doc.write(folder / "chaos.json")
    escaped = [t for t in summarize(folder).mast if not t.contained]
    assert [t.mode for t in escaped] == ["FM-1.4", "FM-2.4"]
    assert all(t.count == 1 and t.evidence[0].source == "chaos:handoff-drop" for t in escaped)
