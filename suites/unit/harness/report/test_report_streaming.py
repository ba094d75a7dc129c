"""The release report's streaming table: a streamed run's sla.json `streaming` section reaches the
summary and the HTML, each figure in its own row with its own percentiles and unit, and goodput."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.load._streaming import streaming
from harness.measure import Sample, SlaReport, frame
from harness.measure._sla_report import Streaming
from harness.report import Summary
from harness.report._html import charts_for, render_html
from suites.unit.harness.report.conftest import MakeReports

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


# 50 answered streams, each figure distinct so a row showing another's numbers is seen.
def _sample(n: int) -> Sample:
    ms = 1000.0 + 10 * n  # and ms / 10 tokens: 100 tokens/s each
    return Sample(
        id=f"hr-a-b-{n}", kind="answered", status=200, ms=ms, tokens_out=int(ms // 10),
        ttft_ms=100.0 + n, first_content_ms=300.0 + 2 * n, gaps_ms=[20.0 + n],
    )  # fmt: skip


SLOS = {"ttft_p95_ms_max": 125.0}  # streams 0..24 meet it: goodput 25 / 50


def _streamed(folder: Path) -> None:
    section = streaming(frame([_sample(n) for n in range(50)]), SLOS, window_s=10.0)
    path = folder / "sla.json"
    report = SlaReport.read(path)
    report.streaming = Streaming.model_validate(section)
    report.write(path)


def _table(html: str) -> dict[str, list[str]]:
    """Row name -> its cells' text (n, p50, p95, p99, p999) of the streaming table."""
    found = re.search(r"<h3>Streaming.*?</table>", html, re.S)
    assert found, "no streaming table in the report"
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", found.group(0), re.S)
    return {name: re.findall(r'<td class="n"[^>]*>([^<]*)</td>', cells) for name, cells in rows}


def test_the_streaming_table_shows_each_figure_in_its_row(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports()
    _streamed(folder)
    summary = summarize(folder)
    assert summary.sla is not None and summary.sla.goodput == 0.5
    html = render_html(summary, charts_for(summary, folder))
    table = _table(html)
    # Nearest rank over 50: p50 the 25th value, p95 the 48th, p99 and p999 the 50th.
    assert table == {
        "time to first event (TTFT)": ["50", "124.0 ms", "147.0 ms", "149.0 ms", "149.0 ms"],
        "time to first text": ["50", "348.0 ms", "394.0 ms", "398.0 ms", "398.0 ms"],
        "gap between chunks (not tokens)": ["50", "44.0 ms", "67.0 ms", "69.0 ms", "69.0 ms"],
        "output tokens/s per request": ["50", "100.0 tokens/s"] + ["100.0 tokens/s"] * 3,
        "end to end": ["50", "1,240.0 ms", "1,470.0 ms", "1,490.0 ms", "1,490.0 ms"],
    }
    assert re.search(r"Goodput.*?<strong>50\.0%</strong> \(95% CI [\d.]+%–[\d.]+%\)", html)


def test_a_run_that_did_not_stream_has_no_streaming_table(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    folder = make_reports()
    summary = summarize(folder)
    assert summary.sla is not None and summary.sla.streaming == [] and summary.sla.goodput is None
    assert "<h3>Streaming" not in render_html(summary, charts_for(summary, folder))
