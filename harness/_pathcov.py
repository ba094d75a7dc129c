"""Graph path coverage: which edges of a multi-agent graph a test run actually exercised.

Edges come from the compiled LangGraph graph itself (`edges_of(graph)`), so the figure is honest
for any team's graph; a run records each request's visited nodes. Optional *outcome* targets
(escalation reasons, fallbacks) are counted the same way.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["END", "HANDOFF_PREFIX", "START", "PathCoverage", "edges_of"]

START, END = "__start__", "__end__"
#: The name of a handoff tool, as langgraph-supervisor and most frameworks make them: an agent
#: that calls `transfer_to_billing` hands the conversation to `billing` (an edge taken by a call).
HANDOFF_PREFIX = "transfer_to_"


def edges_of(graph: Any) -> set[tuple[str, str]]:
    """Every edge of a compiled LangGraph graph, conditional ones included."""
    return {(e.source, e.target) for e in graph.get_graph().edges}


class PathCoverage:
    def __init__(self, edges: Iterable[tuple[str, str]], **targets: Iterable[str]) -> None:
        self.edges = set(edges)
        self.targets = {name: set(values) for name, values in targets.items()}
        self.edge_hits: Counter[tuple[str, str]] = Counter()
        self.target_hits: dict[str, Counter[str]] = {name: Counter() for name in self.targets}
        self.unknown_edges: Counter[tuple[str, str]] = Counter()
        self.requests = 0

    def record(self, path: list[str], **outcomes: str | None) -> None:
        """One request's visited nodes (without START/END) and its outcomes (reason=..., ...)."""
        self.requests += 1
        nodes = [START, *path, END]
        for edge in itertools.pairwise(nodes):
            (self.edge_hits if edge in self.edges else self.unknown_edges)[edge] += 1
        for name, value in outcomes.items():
            if value is not None and name in self.target_hits:
                self.target_hits[name][value] += 1

    @property
    def missing_edges(self) -> list[tuple[str, str]]:
        return sorted(self.edges - set(self.edge_hits))

    def missing(self, target: str) -> list[str]:
        return sorted(self.targets[target] - set(self.target_hits[target]))

    @property
    def edge_percent(self) -> float:
        return 100.0 * len(set(self.edge_hits) & self.edges) / max(1, len(self.edges))

    @property
    def complete(self) -> bool:
        return not self.missing_edges and not any(self.missing(t) for t in self.targets)

    def report(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "edges_total": len(self.edges),
            "edges_covered": len(set(self.edge_hits) & self.edges),
            "edge_coverage_pct": round(self.edge_percent, 2),
            "edges": [
                {"from": a, "to": b, "hits": self.edge_hits.get((a, b), 0)} for a, b in sorted(self.edges)
            ],
            "missing_edges": [f"{a} -> {b}" for a, b in self.missing_edges],
            "unexpected_edges": [f"{a} -> {b}" for a, b in sorted(self.unknown_edges)],
            "targets": {
                name: {"covered": sorted(self.target_hits[name]), "missing": self.missing(name)}
                for name in self.targets
            },
        }

    def write(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.report(), indent=2) + "\n")
        return out

    def summary(self) -> str:
        lines = [f"graph path coverage: {self.edge_percent:.0f}% of {len(self.edges)} edges"]
        lines += [f"  missing edge {a} -> {b}" for a, b in self.missing_edges]
        for name in self.targets:
            lines += [f"  missing {name} {value}" for value in self.missing(name)]
        return "\n".join(lines)
