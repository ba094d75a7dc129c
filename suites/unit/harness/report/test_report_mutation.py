"""The release report's mutation section and its optional gate (`mutation_score_min`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.mutate import MutantResult, MutationRecord, TierScore
from harness.report import GateSettings, Summary
from harness.report._collect import build_summary
from harness.report._html import render_html

pytestmark = pytest.mark.harness_self

MakeReports = Callable[..., Path]


def _record(killed: int, survived: int) -> MutationRecord:
    mutants = [
        MutantResult(id=f"pkg/m.py:{n}#{n}", file="pkg/m.py", line=n, operator="swap_op", original="a + b",
                     mutated="a - b", status="killed" if n <= killed else "survived",
                     tier="unit" if n <= killed else None)
        for n in range(1, killed + survived + 1)
    ]  # fmt: skip
    score = killed / (killed + survived)
    return MutationRecord(
        system="tiny", packages=["pkg"], generated=len(mutants), run=len(mutants), not_run=0, score=score,
        wall_s=12.0, mutants=mutants,
        tiers=[TierScore(tier="unit", baseline_s=1.0, killed=killed, cumulative=killed, score=score)],
    )  # fmt: skip


def _mutation_gate(summary: Summary) -> list[tuple[bool, str]]:
    return [(g.passed, g.reason) for g in summary.gates if g.group == "mutation"]


def test_the_gate_is_off_unless_set(make_reports: MakeReports, summarize: Callable[[Path], Summary]) -> None:
    reports = make_reports()
    _record(3, 1).write(reports / "mutation.json")
    summary = summarize(reports)
    assert summary.mutation is not None and summary.mutation.score == 0.75
    assert _mutation_gate(summary) == [] and summary.verdict == "GO"


@pytest.mark.parametrize(
    ("killed", "survived", "passed", "words"),
    [
        (9, 1, True, "mutation score 90.00% meets >= 80.00% (10 mutants run, 1 survived)"),
        (3, 1, False, "mutation score 75.00% misses >= 80.00% (4 mutants run, 1 survived)"),
    ],
)
def test_the_gate_says_go_or_no_go_on_the_score(
    killed: int, survived: int, passed: bool, words: str, make_reports: MakeReports, gate: GateSettings
) -> None:
    reports = make_reports()
    _record(killed, survived).write(reports / "mutation.json")
    summary = build_summary(reports, gate.model_copy(update={"mutation_score_min": 0.8}))
    assert _mutation_gate(summary) == [(passed, words)]
    assert summary.verdict == ("GO" if passed else "NO-GO")


def test_no_mutation_run_fails_a_gate_that_asks_for_one(
    make_reports: MakeReports, gate: GateSettings
) -> None:
    summary = build_summary(make_reports(), gate.model_copy(update={"mutation_score_min": 0.5}))
    [(passed, reason)] = _mutation_gate(summary)
    assert not passed and "no mutation run" in reason and summary.mutation is None


def test_a_broken_mutation_json_is_a_note(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    reports = make_reports()
    (reports / "mutation.json").write_text('{"schema": "harness.mutation/1"}')
    summary = summarize(reports)
    assert summary.mutation is None
    assert any(n.startswith("mutation report unusable:") for n in summary.notes)


def test_the_page_shows_the_score_per_tier_and_the_survivors(
    make_reports: MakeReports, summarize: Callable[[Path], Summary]
) -> None:
    reports = make_reports()
    _record(3, 1).write(reports / "mutation.json")
    page = render_html(summarize(reports), {"pyramid": ""})
    assert 'id="mutation"' in page and "75.0%" in page and "<code>pkg/m.py:4</code>" in page
    assert "Survivors (1)" in page
    without = render_html(summarize(make_reports()), {"pyramid": ""})
    assert 'id="mutation"' not in without
