"""Reading a reports folder into summary.json: every section, the fallbacks, and nothing unsafe."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.measure import ChaosReport, SlaReport
from harness.report import Summary
from harness.report._collect import write_summary
from harness.report._summary import SCHEMA

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

MakeReports = Callable[..., Path]


@pytest.fixture
def folder(make_reports: MakeReports) -> Path:
    return make_reports()


def test_the_pyramid_counts_tiers_and_measures_the_shape(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    p = summarize(folder).pyramid
    assert [(t.tier, t.tests, t.passed) for t in p.tiers] == [
        ("unit", 70, 70), ("integration", 20, 20), ("system", 8, 8), ("chaos", 2, 2),
    ]  # fmt: skip
    assert [t.share for t in p.tiers] == [0.7, 0.2, 0.08, 0.02]
    assert p.shape_distance == 0.0  # the example is the ideal pyramid
    assert p.total_tests == 100
    assert p.tiers[0].junit == "junit/unit.xml"


def test_a_lopsided_pyramid_is_measured_as_such(folder: Path, summarize: Callable[[Path], Summary]) -> None:
    # Swap the unit and integration files: 20% unit, 70% integration.
    unit, integration = folder / "junit" / "unit.xml", folder / "junit" / "integration.xml"
    text_unit, text_integration = unit.read_text(), integration.read_text()
    unit.write_text(text_integration)
    integration.write_text(text_unit)
    assert summarize(folder).pyramid.shape_distance == pytest.approx(0.5)


def test_tests_of_the_harness_itself_are_counted_apart_from_the_shape(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    # 200 more integration tests, all marked as the harness's own (as the plugin writes them):
    # without the marker they would make the pyramid top-heavy.
    harness_case = (
        '<testcase classname="suites.integration.harness.test_x" name="test_{i}" time="0.01">'
        '<properties><property name="harness_tier" value="integration" />'
        '<property name="harness_subject" value="harness" /></properties></testcase>'
    )
    path = folder / "junit" / "integration.xml"
    extra = "".join(harness_case.format(i=i) for i in range(200))
    text = path.read_text().replace('tests="20"', 'tests="220"')
    text = text.replace("</testsuite>", extra + "</testsuite>")
    path.write_text(text)
    p = summarize(folder).pyramid
    integration = p.tiers[1]
    assert (integration.tests, integration.harness_tests, integration.share) == (220, 200, 0.2)
    assert (p.total_tests, p.system_tests, p.shape_distance) == (300, 100, 0.0)


def test_coverage_and_graph_sections(folder: Path, summarize: Callable[[Path], Summary]) -> None:
    s = summarize(folder)
    assert s.coverage is not None and s.graph is not None
    assert (s.coverage.line_pct, s.coverage.branch_pct) == (96.0, 90.0)
    assert s.coverage.html == "coverage/html/index.html"
    assert (s.graph.edges_total, s.graph.edges_covered, s.graph.missing_edges) == (3, 3, [])


def test_a_missing_edge_in_pathcov_format_is_read(folder: Path, summarize: Callable[[Path], Summary]) -> None:
    path = folder / "integration" / "graph_coverage_http.json"
    doc = json.loads(path.read_text())
    doc["edges"][1]["hits"] = 0
    doc["missing_edges"] = ["__start__ -> supervisor"]  # harness._pathcov's own format
    path.write_text(json.dumps(doc))
    graph = summarize(folder).graph
    assert graph is not None
    assert graph.runs[1].missing_edges == [["__start__", "supervisor"]]
    assert graph.missing_edges == []  # the in-process run covered it


def test_the_sla_section_keeps_the_exact_percentiles_and_points_at_the_samples(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    sla = summarize(folder).sla
    client = SlaReport.read(folder / "sla.json").latency_ms.client
    assert sla is not None
    points = [client.p50, client.p95, client.p99, client.p999]
    assert [p.value for p in sla.percentiles] == [p.value for p in points]
    assert sla.percentiles[1].ci95 == list(client.p95.ci95 or [])
    assert sla.files["samples"].startswith("load/") and (folder / sla.files["samples"]).exists()
    assert [a.agent for a in sla.agents] == sorted(SlaReport.read(folder / "sla.json").agents)


def test_csvs_are_found_when_the_folder_was_moved(
    folder: Path, tmp_path: Path, summarize: Callable[[Path], Summary]
) -> None:
    moved = shutil.move(str(folder), str(tmp_path / "artifact"))  # run.folder now points nowhere
    sla = summarize(Path(moved)).sla
    assert sla is not None and sla.files["samples"].startswith("load/")


def test_without_sla_json_the_system_tiers_healthy_run_is_used(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    run = next((folder / "load").glob("*/sla.json"))
    (folder / "sla.json").unlink()
    (folder / "system").mkdir()
    (folder / "system" / "runs.json").write_text(json.dumps({"runs": {"healthy": str(run)}}))
    sla = summarize(folder).sla
    assert sla is not None and sla.source == run.relative_to(folder).as_posix()


def test_chaos_phases_are_judged_one_by_one(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    chaos = summarize(make_reports(breach="chaos")).chaos
    assert chaos is not None
    drop = next(e for e in chaos.experiments if e.name == "handoff-drop")
    held = {(c.phase, c.probe): c.held for c in drop.checks}
    assert held == {
        ("before", "error_rate"): True, ("before", "p95_ms"): True,
        ("during", "error_rate"): False, ("during", "p95_ms"): True,
        ("after", "error_rate"): True, ("after", "p95_ms"): True,
        # Degraded and escalated shares are always judged (default limits), phase by phase too.
        **{(p, k): True for p in ("before", "during", "after") for k in ("escalated_rate", "degraded_rate")},
    }  # fmt: skip
    assert (chaos.on_runs, chaos.held, chaos.failed) == (2, 1, 1)


def test_the_chaos_tiers_per_worker_files_are_merged(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    doc = ChaosReport.read(folder / "chaos.json")
    (folder / "chaos.json").unlink()
    for i, exp in enumerate(doc.experiments):  # as the chaos suite's workers write them
        doc.model_copy(update={"experiments": [exp]}).write(folder / "chaos-tests" / f"chaos-gw{i}.json")
    chaos = summarize(folder).chaos
    assert chaos is not None
    assert chaos.on_runs == 2
    assert chaos.sources == ["chaos-tests/chaos-gw0.json", "chaos-tests/chaos-gw1.json"]


def test_unreadable_inputs_become_notes_not_crashes(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    (folder / "junit" / "system.xml").write_text("<testsuites><testsuite")
    (folder / "chaos.json").write_text("{")
    s = summarize(folder)
    assert not s.pyramid.tiers[2].ran
    assert any("junit/system.xml is not valid XML" in n for n in s.notes)
    assert any("chaos report unusable" in n for n in s.notes)
    assert s.verdict == "NO-GO"


def test_failure_messages_reach_the_summary_without_pii_or_secrets(
    folder: Path, summarize: Callable[[Path], Summary], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_PLANTED_TOKEN", "tok-planted-7d1e29a4c3")
    junit = folder / "junit" / "unit.xml"
    message = ("assert answer for query 'mail me at ana.q7@example.com, card 4539 1488 0343 6467' failed; "
               "env tok-planted-7d1e29a4c3 api_key=sk-live-abcdef123456")  # fmt: skip
    case = '<testcase classname="suites.unit.test_example" name="test_0" time="0.01"'
    failure = f'{case}><failure message="{message}">x</failure></testcase>'
    junit.write_text(junit.read_text().replace(f"{case} />", failure))
    path = write_summary(summarize(folder), folder)
    text = path.read_text()
    for planted in (
        "ana.q7@example.com",
        "4539 1488 0343 6467",
        "tok-planted-7d1e29a4c3",
        "sk-live-abcdef123456",
    ):
        assert planted not in text
    failed = Summary.model_validate_json(text).pyramid.failed_tests[0]
    assert (
        "[EMAIL]" in failed.message and "[CARD]" in failed.message and failed.message.count("[SECRET]") == 2
    )


def test_summary_json_round_trips_under_its_schema(
    folder: Path, summarize: Callable[[Path], Summary]
) -> None:
    path = write_summary(summarize(folder), folder)
    doc = json.loads(path.read_text())
    assert doc["schema"] == SCHEMA == "harness.summary/1"
    assert doc["verdict"] == "GO"
    assert Summary.model_validate(doc).model_dump(by_alias=True) == doc
