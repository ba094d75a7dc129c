"""index.html, rendered end to end with charts: self-contained, every gate with its numbers, a verdict
even with inputs missing (integration: the full render pipeline, matplotlib included)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.report import GateSettings, Summary, build_report

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

MakeReports = Callable[..., Path]

_REFERENCES = re.compile(r'(?:src|href)="([^"]*)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary, str]:
    from suites.fixtures.example_reports import write_example_reports

    folder = write_example_reports(tmp_path_factory.mktemp("reports"), breach="chaos")
    settings = GateSettings.model_construct(**{k: f.default for k, f in GateSettings.model_fields.items()})
    result = build_report(folder, settings=settings)
    return folder, result.summary, result.html_path.read_text()


def test_the_page_is_self_contained(built: tuple[Path, Summary, str]) -> None:
    folder, _, html = built
    assert "http://" not in html and "https://" not in html and "<script" not in html
    references = _REFERENCES.findall(html)
    images = [r for r in references if r.startswith("data:image/")]
    assert len(images) >= 7  # pyramid, histogram, CDF, time series, agents, two chaos timelines
    for ref in references:
        if ref.startswith(("data:", "#")):
            continue
        assert not ref.startswith(("/", "//")) and ":" not in ref, ref  # relative links only
        assert (folder / ref).exists(), ref


def test_the_verdict_and_every_gate_are_shown(built: tuple[Path, Summary, str]) -> None:
    _, summary, html = built
    assert summary.verdict == "NO-GO"
    assert '<div class="word" id="verdict-word">NO-GO</div>' in html
    for gate in summary.gates:
        assert f"<code>{gate.name}</code>" in html
    assert "chaos hypotheses held 50.00% misses &gt;= 100.00%" in html
    assert 'href="coverage/html/index.html"' in html
    assert 'href="junit/unit.xml"' in html


def test_the_sla_numbers_and_chaos_phases_are_in_the_page(built: tuple[Path, Summary, str]) -> None:
    _, summary, html = built
    assert summary.sla is not None
    p95 = summary.sla.percentiles[1]
    assert p95.value is not None and p95.ci95 is not None
    assert f"{p95.value:,.1f} ms" in html
    assert f"{p95.ci95[0]:,.1f} – {p95.ci95[1]:,.1f} ms" in html
    assert "✗</span> errors 25.0%" in html  # the chaos breach, in its during phase
    assert "FM-2.4" in html and "chaos:handoff-drop" in html


def test_an_empty_reports_folder_still_renders_a_no_go(tmp_path: Path) -> None:
    result = build_report(tmp_path, settings=GateSettings.model_construct(
        **{k: f.default for k, f in GateSettings.model_fields.items()}))  # fmt: skip
    html = result.html_path.read_text()
    assert result.summary.verdict == "NO-GO"
    assert "did not run (no junit/unit.xml)" in html
    assert "Coverage was not measured." in html
    assert len(result.summary.notes) >= 4
