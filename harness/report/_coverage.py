"""Coverage of the system under test: coverage.py's line and branch figures, and graph path coverage.

`harness run` measures the unit tier into `coverage/unit.json`, then appends the integration tier
and writes `coverage/integration.json`: the newest of the two is the combined figure. Graph path
coverage comes from `integration/graph_coverage_{in_process,http}.json` (harness._pathcov); an
edge counts as covered when either run exercised it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._summary import CoverageFile, CoverageSection, GraphRun, GraphSection

__all__ = ["read_coverage", "read_graph"]

_LEAST_COVERED = 8


def _branch_pct(summary: dict[str, Any]) -> float | None:
    """As coverage.py has it: code with no branch has none to miss (100%); no code, no figure."""
    if not summary.get("num_branches") and summary.get("num_statements"):
        return 100.0
    return _pct(summary.get("covered_branches", 0), summary.get("num_branches", 0))


def _pct(covered: int, total: int) -> float | None:
    return round(100.0 * covered / total, 2) if total else None


def _load(path: Path, notes: list[str]) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        notes.append(f"{path.name}: unreadable ({exc.__class__.__name__}); left out of the report")
        return None
    return doc if isinstance(doc, dict) else None


def _files(doc: dict[str, Any]) -> list[CoverageFile]:
    rows = []
    for name, data in doc.get("files", {}).items():
        s = data.get("summary", {})
        rows.append(
            CoverageFile(
                file=name,
                line_pct=round(s.get("percent_statements_covered", s.get("percent_covered", 0.0)), 2),
                branch_pct=_branch_pct(s),
                missing_lines=s.get("missing_lines", 0),
            )
        )
    rows.sort(key=lambda f: (f.line_pct, f.branch_pct or 100.0, f.file))
    return rows[:_LEAST_COVERED]


def read_coverage(reports: Path, notes: list[str]) -> CoverageSection | None:
    folder = reports / "coverage"
    found = [p for p in (folder / "unit.json", folder / "integration.json") if p.exists()]
    if not found:
        notes.append("no coverage/unit.json or coverage/integration.json: coverage was not measured")
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    doc = _load(newest, notes)
    if doc is None:
        return None
    t = doc.get("totals", {})
    # The unit tier alone, beside the combined figure: how much the fast tests carry by themselves.
    unit_path = folder / "unit.json"
    unit = _load(unit_path, notes) if newest != unit_path and unit_path.exists() else None
    u = (unit or {}).get("totals", {})
    html = folder / "html" / "index.html"
    return CoverageSection(
        source=f"coverage/{newest.name}",
        line_pct=_pct(t.get("covered_lines", 0), t.get("num_statements", 0)) or 0.0,
        branch_pct=_branch_pct(t),
        covered_lines=t.get("covered_lines", 0),
        num_statements=t.get("num_statements", 0),
        covered_branches=t.get("covered_branches", 0),
        num_branches=t.get("num_branches", 0),
        unit_only_line_pct=_pct(u.get("covered_lines", 0), u.get("num_statements", 0)) if u else None,
        unit_only_branch_pct=_branch_pct(u) if u else None,
        html="coverage/html/index.html" if html.exists() else None,
        least_covered=_files(doc),
    )


def _edge(edge: str | list[str]) -> list[str]:
    # harness._pathcov writes "a -> b"; a pair is accepted too.
    parts = edge.split(" -> ", 1) if isinstance(edge, str) else [str(x) for x in edge]
    return parts if len(parts) == 2 else [str(edge), "?"]


def _graph_run(name: str, doc: dict[str, Any]) -> GraphRun:
    return GraphRun(
        name=name,
        requests=int(doc.get("requests", 0)),
        edges_total=int(doc.get("edges_total", 0)),
        edges_covered=int(doc.get("edges_covered", 0)),
        edge_coverage_pct=round(float(doc.get("edge_coverage_pct", 0.0)), 2),
        missing_edges=[_edge(e) for e in doc.get("missing_edges", [])],
        targets_missing={
            k: [str(x) for x in v.get("missing", [])] for k, v in doc.get("targets", {}).items()
        },
    )


def read_graph(reports: Path, notes: list[str]) -> GraphSection | None:
    runs: list[GraphRun] = []
    hits: dict[tuple[str, str], int] = {}
    for name in ("in_process", "http"):
        path = reports / "integration" / f"graph_coverage_{name}.json"
        doc = _load(path, notes) if path.exists() else None
        if doc is None:
            continue
        runs.append(_graph_run(name, doc))
        for edge in doc.get("edges", []):
            key = (str(edge["from"]), str(edge["to"]))
            hits[key] = hits.get(key, 0) + int(edge.get("hits", 0))
    if not runs:
        notes.append("no integration/graph_coverage_*.json: graph path coverage was not measured")
        return None
    covered = sum(1 for h in hits.values() if h > 0)
    missing = sorted(k for k, h in hits.items() if h == 0)
    return GraphSection(
        runs=runs,
        edges_total=len(hits),
        edges_covered=covered,
        edge_coverage_pct=_pct(covered, len(hits)) or 0.0,
        missing_edges=[list(e) for e in missing],
        edges=[{"from": a, "to": b, "hits": h} for (a, b), h in sorted(hits.items())],
    )
